"""Reading the search index: the header box's results and a record's page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from leadops.phones import DncStatus, dnc_statuses

from . import registry
from .models import SearchEntry
from .text import SearchQuery, parse_query, phone_digits

RESULTS = 50  # records shown for one query
ENTRIES = 200  # index rows read to make them (a record seen in many jobs has many rows)
RECORD_ENTRIES = 500
SHARED_PHONES = 30  # a record's phones looked up in other records


@dataclass(frozen=True)
class Seen:
    """One job a record appears in."""

    source: str
    title: str
    job_label: str
    job_url: str
    row_url: str
    note: str
    entry: SearchEntry


@dataclass
class Found:
    """One record (a property, or a phone without one) among the results."""

    record_key: str
    address: str = ""
    owners: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    apns: list[str] = field(default_factory=list)
    matched_on: list[str] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def add(self, entry: SearchEntry, seen: Seen, matched_on: list[str]) -> None:
        self.address = self.address or entry.address
        for owner in entry.owner.split(" · "):
            if owner and owner not in self.owners:
                self.owners.append(owner)
        for phone in entry.phone_list:
            if phone not in self.phones:
                self.phones.append(phone)
        if entry.apn and entry.apn not in self.apns:
            self.apns.append(entry.apn)
        for name in matched_on:
            if name not in self.matched_on:
                self.matched_on.append(name)
        self.seen.append(seen)


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    records: list[Found]
    more: bool  # there are more matches than shown: narrow the query


def _seen(entries: list[SearchEntry]) -> dict[int, Seen]:
    """Each entry's job, named and linked: one query per source present."""
    by_source: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        by_source[entry.source].add(entry.job_id)
    jobs = {}
    for name, ids in by_source.items():
        source = registry.source_named(name)
        if source is None:
            continue
        for job in source.model.objects.filter(pk__in=ids).select_related(*source.related):
            jobs[name, job.pk] = (source, str(job), job.get_absolute_url())
    seen = {}
    for entry in entries:
        known = jobs.get((entry.source, entry.job_id))
        if known is None:  # the job is gone, or its app no longer registers it
            continue
        source, label, url = known
        row_url = source.row_url(entry.job_id, entry.row_id) if source.row_url else ""
        seen[entry.pk] = Seen(entry.source, source.title, label, url, row_url, entry.note, entry)
    return seen


def search(*, team, text: str) -> SearchResults:
    """The team's records matching `text`, newest first, grouped by property (or phone)."""
    query = parse_query(text)
    if not query.ok:
        return SearchResults(query, [], False)
    entries = list(
        SearchEntry.objects.filter(team=team)
        .filter(query.condition())
        .order_by("-id")[: ENTRIES + 1]
    )
    more = len(entries) > ENTRIES
    entries = entries[:ENTRIES]
    seen = _seen(entries)
    records: dict[str, Found] = {}
    for entry in entries:
        if entry.pk not in seen:
            continue
        found = records.get(entry.record_key)
        if found is None:
            if len(records) >= RESULTS:
                more = True
                continue
            found = records[entry.record_key] = Found(entry.record_key)
        found.add(entry, seen[entry.pk], query.matched_on(entry.document))
    return SearchResults(query, list(records.values()), more)


@dataclass(frozen=True)
class PhoneSeen:
    number: str
    status: DncStatus
    sources: list[str]  # the section titles it was found in


@dataclass(frozen=True)
class Section:
    title: str
    empty: str
    items: list[Seen]


@dataclass
class RecordPage:
    found: Found
    sections: list[Section]  # one per registered source, in their order
    phones: list[PhoneSeen]
    shared: list[Found]  # other records holding one of its phones
    truncated: bool


def record(*, team, key: str) -> RecordPage | None:
    """Everything the team's jobs know of one record (`key` from a search result), or None."""
    entries = list(
        SearchEntry.objects.filter(team=team, record_key=key).order_by("-created_at", "-id")[
            : RECORD_ENTRIES + 1
        ]
    )
    if not entries:
        return None
    truncated = len(entries) > RECORD_ENTRIES
    entries = entries[:RECORD_ENTRIES]
    found = Found(key)
    seen = _seen(entries)
    sections: dict[str, list[Seen]] = defaultdict(list)
    phone_sources: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry.pk not in seen:
            continue
        found.add(entry, seen[entry.pk], [])
        sections[entry.source].append(seen[entry.pk])
        for phone in entry.phone_list:
            if seen[entry.pk].title not in phone_sources[phone]:
                phone_sources[phone].append(seen[entry.pk].title)
    statuses = dnc_statuses(team=team, numbers=found.phones)
    phones = [PhoneSeen(p, statuses[p], phone_sources[p]) for p in found.phones]
    return RecordPage(
        found=found,
        sections=[
            Section(source.title, source.empty, sections.get(source.name, []))
            for source in registry.sources()
        ],
        phones=phones,
        shared=_sharing(team=team, key=key, phones=found.phones[:SHARED_PHONES]),
        truncated=truncated,
    )


def _sharing(*, team, key: str, phones: list[str]) -> list[Found]:
    """The other records in which one of `phones` appears (a pasted DNC list, another
    property of the same owner)."""
    if not phones:
        return []
    condition = Q()
    for phone in phones:
        condition |= Q(document__contains=phone_digits(phone))
    entries = list(
        SearchEntry.objects.filter(team=team)
        .filter(condition)
        .exclude(record_key=key)
        .order_by("-id")[:ENTRIES]
    )
    seen = _seen(entries)
    records: dict[str, Found] = {}
    for entry in entries:
        if entry.pk in seen and (entry.record_key in records or len(records) < RESULTS):
            records.setdefault(entry.record_key, Found(entry.record_key)).add(
                entry, seen[entry.pk], ["phone"]
            )
    return list(records.values())
