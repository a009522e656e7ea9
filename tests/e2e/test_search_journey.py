"""Finding anything: a phone typed in the header box finds its owner's property; the record
page shows the trace, the DNC scrub and each phone's DNC status; the results link back."""

from django.utils import timezone
from playwright.sync_api import expect

from dnc import services as dnc_services
from leadops.jobs.models import JobStatus
from leadops.search.services import search_index_job
from tests.support.browser import log_in
from tests.support.crm import finished_trace, scrubbed


def test_search_journey(page, live_server, trace_member, screenshot):
    team = trace_member.membership.team
    trace = finished_trace(team, trace_member, 6, misses=1, name="owners.csv")
    search_index_job(job=trace)
    scrub = dnc_services.dnc_draft_from_trace(trace=trace, user=trace_member)
    type(scrub).objects.filter(pk=scrub.pk).update(
        status=JobStatus.COMPLETE, completed_at=timezone.now()
    )
    scrub.refresh_from_db()
    search_index_job(job=scrub)
    scrubbed(team, ("5125550004", "national_dnc", 3), ("5125550005", "", 2))

    log_in(page, live_server.url, trace_member.username)
    box = page.get_by_test_id("header-search")
    box.fill("(512) 555-0004")
    box.press("Enter")
    results = page.get_by_test_id("search-result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("102 OAK AVE, SPRINGFIELD, IL 62701")
    expect(results.first).to_contain_text("matched on phone")
    expect(page.get_by_test_id("header-search")).to_have_value("(512) 555-0004")
    screenshot("results")

    results.first.click()
    expect(page.get_by_test_id("record-title")).to_have_text("102 OAK AVE, SPRINGFIELD, IL 62701")
    phones = page.get_by_test_id("record-phones")
    expect(phones.locator("tr", has_text="(512) 555-0004")).to_contain_text("Federal DNC")
    expect(phones.locator("tr", has_text="(512) 555-0005")).to_contain_text("Clean")
    sections = page.get_by_test_id("record-section")
    expect(sections.filter(has_text="Skip traces")).to_contain_text(str(trace))
    expect(sections.filter(has_text="DNC scrubs")).to_contain_text(str(scrub))
    expect(sections.filter(has_text="Lead lists")).to_contain_text(
        "In none of your team's lead lists."
    )
    expect(sections.first).to_contain_text("Skip traces")
    screenshot("record")

    page.get_by_role("link", name=str(trace), exact=True).click()
    expect(page).to_have_url(f"{live_server.url}{trace.get_absolute_url()}")
    page.go_back()
    page.get_by_role("link", name="Back to the results").click()
    expect(page.get_by_test_id("search-result")).to_have_count(1)

    box = page.get_by_test_id("header-search")
    box.fill("Nowhere Lane")
    box.press("Enter")
    expect(page.get_by_test_id("search-none")).to_be_visible()
    screenshot("none")
