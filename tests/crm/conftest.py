import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadops.credits import services as credits
from leadops.imports import services as imports
from leadops.jobs.models import JobStatus
from tests.dnc.conftest import phone_batch  # noqa: F401 (a fixture these tests share)
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces.models import MatchStatus, TraceJob, TraceResult


@pytest.fixture
def crm_sandbox(sandbox, rq_redis, settings):
    """The sandbox as the CRM (its received-data endpoint tells what arrived)."""
    settings.CRM_ENABLED = True
    settings.CRM_BASE_URL = sandbox.urls["crm"].rsplit("/", 1)[0] + "/"
    return sandbox


@pytest.fixture
def owners_batch(staff, team_a):
    """An owner upload stored through the import services, as a user makes one."""

    def make(n: int, *, start: int = 100, name: str = "owners.csv"):
        body = table_csv([OWNER_HEADER, *owner_rows(n, start=start)])
        upload = SimpleUploadedFile(name, body, content_type="text/csv")
        batch = imports.import_upload(
            team=team_a, user=staff, uploaded_file=upload, job_type="trace_normal"
        )
        batch = imports.import_set_mapping(
            batch=batch, mapping=batch.mapping, job_type="trace_normal"
        )
        return imports.import_store(batch=batch)

    return make


def traced_phone(n: int) -> str:
    area, rest = divmod(n, 100)
    return f"{512 + area}55501{rest:02d}"


@pytest.fixture
def hits_trace(staff, owners_batch):
    """A complete trace of `n` owners, every one a hit with two phones and an email (made
    directly: the tests here are about what is pushed, not about tracing)."""

    def make(n: int = 10, *, start: int = 100, **results):
        batch = owners_batch(n, start=start, name=f"owners-{start}.csv")
        job = TraceJob.objects.create(
            team=batch.team,
            created_by=staff,
            batch=batch,
            trace_type="normal",
            provider="tracerfy",
            status=JobStatus.COMPLETE,
            records_sent=n,
        )
        TraceResult.objects.bulk_create(
            TraceResult(
                team=batch.team,
                job=job,
                record=record,
                match_key=str(record.pk),
                status=MatchStatus.HIT,
                first_name=record.values.get("owner_first_name", ""),
                last_name=record.values.get("owner_last_name", ""),
                mail_address=record.values.get("mailing_address", ""),
                mail_city="Springfield",
                mail_state="IL",
                mail_zip="62701",
                phones=[
                    {"number": traced_phone(2 * i), "type": "Mobile"},
                    {"number": traced_phone(2 * i + 1), "type": "Landline"},
                ],
                emails=[f"owner{i}@example.com"],
                **results,
            )
            for i, record in enumerate(batch.records.order_by("line"))
        )
        return job

    return make


@pytest.fixture
def funded(staff):
    credits.grant(wallet=staff.wallet, amount=500, actor=None, reason="t", idempotency_key="crm")
    return staff
