"""Skip tracing from upload to exported results, against the sandbox with real webhooks."""

import csv
import io

import pytest
from django.urls import reverse

from leadops.jobs.models import JobStatus as S
from tests.support.jobs import assert_credits_balance, run_until_done
from tests.support.rows import owner_rows
from traces import services
from traces.models import MatchStatus, TraceResult

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("trace_type", ["normal", "advanced"])
def test_trace_from_upload_to_results(live_sandbox, stored_batch, funded, run_worker, trace_type):
    batch = stored_batch(owner_rows(12), job_type=f"trace_{trace_type}")
    estimate = services.trace_estimate(batch=batch, trace_type=trace_type, user=funded)
    per = 1 if trace_type == "normal" else 2
    assert (estimate.unique_records, estimate.reused, estimate.total_credits) == (12, 0, 12 * per)

    job = services.trace_job_create(batch=batch, trace_type=trace_type, user=funded)
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE, done.error_message
    results = TraceResult.objects.filter(job=done)
    assert results.count() == 12
    assert results.filter(record__isnull=True).count() == 0
    hits = results.filter(status=MatchStatus.HIT).count()
    assert done.hits == hits > 0
    assert done.charged_credits == hits * per
    # Each result answers the record it is attached to (same street).
    for result in results.select_related("record"):
        assert result.match_key.split("|")[0] == result.record.values["property_address"].upper()
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500 - hits * per
    assert_credits_balance(funded.wallet)


def test_already_traced_records_are_reused_not_paid_again(
    live_sandbox, stored_batch, funded, run_worker
):
    first = services.trace_job_create(
        batch=stored_batch(owner_rows(10)), trace_type="normal", user=funded
    )
    first = run_until_done(first, run_worker)
    again = stored_batch(owner_rows(10), name="same-again.csv")
    estimate = services.trace_estimate(batch=again, trace_type="normal", user=funded)
    assert estimate.reused == first.hits
    assert estimate.to_send == 10 - first.hits
    second = run_until_done(
        services.trace_job_create(batch=again, trace_type="normal", user=funded), run_worker
    )
    assert second.records_reused == first.hits
    assert second.results.filter(reused_from__isnull=False).count() == first.hits
    assert second.charged_credits <= 10 - first.hits
    assert_credits_balance(funded.wallet)


def test_provider_out_of_credits_fails_and_charges_nothing(
    live_sandbox, stored_batch, funded, run_worker, client
):
    live_sandbox.control.account(balance=0)
    job = services.trace_job_create(
        batch=stored_batch(owner_rows(5)), trace_type="normal", user=funded
    )
    done = run_until_done(job, run_worker)
    assert done.status == S.FAILED
    assert done.error_message.startswith("Insufficient credits")
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500
    client.force_login(funded)
    page = client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    assert "Insufficient credits" in page


