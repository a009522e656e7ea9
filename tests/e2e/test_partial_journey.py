"""Journey: a RealEstateAPI trace loses some result webhooks → the job ends "Complete with
errors", counts the records with no result apart, charges only the hits, and offers a
re-trace of exactly those records (on Tracerfy when they are fewer than RealEstateAPI's batch
minimum); the re-trace runs and links back. Real sandbox (its
webhooks dropped at random), live app, RQ worker."""

from playwright.sync_api import expect

from leadops.jobs import services as job_services
from leadops.waiting import wait_until
from traces.models import MatchStatus, TraceJob, TraceResult

ROWS = 24
FILE = (
    "Address,City,State,Zip,Owner First,Owner Last,Mail Address,Mail City,Mail State\n"
    + "".join(
        f"{300 + n} Birch Lane,Austin,TX,78701,Sam,Reyes{n},PO Box {n},Austin,TX\n"
        for n in range(ROWS)
    )
)


def finish_with_sweeps(*, job_pk: int) -> None:
    """The cron's sweep, as `make run` has it: a completion call dropped on the way only
    delays the job until its deadline poll (the worker fixture has no scheduler)."""

    def ended():
        job_services.job_reconcile_all()
        return TraceJob.objects.get(pk=job_pk).is_terminal

    wait_until(ended, timeout=60, interval=1, what=f"trace #{job_pk} to end")


def test_partial_journey(page, tracing_app, sandbox, settings, screenshot):
    settings.REAPI_BASE_URL = sandbox.urls["reapi"].rsplit("/", 1)[0] + "/"
    settings.PUBLIC_BASE_URL = tracing_app
    settings.REAPI_RESULT_GRACE_SECONDS = 1
    settings.REAPI_CHUNK_DEADLINE_SECONDS = 10
    sandbox.control.faults(webhook_drop_rate=0.3)

    page.get_by_role("link", name="Skip Trace").click()
    page.get_by_role("link", name="New skip trace").click()
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "birch.csv", "mimeType": "text/csv", "buffer": FILE.encode()}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("button", name="Save mapping and preview").click()
    page.get_by_test_id("continue").click()
    page.get_by_label("RealEstateAPI").check()
    page.get_by_role("button", name=f"Submit trace ({ROWS} credits held)").click()

    wait_until(TraceJob.objects.exists, timeout=10, what="the trace job")
    finish_with_sweeps(job_pk=TraceJob.objects.get().pk)
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete with errors")
    page.reload()
    job = TraceJob.objects.get()
    lost = TraceResult.objects.filter(job=job, status=MatchStatus.NO_RESULT).count()
    assert job.status == "partial" and lost > 0
    expect(page.get_by_test_id("count-no-result")).to_have_text(str(lost))
    expect(page.get_by_test_id("job-error")).to_contain_text("not charged")
    assert job.charged_credits == job.hits
    screenshot("partial")

    sandbox.control.faults(webhook_drop_rate=0.0)
    if lost < 10:  # under RealEstateAPI's batch minimum: the re-trace goes to Tracerfy
        expect(page.get_by_test_id("retrace-route")).to_contain_text("go to Tracerfy")
    page.get_by_role("button", name=f"Re-trace the {lost} records without a result").click()
    expect(page.get_by_test_id("retry-of")).to_have_text(f"Trace #{job.pk}")
    retry = TraceJob.objects.get(retry_of=job)
    finish_with_sweeps(job_pk=retry.pk)
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete")
    retry.refresh_from_db()
    assert retry.records_sent == lost
    assert retry.provider == ("tracerfy" if lost < 10 else "reapi")
    page.reload()
    screenshot("retrace")
    page.goto(f"{tracing_app}/traces/{job.pk}/")
    expect(page.get_by_test_id("retried-as")).to_contain_text(f"Trace #{retry.pk}")
