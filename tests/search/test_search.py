"""Search over the index: every source, any spelling, one team's records only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dnc import services as dnc_services
from leadops.jobs.models import JobStatus
from leadops.jobs.services import job_transition
from leadops.search import selectors
from leadops.search.models import IndexedJob, SearchEntry
from leadops.search.services import search_index_job, search_index_sweep, search_reindex
from tests.leadbuilder.factories import lead_build
from tests.search.conftest import finish
from tests.support.crm import finished_trace, scrubbed


def addresses(results) -> list[str]:
    return [found.address for found in results.records]


@pytest.mark.parametrize(
    "typed",
    [
        "102 Oak Ave",
        "102 OAK AVENUE",
        "102 oak avenue springfield",
        "102 Oak Ave., Springfield, IL 62701",
    ],
)
def test_an_address_in_any_spelling_finds_the_property(team_a, indexed_trace, typed):
    trace = indexed_trace()
    results = selectors.search(team=team_a, text=typed)
    assert addresses(results) == ["102 OAK AVE, SPRINGFIELD, IL 62701"]
    (found,) = results.records
    assert found.owners == ["Pat Owner2"]
    assert found.phones == ["+15125550004", "+15125550005"]
    assert [seen.job_label for seen in found.seen] == [str(trace)]
    assert found.matched_on == ["address"]


@pytest.mark.parametrize(
    "typed", ["(512) 555-0004", "5125550004", "+1 512 555 0004", "1-512-555-0004", "555-0004"]
)
def test_a_phone_in_any_spelling_finds_its_owner(team_a, indexed_trace, typed):
    indexed_trace()
    results = selectors.search(team=team_a, text=typed)
    assert addresses(results) == ["102 OAK AVE, SPRINGFIELD, IL 62701"]
    assert results.records[0].matched_on == ["phone"]


def test_an_owner_name_in_any_order_and_case_finds_the_property(team_a, indexed_trace):
    indexed_trace()
    for typed in ("Pat Owner3", "owner3 pat", "OWNER3"):
        assert addresses(selectors.search(team=team_a, text=typed)) == [
            "103 OAK AVE, SPRINGFIELD, IL 62701"
        ], typed
    # Every owner called Pat, newest row first.
    assert len(selectors.search(team=team_a, text="pat").records) == 6


def test_a_missed_record_is_found_by_its_apn_with_or_without_punctuation(team_a, parcel_misses):
    parcel_misses(["03145-0042", "03145-0043", "R12-884-01"])
    for typed in ("03145-0043", "031450043", "03145 0043"):
        results = selectors.search(team=team_a, text=typed)
        assert addresses(results) == ["701 OAK AVE, SPRINGFIELD, IL 62701"], typed
        assert results.records[0].apns == ["03145-0043"]
        assert results.records[0].seen[0].note == "Miss"
    assert addresses(selectors.search(team=team_a, text="r12-884-01")) == [
        "702 OAK AVE, SPRINGFIELD, IL 62701"
    ]


def test_a_lead_list_row_is_found_by_address_owner_and_phone(team_a, staff):
    build = lead_build(team=team_a, user=staff, rows=5, seed="search")
    search_index_job(job=build)
    row = build.rows.exclude(primary_phone="").exclude(owner_name="").first()
    for typed in (row.address, row.owner_name, row.primary_phone[2:]):
        results = selectors.search(team=team_a, text=typed)
        found = next(f for f in results.records if row.address in f.address)
        seen = found.seen[0]
        assert seen.title == "Lead lists"
        assert seen.row_url == reverse("leadbuilder:row", args=[build.pk, row.pk])


def test_a_pasted_dnc_phone_is_found_and_named_by_its_phone(team_a, indexed_list):
    scrub = indexed_list("(512) 555-7001\n512.555.7002")
    results = selectors.search(team=team_a, text="+1 512-555-7002")
    (found,) = results.records
    assert found.record_key == "t5125557002"
    assert found.address == ""
    assert found.seen[0].job_label == str(scrub)


def test_one_property_from_a_trace_and_its_dnc_scrub_is_one_result(team_a, staff, indexed_trace):
    trace = indexed_trace()
    scrub = finish(dnc_services.dnc_draft_from_trace(trace=trace, user=staff))
    search_index_job(job=scrub)
    (found,) = selectors.search(team=team_a, text="101 Oak Ave").records
    assert sorted(seen.title for seen in found.seen) == ["DNC scrubs", "Skip traces"]
    assert found.phones == ["+15125550002", "+15125550003"]


def test_another_teams_records_are_never_found(team_a, team_b, outsider, staff, indexed_trace):
    indexed_trace(3, misses=0, name="ours.csv")
    theirs = indexed_trace(3, misses=0, name="theirs.csv", team=team_b, user=outsider)
    ours = selectors.search(team=team_a, text="100 Oak Ave").records
    assert len(ours) == 1
    assert all(seen.job_label != str(theirs) for seen in ours[0].seen)
    found = selectors.search(team=team_b, text="5125550000").records
    assert [seen.job_label for seen in found[0].seen] == [str(theirs)]


def test_only_team_b_has_this_property_so_team_a_cannot_open_it(
    client, staff, team_b, outsider, indexed_trace
):
    indexed_trace(2, misses=0, team=team_b, user=outsider)
    key = SearchEntry.objects.filter(team=team_b).first().record_key
    client.force_login(staff)
    assert client.get(reverse("search:record", args=[key])).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("search:record", args=[key])).status_code == 200


def test_indexing_again_replaces_the_jobs_entries(team_a, indexed_trace):
    trace = indexed_trace()
    assert search_index_job(job=trace) == 6
    assert SearchEntry.objects.filter(source="trace", job_id=trace.pk).count() == 6
    assert IndexedJob.objects.get(source="trace", job_id=trace.pk).rows == 6
    assert search_reindex(team=team_a)["trace"] == 6
    assert SearchEntry.objects.count() == 6


def test_a_job_not_finished_is_not_indexed(team_a, staff, indexed_list):
    draft = dnc_services.dnc_draft_from_list(team=team_a, user=staff, text="5125557001")
    assert search_index_job(job=draft) == 0
    assert not SearchEntry.objects.exists()


def test_the_record_page_shows_each_source_and_each_phones_dnc_status(
    staff_client, team_a, staff, indexed_trace, indexed_list
):
    trace = indexed_trace()
    scrub = finish(dnc_services.dnc_draft_from_trace(trace=trace, user=staff))
    search_index_job(job=scrub)
    listed = indexed_list("512-555-0002")
    scrubbed(team_a, ("5125550002", "national_dnc", 2), ("5125550003", "", 45))
    (found,) = selectors.search(team=team_a, text="101 Oak").records

    page = staff_client.get(reverse("search:record", args=[found.record_key]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "101 OAK AVE, SPRINGFIELD, IL 62701" in html
    assert trace.get_absolute_url() in html and scrub.get_absolute_url() in html
    phones = html.split('data-testid="record-phones"')[1].split("</table>")[0]
    assert "(512) 555-0002" in phones and 'data-dnc="federal"' in phones
    assert "(512) 555-0003" in phones and 'data-dnc="stale"' in phones
    # The pasted list holding one of its phones is linked as another record.
    shared = html.split('data-testid="record-shared"')[1]
    assert listed.get_absolute_url() not in shared  # the record's own page links the job…
    assert reverse("search:record", args=["t5125550002"]) in shared  # …through its record


def test_a_record_page_of_an_unknown_key_is_404(staff_client):
    assert (
        staff_client.get(reverse("search:record", args=["p0123456789abcdef012"])).status_code == 404
    )


def test_the_search_page_says_what_to_type_and_what_it_found(staff_client, indexed_trace):
    indexed_trace()
    url = reverse("search:results")
    assert 'data-testid="search-empty"' in staff_client.get(url).content.decode()
    problem = staff_client.get(url, {"q": "12"}).content.decode()
    assert "Type at least three digits" in problem
    none = staff_client.get(url, {"q": "Nowhere Lane"}).content.decode()
    assert 'data-testid="search-none"' in none and "Nowhere Lane" in none
    found = staff_client.get(url, {"q": "(512) 555-0004"}).content.decode()
    assert found.count('data-testid="search-result"') == 1
    assert "102 OAK AVE, SPRINGFIELD, IL 62701" in found
    assert "matched on phone" in found


def test_the_header_has_the_search_box_on_every_page(staff_client):
    html = staff_client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="header-search"' in html
    assert f'action="{reverse("search:results")}"' in html


def test_what_is_typed_is_escaped(staff_client):
    html = staff_client.get(reverse("search:results"), {"q": "<script>alert(1)</script>"}).content
    assert b"<script>alert(1)" not in html


def test_the_results_page_costs_the_same_queries_for_2_or_20_records(
    staff_client, team_a, indexed_trace
):
    indexed_trace(2, misses=0, name="a.csv")
    url = reverse("search:results")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url, {"q": "Oak Ave"}).status_code == 200
        return len(captured)

    few = queries()
    indexed_trace(20, misses=5, name="b.csv")
    assert len(selectors.search(team=team_a, text="Oak Ave").records) == 20
    assert queries() == few


def test_a_job_that_finishes_is_indexed_by_the_worker(
    team_a, staff, run_worker, django_capture_on_commit_callbacks
):
    draft = dnc_services.dnc_draft_from_list(team=team_a, user=staff, text="5125557001")
    with django_capture_on_commit_callbacks(execute=True):
        job_transition(job=draft, to=JobStatus.COMPLETE, actor=staff, detail="done")
    assert not SearchEntry.objects.exists()  # queued, not done in the request
    assert run_worker() == 1
    (found,) = selectors.search(team=team_a, text="555 7001").records
    assert found.seen[0].job_label == str(draft)


def test_the_sweep_queues_finished_jobs_missing_from_the_index(
    team_a, staff, run_worker, django_capture_on_commit_callbacks
):
    missed = finish(finished_trace(team_a, staff, 3, name="missed.csv"))
    old = finish(finished_trace(team_a, staff, 3, name="old.csv"))
    type(old).objects.filter(pk=old.pk).update(completed_at=timezone.now() - timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert search_index_sweep() == 1
    run_worker()
    assert IndexedJob.objects.get(source="trace", job_id=missed.pk).rows == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert search_index_sweep() == 0
