"""Filling the search index: a finished job's rows, replaced as a whole and in bulk.

`job_complete` queues `search_index_queue(job)` (RQ, queue `low`, after the commit) for
every job kind a feature app registered; the cron's sweep (`search_index_sweep`) queues any
finished job that has no `IndexedJob` yet (Redis was down, a worker died), and
`manage.py search_reindex` rebuilds everything. Indexing a job again replaces its entries.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from itertools import islice

from django.db import transaction
from django.utils import timezone

from leadops.bulk import bulk_insert
from leadops.jobs.models import FINISHED
from leadops.jobs.queueing import enqueue_step

from . import registry
from .models import IndexedJob, SearchEntry
from .text import indexed

log = logging.getLogger(__name__)

ENTRY_FIELDS = (
    "team_id",
    "source",
    "job_id",
    "row_id",
    "record_key",
    "address",
    "owner",
    "apn",
    "phones",
    "note",
    "document",
    "created_at",
)
CHUNK = 5000
SWEEP_DAYS = 7  # how far back the sweep looks for finished jobs missing from the index


def _entries(source: registry.SearchSource, job, when):
    for row in source.rows(job):
        entry = indexed(row)
        if entry is None:
            continue
        yield (
            job.team_id,
            source.name,
            job.pk,
            row.row_id,
            entry.record_key,
            entry.address,
            entry.owner,
            entry.apn,
            entry.phones,
            row.note[:60],
            entry.document,
            when,
        )


def search_index_job(*, job) -> int:
    """Put a finished job's rows in the index (replacing any earlier ones); returns how many
    entries it has. A job kind no app registered, or a job not finished, is left alone."""
    source = registry.source_for_model(type(job))
    if source is None or job.status not in FINISHED:
        return 0
    when = job.completed_at or timezone.now()
    rows = _entries(source, job, when)
    stored = 0
    with transaction.atomic():
        SearchEntry.objects.filter(source=source.name, job_id=job.pk).delete()
        while chunk := list(islice(rows, CHUNK)):
            stored += bulk_insert(SearchEntry, ENTRY_FIELDS, chunk)
        IndexedJob.objects.update_or_create(
            source=source.name,
            job_id=job.pk,
            defaults={"rows": stored, "indexed_at": timezone.now()},
        )
    return stored


def search_index_queue(*, job) -> None:
    """Index `job` in the background once the current transaction commits."""
    source = registry.source_for_model(type(job))
    if source is None:
        return
    enqueue_step(
        "leadops.search.tasks.index_job",
        source.name,
        job.pk,
        job_id=f"search-index-{source.name}-{job.pk}",
        queue="low",
    )


def search_index_sweep(*, now=None) -> int:
    """Queue the finished jobs of the last SWEEP_DAYS that are not in the index yet."""
    since = (now or timezone.now()) - timedelta(days=SWEEP_DAYS)
    queued = 0
    for source in registry.sources():
        done = IndexedJob.objects.filter(source=source.name).values("job_id")
        missing = source.model.objects.filter(status__in=FINISHED, completed_at__gte=since)
        for job in missing.exclude(pk__in=done).only("pk", "team_id", "status"):
            search_index_queue(job=job)
            queued += 1
    return queued


def search_reindex(*, team=None) -> dict[str, int]:
    """Index every finished job again (of one team, or all): entries per source."""
    counts: dict[str, int] = {}
    for source in registry.sources():
        jobs = source.model.objects.filter(status__in=FINISHED).order_by("pk")
        if team is not None:
            jobs = jobs.filter(team=team)
        counts[source.name] = sum(search_index_job(job=job) for job in jobs.iterator())
    return counts
