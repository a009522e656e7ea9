"""CRM test sources: a finished trace whose hits have phones and emails, and DNC answers."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dnc.services import phone_status_store
from leadops.imports import services as imports
from leadops.jobs.models import JobStatus
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces.models import MatchStatus, TraceJob, TraceResult


def point_crm_at(sandbox, settings) -> None:
    """Make the sandbox the CRM (its received-data endpoint tells what arrived)."""
    settings.CRM_ENABLED = True
    settings.CRM_BASE_URL = sandbox.urls["crm"].rsplit("/", 1)[0] + "/"


def _stored_batch(team, user, n: int, name: str = "owners.csv"):
    upload = SimpleUploadedFile(
        name, table_csv([OWNER_HEADER, *owner_rows(n)]), content_type="text/csv"
    )
    batch = imports.import_upload(
        team=team, user=user, uploaded_file=upload, job_type="trace_normal"
    )
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    return imports.import_store(batch=batch)


def phone(n: int) -> str:
    return f"512555{n:04d}"


def scrubbed(team, *checks):
    """Store DNC answers: (phone, flag or "" for clean, days since the check)."""
    flags = ("national_dnc", "state_dnc", "dma", "litigator")
    phone_status_store(
        team_id=team.pk,
        rows=[
            (
                f"+1{number}",
                {**{f: f == flag for f in flags}, "is_clean": not flag},
                "Mobile",
                timezone.now() - timedelta(days=days),
                "test",
            )
            for number, flag, days in checks
        ],
    )


def finished_trace(
    team,
    user,
    n: int = 6,
    *,
    status=JobStatus.COMPLETE,
    misses: int = 0,
    email_every: int = 2,
    name: str = "",
):
    """A trace of `n` owners: the first `n - misses` hits with two phones, one in
    `email_every` of them with an email; the rest misses."""
    batch = _stored_batch(team, user, n, name=name or f"owners-{n}.csv")
    job = TraceJob.objects.create(
        team=team,
        created_by=user,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        status=status,
        records_sent=n,
        hits=n - misses,
    )
    results = []
    for i, record in enumerate(batch.records.order_by("line")):
        hit = i < n - misses
        results.append(
            TraceResult(
                team=team,
                job=job,
                record=record,
                match_key=str(record.pk),
                status=MatchStatus.HIT if hit else MatchStatus.MISS,
                first_name=record.values.get("owner_first_name", "") if hit else "",
                last_name=record.values.get("owner_last_name", "") if hit else "",
                mail_address=record.values.get("mailing_address", "") if hit else "",
                mail_city="Springfield",
                mail_state="IL",
                mail_zip="62701",
                phones=[
                    {"number": phone(2 * i), "type": "Mobile"},
                    {"number": phone(2 * i + 1), "type": "Landline"},
                ]
                if hit
                else [],
                emails=[f"owner{i}@example.com"] if hit and i % email_every == 0 else [],
                has_mobile=hit,
                has_email=hit and i % email_every == 0,
            )
        )
    TraceResult.objects.bulk_create(results)
    return job
