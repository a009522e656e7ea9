"""Journey: upload the messy list a team really has → preview (city/state from ZIP) → cost
preview offering the nameless rows as an advanced trace → submit both → export → open the
exported CSV and compare it with the uploaded file cell by cell."""

import csv
import io

from playwright.sync_api import expect

from traces.models import TraceJob

UPLOADED = [
    [
        "Property Address",
        "City",
        "State",
        "Zip",
        "Owner 1 First Name",
        "Owner 1 Last Name",
        "Mailing Address",
        "Mailing City",
        "Mailing State",
        "Phone 1",
        "Notes",
    ],
    *[
        [
            f"{100 + n} Oak Ave",
            "Springfield",
            "IL",
            "62701",
            "Pat",
            f"Owner{n}",
            f"{100 + n} Oak Ave",
            "Springfield",
            "IL",
            f"413.555.01{n:02d}",
            "ok",
        ]
        for n in range(10)
    ],
    [
        "671 Quarrystone Way",
        "",
        "",
        "01002",
        "Jo",
        "Ray",
        "PO Box 1",
        "Amherst",
        "MA",
        "413.555.0154",
        "city from zip",
    ],
    [
        "7 Birch Ln",
        "Springfield",
        "IL",
        "62701",
        "",
        "SMITH FAMILY TRUST",
        "PO Box 7",
        "Springfield",
        "IL",
        "",
        "trust",
    ],
    ["9 Birch Ln", "Springfield", "IL", "62701", "", "", "", "", "", "", "no owner"],
    [
        "101 OAK AVENUE",
        "Springfield",
        "IL",
        "62701",
        "Pat",
        "Owner1",
        "101 Oak Ave",
        "Springfield",
        "IL",
        "",
        "duplicate",
    ],
    [
        "",
        "Springfield",
        "IL",
        "62701",
        "Al",
        "Bo",
        "PO Box 2",
        "Springfield",
        "IL",
        "",
        "=HYPERLINK(1)",
    ],
]


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def test_export_journey(page, tracing_app, screenshot):
    page.get_by_role("link", name="Skip Trace").click()
    page.get_by_role("link", name="New skip trace").click()
    page.get_by_label("Skip trace — normal").check()
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "team list.csv", "mimeType": "text/csv", "buffer": _csv(UPLOADED)}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    page.get_by_role("button", name="Save mapping and preview").click()

    # 10 people + the ZIP-only row + the trust; the nameless row, the duplicate and the row
    # without a street are not in the normal trace.
    expect(page.get_by_test_id("unique-records")).to_have_text("12")
    expect(page.get_by_test_id("inferred-rows")).to_be_visible()
    screenshot("preview")
    page.get_by_test_id("continue").click()

    expect(page.get_by_role("heading", name="Cost preview")).to_be_visible()
    expect(page.get_by_test_id("estimate-total")).to_have_text("12")
    offer = page.get_by_test_id("alternative-offer")
    expect(offer).to_contain_text("Also trace the 1 row a normal trace cannot take")
    offer.get_by_role("checkbox").check()
    expect(page.get_by_test_id("estimate-total")).to_have_text("14")
    screenshot("cost-preview-with-advanced")
    page.get_by_role("button", name="Submit both traces (14 credits held)").click()

    expect(page.get_by_text("is queued")).to_be_visible()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    normal = TraceJob.objects.get(scope="usable")
    advanced = TraceJob.objects.get(scope="alternative")
    assert (normal.records_sent, advanced.records_sent) == (12, 1)
    page.reload()
    screenshot("complete")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    body = download_info.value.path().read_text(encoding="utf-8-sig")
    exported = list(csv.reader(io.StringIO(body)))

    width = len(UPLOADED[0])
    assert exported[0][:width] == UPLOADED[0]
    assert len(exported) == len(UPLOADED)
    for line, (uploaded, out) in enumerate(zip(UPLOADED[1:], exported[1:], strict=True), 2):
        for column, (typed, got) in enumerate(zip(uploaded, out[:width], strict=True)):
            neutral = f"'{typed}" if typed[:1] in ("=", "+", "-", "@") else typed
            assert got == neutral, f"line {line}, column {UPLOADED[0][column]}"
    status = {int(row[width + 1]): row[width] for row in exported[1:]}
    assert (
        status[14] == "Not traced: unusable (Owner first and last name (or owner full "
        "name, or a company or trust): is empty; a normal trace needs it; Mailing Address: "
        "is empty; a normal trace needs it; Mailing City: is empty; a normal trace needs "
        "it; Mailing State: is empty; a normal trace needs it)"
    )
    assert status[15] == "Not traced: duplicate of line 3"
    assert status[13] == "Hit" or status[13].startswith("Miss")
    assert "Result: Mailing ZIP" in exported[0]
