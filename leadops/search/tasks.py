"""RQ entry points of the search index."""

from __future__ import annotations

from . import registry, services


def index_job(source_name: str, job_id: int) -> int:
    source = registry.source_named(source_name)
    if source is None:
        return 0
    job = source.model.objects.filter(pk=job_id).first()
    return services.search_index_job(job=job) if job is not None else 0


def sweep() -> int:
    return services.search_index_sweep()
