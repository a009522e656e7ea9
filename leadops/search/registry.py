"""What the search index is made of: each feature app registers its finished jobs' rows.

A source names a `PaidJob` model and a function reading one finished job as `IndexRow`s,
the same fields whatever the app (the property address, the owner names, the phones, the
APN). Apps register from their `AppConfig.ready()`, so this package never imports them;
`services.search_index_job` turns the rows into `SearchEntry` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class IndexRow:
    """One record of a job, in the words the index needs."""

    row_id: int
    street: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    owners: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # any spelling; kept when a 10-digit US number
    apn: str = ""
    note: str = ""  # the source's word on the row ("Hit", "Federal DNC", "Sent")


@dataclass(frozen=True)
class SearchSource:
    name: str  # stored in SearchEntry.source: never renamed once used
    title: str  # the record page's section ("Skip traces")
    model: type  # the PaidJob model whose finished jobs are indexed
    rows: Callable[[object], Iterable[IndexRow]]
    row_url: Callable[[int, int], str] | None = None  # (job_id, row_id) -> a row's own page
    related: tuple[str, ...] = ()  # what the job's name reads (select_related), e.g. "batch"
    empty: str = ""  # the record page's words when the record is in none of these jobs
    position: int = 0  # the record page shows its sections in this order


_SOURCES: dict[str, SearchSource] = {}


def register(source: SearchSource) -> None:
    _SOURCES[source.name] = source


def sources() -> list[SearchSource]:
    return sorted(_SOURCES.values(), key=lambda source: source.position)


def source_named(name: str) -> SearchSource | None:
    return _SOURCES.get(name)


def source_for_model(model: type) -> SearchSource | None:
    return next((s for s in _SOURCES.values() if s.model is model), None)
