import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadops.credits import services as credits
from leadops.imports import services as imports
from tests.support.rows import table_csv

PHONE_HEADER = ["Owner Name", "Phone Mobile", "Phone Home", "Phone Work", "Notes"]


def phone(n: int) -> str:
    """The n-th test phone (512-555-0100 + n, in a spelling people use)."""
    area, rest = divmod(n, 100)
    return f"({512 + area}) 555-01{rest:02d}"


def e164(n: int) -> str:
    area, rest = divmod(n, 100)
    return f"+1{512 + area}55501{rest:02d}"


@pytest.fixture
def sandbox_settings():
    return {"miss_rate": 0.2}


@pytest.fixture
def funded(staff):
    credits.grant(wallet=staff.wallet, amount=500, actor=None, reason="t", idempotency_key="dnc")
    staff.wallet.refresh_from_db()
    return staff


@pytest.fixture
def phone_batch(staff, team_a):
    """A phone list upload (DNC kind) through the import services, as a user makes one."""

    def make(rows: list[list[str]], *, header=PHONE_HEADER, name: str = "phones.csv"):
        upload = SimpleUploadedFile(name, table_csv([header, *rows]), content_type="text/csv")
        batch = imports.import_upload(team=team_a, user=staff, uploaded_file=upload, job_type="dnc")
        batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="dnc")
        return imports.import_store(batch=batch)

    return make


@pytest.fixture
def finished_trace(staff, team_a, live_sandbox, run_worker):
    """A Tracerfy normal trace of `n` owner rows, run to its end against the sandbox."""
    from tests.support.jobs import run_until_done
    from tests.support.rows import OWNER_HEADER, owner_rows
    from traces import services as trace_services

    def make(n: int = 12, *, start: int = 100, name: str = "owners.csv"):
        credits.grant(
            wallet=staff.wallet,
            amount=50,
            actor=None,
            reason="t",
            idempotency_key=f"trace-{name}-{start}",
        )
        body = table_csv([OWNER_HEADER, *owner_rows(n, start=start)])
        upload = SimpleUploadedFile(name, body, content_type="text/csv")
        batch = imports.import_upload(
            team=team_a, user=staff, uploaded_file=upload, job_type="trace_normal"
        )
        batch = imports.import_set_mapping(
            batch=batch, mapping=batch.mapping, job_type="trace_normal"
        )
        batch = imports.import_store(batch=batch)
        job = trace_services.trace_job_create(batch=batch, trace_type="normal", user=staff)
        done = run_until_done(job, run_worker)
        assert done.is_finished, done.error_message
        return done

    return make
