"""Journey: log in → upload a parcel list as an APN trace → cost preview offers only the
parcel trace → submit → complete → results show the parcel, the address Tracerfy found and
DNC flags → export. Real sandbox, parcel_trace webhook and RQ worker."""

from playwright.sync_api import expect

from traces.models import TraceJob

PARCELS = "APN,County,State,Notes\n" + "".join(
    f"#00-4241-09-{n:05d},Palm Beach County,FL,lot {n}\n" for n in range(9)
)


def test_parcel_journey(page, tracing_app, screenshot):
    page.goto(f"{tracing_app}/traces/")
    page.get_by_role("link", name="New skip trace").click()
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "parcels.csv", "mimeType": "text/csv", "buffer": PARCELS.encode()}]
    )
    page.get_by_label("APN / parcel trace").check()
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    page.get_by_role("button", name="Save mapping and preview").click()
    expect(page.get_by_test_id("unique-records")).to_have_text("9")
    page.get_by_test_id("continue").click()

    expect(page.get_by_role("heading", name="Cost preview")).to_be_visible()
    expect(
        page.get_by_label("APN / parcel (finds the owner from the parcel number)")
    ).to_be_checked()
    expect(page.get_by_label("RealEstateAPI")).to_have_count(0)
    expect(page.get_by_test_id("estimate-total")).to_have_text("45")
    screenshot("parcel-cost-preview")
    page.get_by_role("button", name="Submit trace (45 credits held)").click()

    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    job = TraceJob.objects.get()
    assert job.status == "complete" and job.trace_type == "parcel" and job.hits > 0
    expect(page.get_by_test_id("header-credits")).to_contain_text(f"{200 - 5 * job.hits} credits")
    page.reload()
    expect(page.get_by_text("APN 00-4241-09-00000")).to_be_visible()
    screenshot("parcel-results")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    body = download_info.value.path().read_text(encoding="utf-8-sig")
    assert body.count("\n") == 10
    assert "Property address (found)" in body.splitlines()[0]
