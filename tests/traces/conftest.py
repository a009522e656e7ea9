import io

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadops.credits import services as credits
from leadops.imports import services as imports
from leadops.jobs import services as job_services
from leadops.waiting import wait_until
from traces.models import TraceJob


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write(",".join(row) + "\r\n")
    return out.getvalue().encode()


HEADER = [
    "Property Address",
    "City",
    "State",
    "Zip",
    "Owner First Name",
    "Owner Last Name",
    "Mailing Address",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "Notes",
]


def owner_rows(n: int, *, start: int = 100) -> list[list[str]]:
    return [
        [
            f"{start + i} Oak Ave",
            "Springfield",
            "IL",
            "62701",
            "Pat",
            f"Owner{i}",
            f"{start + i} Oak Ave",
            "Springfield",
            "IL",
            "62701",
            f"=note {i}",
        ]
        for i in range(n)
    ]


@pytest.fixture
def stored_batch(staff, team_a):
    """Upload → map (auto) → store, through the import services, as a user would."""

    def make(rows: list[list[str]], *, job_type: str = "trace_normal", name: str = "leads.csv"):
        upload = SimpleUploadedFile(name, csv_bytes([HEADER, *rows]), content_type="text/csv")
        batch = imports.import_upload(
            team=team_a, user=staff, uploaded_file=upload, job_type=job_type
        )
        batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type=job_type)
        return imports.import_store(batch=batch)

    return make


PARCEL_HEADER = ["Parcel Number", "County", "State", "Notes"]


def parcel_rows(n: int, *, start: int = 0) -> list[list[str]]:
    return [
        [f"#00-4241-09-{start + i:05d}", "Palm Beach County", "FL", f"=lot {i}"] for i in range(n)
    ]


@pytest.fixture
def stored_parcels(staff, team_a):
    """An APN import through the import services, as a user makes one."""

    def make(rows: list[list[str]], *, name: str = "parcels.csv"):
        body = csv_bytes([PARCEL_HEADER, *rows])
        upload = SimpleUploadedFile(name, body, content_type="text/csv")
        batch = imports.import_upload(team=team_a, user=staff, uploaded_file=upload, job_type="apn")
        batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="apn")
        return imports.import_store(batch=batch)

    return make


@pytest.fixture
def funded(staff):
    credits.grant(wallet=staff.wallet, amount=500, actor=None, reason="t", idempotency_key="tr")
    staff.wallet.refresh_from_db()
    return staff


@pytest.fixture
def live_sandbox(sandbox, live_server, rq_redis, settings):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    url = f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/"
    httpx.post(f"{sandbox.base_url}/_sandbox/webhook-url", json={"url": url}, timeout=10)
    return sandbox


def control(sandbox, path, body):
    httpx.post(f"{sandbox.base_url}/_sandbox/{path}", json=body, timeout=10).raise_for_status()


def first_post_times_out(monkeypatch, sandbox, *, client_factory: str, path: str) -> None:
    """The sandbox takes the first POST to `path` but answers after our 1 s read timeout;
    `client_factory` (a leadops.providers factory name) builds clients with that timeout."""
    from leadops import providers
    from leadops.providers.base import Timeouts

    real = getattr(providers, client_factory)
    monkeypatch.setattr(
        providers, client_factory, lambda **kw: real(timeouts=Timeouts(read=1.0, connect=2.0))
    )
    control(
        sandbox,
        "faults",
        {
            "read_timeout_rate": 1.0,
            "read_timeout_seconds": 3,
            "paths": [path],
            "fault_budget": 1,
        },
    )


def deliveries(sandbox, kind):
    log = httpx.get(f"{sandbox.base_url}/_sandbox/webhooks", timeout=10).json()
    entries = log["deliveries"] if isinstance(log, dict) else log
    return [d for d in entries if d["kind"] == kind]


def run_until_done(job, run_worker, timeout=30, sweep=False, reconcile=False, resubmit=False):
    def done():
        if sweep:
            job_services.job_reconcile_all()
        # What the scheduled reconcile / retry steps do (burst workers skip scheduled jobs).
        if reconcile:
            job_services.job_reconcile_submission_step(label="trace", job_id=job.pk)
        if resubmit:
            job_services.job_submit_step(label="trace", job_id=job.pk)
        run_worker()
        return TraceJob.objects.get(pk=job.pk).is_terminal

    wait_until(done, timeout=timeout, interval=0.2, what=f"trace #{job.pk} to finish")
    return TraceJob.objects.get(pk=job.pk)
