import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dnc import services as dnc_services
from leadops.imports import services as imports
from leadops.jobs.models import JobStatus
from leadops.search.services import search_index_job
from tests.support.crm import finished_trace
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces.models import MatchStatus, TraceJob, TraceResult


def finish(job):
    """Mark a draft or running job complete (the tests here are about what is found)."""
    type(job).objects.filter(pk=job.pk).update(
        status=JobStatus.COMPLETE, completed_at=timezone.now()
    )
    job.refresh_from_db()
    return job


@pytest.fixture
def indexed_trace(staff, team_a):
    """A finished trace of `n` Springfield owners (the first `n - misses` hits with the
    phones 512555{2i:04d} and 512555{2i+1:04d}), indexed."""

    def make(n=6, *, misses=2, name="owners.csv", team=None, user=None):
        job = finished_trace(team or team_a, user or staff, n, misses=misses, name=name)
        search_index_job(job=job)
        return job

    return make


@pytest.fixture
def parcel_misses(staff, team_a):
    """A finished trace of uploaded rows with an APN column, every record a miss, indexed."""

    def make(apns):
        header = [*OWNER_HEADER, "APN"]
        rows = [
            [*row, apn] for row, apn in zip(owner_rows(len(apns), start=700), apns, strict=True)
        ]
        upload = SimpleUploadedFile(
            "parcels.csv", table_csv([header, *rows]), content_type="text/csv"
        )
        batch = imports.import_upload(
            team=team_a, user=staff, uploaded_file=upload, job_type="trace_normal"
        )
        batch = imports.import_set_mapping(
            batch=batch, mapping=batch.mapping, job_type="trace_normal"
        )
        batch = imports.import_store(batch=batch)
        job = TraceJob.objects.create(
            team=team_a,
            created_by=staff,
            batch=batch,
            trace_type="normal",
            provider="tracerfy",
            status=JobStatus.COMPLETE,
            records_sent=len(apns),
        )
        TraceResult.objects.bulk_create(
            TraceResult(
                team=team_a,
                job=job,
                record=record,
                match_key=str(record.pk),
                status=MatchStatus.MISS,
            )
            for record in batch.records.all()
        )
        search_index_job(job=job)
        return job

    return make


@pytest.fixture
def indexed_list(staff, team_a):
    """A finished DNC scrub of a pasted list, indexed."""

    def make(text, *, team=None, user=None):
        draft = dnc_services.dnc_draft_from_list(team=team or team_a, user=user or staff, text=text)
        job = finish(draft)
        search_index_job(job=job)
        return job

    return make
