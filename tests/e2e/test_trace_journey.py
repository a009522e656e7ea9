"""Journey: log in → upload a messy spreadsheet → fix one mapping → cost preview → submit →
progress reaches complete → filter results → export. Real sandbox, webhooks and RQ worker."""

import re

from playwright.sync_api import expect

from traces.models import TraceJob

# A title row, an owner column the auto-mapper cannot place ("Deed Holder"), lower-case and
# abbreviated streets, a duplicate, a zip that lost its zero, and an injection attempt.
MESSY = (
    "Absentee list - Springfield IL\n"
    "Site Address,Site City,ST,Zip Code,Deed Holder,Mail Address,Mail City,Mail State,Notes\n"
    + "".join(
        f'{100 + n} oak avenue,Springfield,il,62701,"OWNER{n}, PAT",{100 + n} Oak Ave,'
        f"Springfield,IL,{'=HYPERLINK(1)' if n == 0 else 'ok'}\n"
        for n in range(14)
    )
    + '101 Oak Ave,Springfield,IL,62701,"OWNER1, PAT",101 Oak Ave,Springfield,IL,dupe\n'
)


def test_trace_journey(page, tracing_app, screenshot):
    page.get_by_role("link", name="Skip Trace").click()
    page.get_by_role("link", name="New skip trace").click()

    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "springfield.csv", "mimeType": "text/csv", "buffer": MESSY.encode()}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    page.get_by_label("Deed Holder").select_option("owner_full_name")
    screenshot("mapping")
    page.get_by_role("button", name="Save mapping and preview").click()
    expect(page.get_by_test_id("unique-records")).to_have_text("14")
    expect(page.get_by_test_id("duplicates")).to_have_text("1")
    page.get_by_test_id("continue").click()

    expect(page.get_by_role("heading", name="Cost preview")).to_be_visible()
    expect(page.get_by_test_id("estimate-total")).to_have_text("14")
    screenshot("cost-preview")
    # Choosing another provider reloads the preview for it (htmx), and back again.
    page.get_by_label("RealEstateAPI").check()
    expect(page.get_by_text("RealEstateAPI has one kind of trace")).to_be_visible()
    expect(page).to_have_url(re.compile(r"provider=reapi"))
    page.get_by_label("Tracerfy").check()
    expect(page.get_by_text("Tracerfy balance")).to_be_visible()
    expect(page.get_by_label("Normal (owner name + mailing address known)")).to_be_checked()
    page.get_by_role("button", name="Submit trace (14 credits held)").click()

    expect(page.get_by_text("is queued")).to_be_visible()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    job = TraceJob.objects.get()
    assert job.status == "complete" and job.hits > 0
    expect(page.get_by_test_id("header-credits")).to_contain_text(f"{200 - job.hits} credits")
    page.reload()
    screenshot("complete")

    page.get_by_label("Result").select_option("hit")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(job.hits)
    screenshot("hits")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    body = download_info.value.path().read_text(encoding="utf-8-sig")
    assert body.count("\n") == job.hits + 1
    assert "'=HYPERLINK(1)" in body or "=HYPERLINK" not in body
