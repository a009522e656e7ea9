"""A trace that completed with errors, as its users see it: its own badge and wording, hits /
misses / no result counted apart, the re-trace offer with its cost, and the two jobs linked."""

import pytest
from django.urls import reverse

from leadops.credits import services as credits
from leadops.jobs.models import JobStatus as S
from tests.support.forms import submit_token
from tests.support.jobs import partial_trace
from tests.support.rows import owner_rows
from traces import selectors
from traces.models import MatchStatus, TraceJob, TraceResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def partial_job(stored_batch, staff):
    """60 records: 30 hits, 18 misses, 12 without a result."""
    credits.grant(wallet=staff.wallet, amount=100, actor=None, reason="t", idempotency_key="pv")
    return partial_trace(
        batch=stored_batch(owner_rows(60)), user=staff, hits=30, misses=18, no_result=12
    )


def test_the_list_and_the_page_say_complete_with_errors_in_their_own_colour(
    staff_client, partial_job
):
    listing = staff_client.get(reverse("traces:index")).content.decode()
    assert (
        'class="badge text-bg-warning" data-testid="job-status-partial">Complete with errors'
        in (listing)
    )
    page = staff_client.get(reverse("traces:detail", args=[partial_job.pk])).content.decode()
    assert "<strong>Complete with errors</strong>" in page
    assert 'alert alert-warning mt-3 mb-0" data-testid="job-error">12 of 60 records' in page
    assert "progress-bar bg-warning" in page


def test_hits_misses_and_no_result_are_counted_apart(staff_client, partial_job):
    assert selectors.result_counts(job=partial_job) == {
        "hits": 30,
        "misses": 18,
        "no_result": 12,
        "results": 60,
    }
    page = staff_client.get(reverse("traces:detail", args=[partial_job.pk])).content.decode()
    assert 'data-testid="count-hits">30<' in page
    assert 'data-testid="count-misses">18<' in page
    assert 'data-testid="count-no-result">12<' in page
    only = staff_client.get(
        reverse("traces:detail", args=[partial_job.pk]), {"status": "no_result"}
    ).content.decode()
    assert only.count("No result received</span>") == 12


def test_the_export_says_which_rows_got_no_result_and_why(staff_client, partial_job):
    import csv
    import io

    response = staff_client.get(reverse("traces:export", args=[partial_job.pk, "csv"]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 60
    lost = [r for r in rows if r["LeadOps status"].startswith("No result received")]
    assert len(lost) == 12
    assert {r["LeadOps status"] for r in lost} == {"No result received: lost"}
    assert all(r["Result: Phone 1"] == "" for r in lost)


def test_retrace_offer_shows_cost_and_balance_and_creates_one_job(staff_client, partial_job, staff):
    page = staff_client.get(reverse("traces:detail", args=[partial_job.pk])).content.decode()
    assert "Re-trace the 12 records without a result" in page
    assert "At most 12 credits (12 \u00d7 1); you have 100." in page
    url = reverse("traces:retrace", args=[partial_job.pk])
    token = submit_token(page)

    changed = staff_client.post(url, {"expected_credits": 11, "submit_token": token})
    assert changed.status_code == 302 and not partial_job.retries.exists()

    first = staff_client.post(url, {"expected_credits": 12, "submit_token": token})
    second = staff_client.post(url, {"expected_credits": 12, "submit_token": token})  # again
    (retry,) = partial_job.retries.all()
    assert first["Location"] == second["Location"] == reverse("traces:detail", args=[retry.pk])
    assert (retry.status, retry.records_sent, retry.estimated_credits) == (S.QUEUED, 12, 12)
    assert retry.batch_id == partial_job.batch_id and retry.provider == partial_job.provider
    staff.wallet.refresh_from_db()
    assert (staff.wallet.available, staff.wallet.held) == (88, 12)

    # Linked both ways; the original no longer offers a re-trace.
    back = staff_client.get(reverse("traces:detail", args=[retry.pk])).content.decode()
    assert (
        f'href="{reverse("traces:detail", args=[partial_job.pk])}" data-testid="retry-of"' in back
    )
    page = staff_client.get(reverse("traces:detail", args=[partial_job.pk])).content.decode()
    assert f"Trace #{retry.pk}</a>" in page and 'data-testid="retrace"' not in page


def test_retrace_is_only_for_a_partial_job_and_its_team(
    client, outsider, staff_client, partial_job
):
    url = reverse("traces:retrace", args=[partial_job.pk])
    page = staff_client.get(reverse("traces:detail", args=[partial_job.pk])).content.decode()
    token = submit_token(page)
    client.force_login(outsider)
    assert client.post(url, {"expected_credits": 12, "submit_token": token}).status_code == 404
    client.logout()
    posted = client.post(url, {"expected_credits": 12, "submit_token": token})
    assert posted.status_code == 302  # to the login page
    assert not partial_job.retries.exists()

    TraceJob.objects.filter(pk=partial_job.pk).update(status=S.COMPLETE)
    staff_client.post(url, {"expected_credits": 12, "submit_token": token})
    assert not partial_job.retries.exists()


def test_too_few_for_realestateapi_are_re_traced_on_tracerfy(partial_job, staff, run_worker):
    """12 records can go back to RealEstateAPI; 3 cannot (its batches take 10 or more), so
    the offer sends them to Tracerfy with the import's trace type and Tracerfy's rate."""
    from traces import services

    TraceJob.objects.filter(pk=partial_job.pk).update(provider="reapi")
    partial_job.refresh_from_db()
    assert services.trace_retry_estimate(job=partial_job, user=staff).provider == "reapi"
    no_result = TraceResult.objects.filter(job=partial_job, status=MatchStatus.NO_RESULT)
    no_result.exclude(pk__in=no_result.order_by("pk").values("pk")[:3]).update(
        status=MatchStatus.MISS
    )
    estimate = services.trace_retry_estimate(job=partial_job, user=staff)
    assert (estimate.provider, estimate.to_send, estimate.problem) == ("tracerfy", 3, "")
    assert "go to Tracerfy" in estimate.provider_note
    retry = services.trace_job_retry(
        job=partial_job, user=staff, seen_credits=estimate.total_credits
    )
    assert (retry.provider, retry.trace_type, retry.records_sent) == ("tracerfy", "normal", 3)
