"""Journey: trace a file → scrub its phones from the trace's page → cost preview → submit →
results with the mix chart → filter → download the clean list. Real sandbox, webhooks, RQ."""

from playwright.sync_api import expect

from dnc.models import DncPhone, DncScrub
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces.models import TraceJob

OWNERS = table_csv([OWNER_HEADER, *owner_rows(12, start=300)])


def test_dnc_journey(page, tracing_app, screenshot):
    page.get_by_role("link", name="Skip Trace").click()
    page.get_by_role("link", name="New skip trace").click()
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "owners.csv", "mimeType": "text/csv", "buffer": OWNERS}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("button", name="Save mapping and preview").click()
    page.get_by_test_id("continue").click()
    page.get_by_role("button", name="Submit trace (12 credits held)").click()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    trace = TraceJob.objects.get()
    page.reload()

    # From the finished trace's page: scrub its phones.
    page.get_by_label("Which phones").select_option("all")
    screenshot("trace-page")
    page.get_by_role("button", name="Scrub phones…").click()
    expect(page.get_by_role("heading", name="Cost preview")).to_be_visible()
    scrub = DncScrub.objects.get()
    assert scrub.trace_id == trace.pk
    expect(page.get_by_test_id("est-unique")).to_have_text(str(scrub.phones_unique))
    expect(page.get_by_test_id("from-queue")).to_be_visible()
    screenshot("cost-preview")
    page.get_by_test_id("submit-scrub").click()

    expect(page.get_by_text("is queued")).to_be_visible()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    # On completion the page reloads itself with the chart and the downloads.
    expect(page.get_by_test_id("mix-counts")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("download-clean")).to_be_visible()
    screenshot("results")

    clean = DncPhone.objects.filter(job=scrub, outcome="clean").count()
    assert 0 < clean < scrub.phones_unique
    page.get_by_label("Show").select_option("clean")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("outcome")).to_have_count(clean)
    screenshot("clean-only")

    with page.expect_download() as download_info:
        page.get_by_test_id("download-clean").click()
    body = download_info.value.path().read_text(encoding="utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("Phone,Label")
    assert len(lines) == clean + 1
