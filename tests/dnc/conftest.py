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
def live_sandbox(sandbox, live_server, rq_redis, settings):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    sandbox.control.webhook_url(f"{live_server.url}/webhooks/tracerfy/{settings.WEBHOOK_TOKEN}/")
    return sandbox


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
