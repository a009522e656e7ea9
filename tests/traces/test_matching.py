"""Results attach to a record only when the match is unambiguous (a privacy requirement)."""

import pytest

from tests.support.rows import owner_rows
from traces.models import MatchStatus, TraceJob
from traces.services import trace_results_store

pytestmark = pytest.mark.django_db


def row(address, *, hit=True, city="Springfield", state="IL", last="Owner"):
    return {
        "address": address,
        "city": city,
        "state": state,
        "hit": hit,
        "first_name": "Pat",
        "last_name": last,
        "phones": [],
        "emails": [],
    }


@pytest.fixture
def job(stored_batch, staff, team_a):
    rows = owner_rows(3)
    rows.append(["100 Oak Ave", "Springfield", "IL", "62702", "Kim", "Twin", "", "", "", "", ""])
    batch = stored_batch(rows, job_type="trace_advanced")
    return TraceJob.objects.create(
        team=team_a, created_by=staff, batch=batch, trace_type="advanced", provider="tracerfy"
    )


def test_exact_match_attaches_and_unknown_rows_are_kept_aside(job):
    stored, hits, unmatched = trace_results_store(
        job=job,
        rows=[
            row("101 OAK AVENUE"),  # same street, spelled differently: attaches
            row("999 Nowhere Rd"),  # matches nothing: kept aside
            row("100 Oak Ave"),  # two inputs share this street+city+state: ambiguous
        ],
    )
    results = {r.match_key.split("|")[0]: r for r in job.results.select_related("record")}
    assert results["101 OAK AVE"].record.values["property_address"] == "101 OAK AVE"
    assert results["999 NOWHERE RD"].record is None
    assert results["999 NOWHERE RD"].status == MatchStatus.UNMATCHED
    ambiguous = job.results.filter(match_key__startswith="100 OAK AVE|")
    assert ambiguous.filter(record__isnull=True, status=MatchStatus.UNMATCHED).count() == 1
    # Neither of the two candidate records got the ambiguous owner: both are misses.
    assert ambiguous.filter(record__isnull=False, status=MatchStatus.MISS).count() == 2
    assert (stored, hits, unmatched) == (6, 1, 2)  # 3 provider rows + 3 records never answered
    job.refresh_from_db()
    assert job.results_unmatched == 2


def test_storing_twice_replaces_instead_of_duplicating(job):
    trace_results_store(job=job, rows=[row("101 Oak Ave")])
    trace_results_store(job=job, rows=[row("101 Oak Ave")])
    assert job.results.filter(record__isnull=False).count() == 4