def test_export_has_original_columns_results_and_is_injection_safe(
    live_sandbox, stored_batch, funded, run_worker, client
):
    job = run_until_done(
        services.trace_job_create(
            batch=stored_batch(owner_rows(4)), trace_type="normal", user=funded
        ),
        run_worker,
    )
    client.force_login(funded)
    response = client.get(reverse("traces:export", args=[job.pk, "csv"]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Property Address", "City", "State"]
    assert "Notes" in rows[0] and "Result: Phone 1" in rows[0]
    notes = rows[0].index("Notes")
    assert {r[notes] for r in rows[1:]} == {f"'=note {i}" for i in range(4)}
    assert len(rows) == 5
    xlsx = client.get(reverse("traces:export", args=[job.pk, "xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_results_filter_by_hit(live_sandbox, stored_batch, funded, run_worker, client):
    job = run_until_done(
        services.trace_job_create(
            batch=stored_batch(owner_rows(12)), trace_type="normal", user=funded
        ),
        run_worker,
    )
    client.force_login(funded)
    url = reverse("traces:detail", args=[job.pk])
    hits_page = client.get(url, {"status": "hit"}).content.decode()
    miss_page = client.get(url, {"status": "miss"}).content.decode()
    assert hits_page.count('text-bg-success">Hit') == job.hits
    assert miss_page.count('text-bg-secondary">Miss') == 12 - job.hits


def test_results_come_from_the_download_csv_when_the_records_endpoint_is_down(
    live_sandbox, stored_batch, funded, run_worker
):
    live_sandbox.control.faults(
        error_rate=1.0, error_status=503, paths=["/tracerfy/v1/api/queue/"], fault_budget=100
    )
    job = services.trace_job_create(
        batch=stored_batch(owner_rows(10)), trace_type="normal", user=funded
    )
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE, done.error_message
    faults = live_sandbox.control.fault_state()
    assert faults["fault_budget_remaining"] < 100  # the records endpoint did fail
    results = TraceResult.objects.filter(job=done)
    assert results.filter(record__isnull=False).count() == 10
    assert not results.filter(status=MatchStatus.UNMATCHED).exists()
    assert done.hits == results.filter(status=MatchStatus.HIT).count() > 0
    assert done.charged_credits == done.hits
    for result in results.filter(status=MatchStatus.HIT).select_related("record"):
        assert result.match_key.split("|")[0] == result.record.values["property_address"].upper()
        assert result.primary_phone or result.emails
    assert_credits_balance(funded.wallet)


def test_a_queue_tracerfy_stops_listing_fails_after_the_setting_with_credits_back(
    live_sandbox, stored_batch, funded, run_worker, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from leadops.jobs import services as job_services
    from traces.models import TraceJob

    settings.JOB_MISSING_QUEUE_SECONDS = 1
    job = services.trace_job_create(
        batch=stored_batch(owner_rows(10)), trace_type="normal", user=funded
    )
    job_services.job_submit_step(label="trace", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.SUBMITTED and job.provider_ref
    live_sandbox.control.reset()  # Tracerfy forgets every queue: ours is listed no more
    TraceJob.objects.filter(pk=job.pk).update(
        next_poll_at=timezone.now(), submitted_at=timezone.now() - timedelta(seconds=2)
    )
    done = run_until_done(job, run_worker, sweep=True)
    assert done.status == S.FAILED
    accepted = timezone.localtime(done.submitted_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    assert done.error_message == (
        f"Tracerfy no longer lists queue {done.provider_ref}, which it accepted at {accepted}; "
        "nothing came back within 1 second. Credits returned. Check Tracerfy's dashboard "
        "before tracing these records again."
    )
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (500, 0)
    assert_credits_balance(funded.wallet)


def test_export_gives_back_every_uploaded_row_as_typed_with_a_status_and_results(
    live_sandbox, stored_batch, funded, run_worker, client
):
    rows = [
        *owner_rows(3),
        [
            "671 Quarrystone Way",
            "Amherst",
            "MA",
            "01002",
            "Jo",
            "Ray",
            "PO Box 1",
            "Amherst",
            "MA",
            "01002",
            "413.555.0154",
        ],
        [
            "671 QUARRYSTONE WAY",
            "Amherst",
            "MA",
            "01002",
            "Jo",
            "Ray",
            "PO Box 1",
            "Amherst",
            "MA",
            "01002",
            "dup",
        ],
        [
            "",
            "Amherst",
            "MA",
            "01002",
            "Al",
            "Bo",
            "PO Box 2",
            "Amherst",
            "MA",
            "01002",
            "+1 no street",
        ],
    ]
    batch = stored_batch(rows)
    job = run_until_done(
        services.trace_job_create(batch=batch, trace_type="normal", user=funded), run_worker
    )
    client.force_login(funded)

    body = b"".join(
        client.get(reverse("traces:export", args=[job.pk, "csv"])).streaming_content
    ).decode("utf-8-sig")

    exported = list(csv.reader(io.StringIO(body)))
    header = exported[0]
    width = len(batch.headers)
    assert header[:width] == batch.headers
    assert len(header) == len(set(header)), "every header is distinct"
    assert header[width : width + 2] == ["LeadOps status", "LeadOps line"]
    assert "Result: Mailing ZIP" in header and "Result: Phone 1" in header
    assert len(exported) == 1 + len(rows)  # every uploaded row, unusable and duplicate too
    for uploaded, out in zip(rows, exported[1:], strict=True):
        expected = [f"'{c}" if c[:1] in ("=", "+", "-", "@") else c for c in uploaded]
        assert out[:width] == expected
    statuses = [out[width] for out in exported[1:]]
    assert statuses[4] == "Not traced: duplicate of line 5"
    assert statuses[5].startswith("Not traced: unusable (Property Address: is empty")
    assert all(s == "Hit" or s.startswith("Miss") for s in statuses[:4])
    assert [out[width + 1] for out in exported[1:]] == ["2", "3", "4", "5", "6", "7"]
