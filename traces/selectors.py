from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.core.cache import cache
from django.db.models import Count, Func, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from leadops.imports.models import ImportRecord
from leadops.jobs.models import ACTIVE, FINISHED
from leadops.phones import NOT_SCRUBBED, DncStatus, dnc_statuses, us_e164
from traces.models import MatchStatus, TraceJob, TraceProvider, TraceResult

# Results read (and their phones' DNC statuses looked up) this many at a time.
CHUNK = 2000


def trace_results(*, job: TraceJob) -> QuerySet[TraceResult]:
    return TraceResult.objects.filter(job=job).select_related("record").order_by("id")


def result_counts(*, job: TraceJob) -> dict[str, int]:
    """Hits, misses and records without a result (counted apart), and every result row
    (the results table's unfiltered size, so its pager need not count them again), in one
    query. A finished job's results no longer change: its counts are kept in the cache
    under the job's last update, so its page and every page of its results do not count
    100,000 rows again (a running job's are counted on each poll)."""
    if not job.is_terminal:
        return _result_counts(job)
    key = f"trace-result-counts:{job.pk}:{job.status}:{job.updated_at.timestamp()}"
    return cache.get_or_set(key, lambda: _result_counts(job), timeout=24 * 3600)


def _result_counts(job: TraceJob) -> dict[str, int]:
    matched = Q(record__isnull=False)
    return TraceResult.objects.filter(job=job).aggregate(
        hits=Count("pk", filter=matched & Q(status=MatchStatus.HIT)),
        misses=Count("pk", filter=matched & Q(status=MatchStatus.MISS)),
        no_result=Count("pk", filter=matched & Q(status=MatchStatus.NO_RESULT)),
        results=Count("pk"),
    )


def result_numbers(results: Iterable[TraceResult], *, first: int | None = None) -> set[str]:
    """Every phone number the results hold (only each one's `first` phones if given), as
    stored."""
    return {
        str(phone.get("number", ""))
        for result in results
        for phone in (result.phones or [])[:first]
        if phone.get("number")
    }


def results_dnc_statuses(
    *, team, results: Iterable[TraceResult], first: int | None = None
) -> dict[str, DncStatus]:
    """What the team knows of each phone of `results` (only each one's `first` phones if
    given; keyed by the number as stored; absent numbers are not scrubbed), in one lookup:
    never one per row."""
    return dnc_statuses(team=team, numbers=result_numbers(results, first=first))


def phone_status(phone: dict, statuses: dict[str, DncStatus]) -> DncStatus:
    """The status of one stored phone of a result in a lookup's answer."""
    return statuses.get(str(phone.get("number", "")), NOT_SCRUBBED)


@dataclass(frozen=True)
class DncCounts:
    """A trace's unique phones by what the team knows of them; each phone counts once."""

    clean: int = 0  # clean and checked within DNC_FRESH_DAYS: the only dialable ones
    flagged: int = 0  # federal, state, DMA, litigator (fresh) or on the internal list
    stale: int = 0  # last checked before the freshness window, whatever it said then
    not_scrubbed: int = 0
    invalid: int = 0  # not a US number: never scrubbed

    @property
    def total(self) -> int:
        return self.clean + self.flagged + self.stale + self.not_scrubbed + self.invalid


def trace_dnc_counts(*, job: TraceJob) -> DncCounts:
    """The job's unique phones (by E.164) counted by DNC status, looked up in one go (the DNC
    source reads them in chunks): fine for a trace with tens of thousands of phones."""
    phones: set[str] = set()
    invalid: set[str] = set()
    stored = TraceResult.objects.filter(job=job).values_list("phones", flat=True)
    for result_phones in stored.iterator(chunk_size=CHUNK):
        for phone in result_phones or ():
            number = str(phone.get("number", ""))
            if number:
                e164 = us_e164(number)
                (phones if e164 else invalid).add(e164 or number)
    counts = Counter(
        "stale"
        if status.stale
        else "clean"
        if status.dialable
        else "flagged"
        if status.outcome
        else "not_scrubbed"
        for status in dnc_statuses(team=job.team_id, numbers=phones).values()
    )
    return DncCounts(**counts, invalid=len(invalid))


# The results, appended after the user's own columns under headers of their own.
RESULT_PREFIX = "Result: "
EXPORT_RESULT_COLUMNS = [
    ("Owner first name", "first_name"),
    ("Owner last name", "last_name"),
    ("Mailing address", "mail_address"),
    ("Mailing city", "mail_city"),
    ("Mailing state", "mail_state"),
    ("Mailing ZIP", "mail_zip"),
]
# What an APN trace finds besides the owner: the parcel's property address (kept in raw).
PARCEL_EXPORT_COLUMNS = [
    ("Property address", "property_address"),
    ("Property city", "property_city"),
    ("Property state", "property_state"),
    ("Property ZIP", "property_zip"),
]
MAX_PHONES, MAX_EMAILS = 5, 3
STATUS_HEADER = "LeadOps status"
LINE_HEADER = "LeadOps line"


def _original(record: ImportRecord, batch) -> list[str]:
    """The row's cells as uploaded; records stored before cells were kept fall back to
    their cleaned values and kept extras."""
    width = len(batch.headers)
    if record.cells:
        cells = [str(cell) for cell in record.cells[:width]]
        return cells + [""] * (width - len(cells))
    return [
        record.extras.get(header, "")
        if batch.mapping.get(header, "extra") == "extra"
        else record.values.get(batch.mapping.get(header), "")
        for header in batch.headers
    ]


def _problems(record: ImportRecord) -> str:
    return "; ".join(f"{e.get('column', '')}: {e.get('reason', '')}" for e in record.errors or [])


def _status(record: ImportRecord | None, result: TraceResult | None) -> str:
    """Why a row was or was not traced, in words."""
    if result is not None:
        if result.status == MatchStatus.HIT:
            return "Hit (reused from an earlier trace, free)" if result.reused_from_id else "Hit"
        if result.status == MatchStatus.MISS:
            note = (result.raw or {}).get("note")
            return f"Miss: {note}" if note else "Miss: the provider found no contact"
        if result.status == MatchStatus.NO_RESULT:
            note = str((result.raw or {}).get("note", "") or "no answer came")
            note = note.removeprefix("no result received").lstrip(": ") or "no answer came"
            return f"No result received: {note}"
        return "Provider row that matched no input row (kept aside)"
    if record is None:
        return ""
    if record.is_duplicate:
        return f"Not traced: duplicate of line {record.duplicate_of_line:,}"
    if not record.usable:
        return f"Not traced: unusable ({_problems(record)})"
    return "Not traced: not part of this trace"


def dialable_phones(result: TraceResult, statuses: dict[str, DncStatus]) -> list[dict]:
    """The result's phones that are clean and fresh, best first."""
    return [phone for phone in result.phones or () if phone_status(phone, statuses).dialable]


def _result_cells(
    result: TraceResult | None,
    found: list[tuple[str, str]],
    statuses: dict[str, DncStatus],
    clean_only: bool,
) -> list:
    if result is None or result.status == MatchStatus.NO_RESULT:
        return [""] * (len(EXPORT_RESULT_COLUMNS) + len(found) + 3 * MAX_PHONES + MAX_EMAILS)
    phones = dialable_phones(result, statuses) if clean_only else (result.phones or [])
    phones = phones[:MAX_PHONES]
    emails = (result.emails or [])[:MAX_EMAILS]
    pad = [""] * (MAX_PHONES - len(phones))
    return [
        *[getattr(result, attr) for _, attr in EXPORT_RESULT_COLUMNS],
        *[(result.raw or {}).get(key, "") for _, key in found],
        *[p.get("number", "") for p in phones],
        *pad,
        *[p.get("type", "") for p in phones],
        *pad,
        *[phone_status(p, statuses).text for p in phones],
        *pad,
        *emails,
        *[""] * (MAX_EMAILS - len(emails)),
    ]


def _with_statuses(
    pairs: Iterator[tuple[ImportRecord | None, TraceResult | None]], *, team, first: int | None
) -> Iterator[tuple[ImportRecord | None, TraceResult | None, dict[str, DncStatus]]]:
    """Each (record, result) pair with the DNC statuses of its chunk's phones (each result's
    `first` ones if given): one lookup per CHUNK rows, however long the export."""
    while chunk := list(islice(pairs, CHUNK)):
        statuses = results_dnc_statuses(
            team=team, results=(result for _, result in chunk if result is not None), first=first
        )
        for record, result in chunk:
            yield record, result, statuses


def export_headers(*, job: TraceJob) -> list[str]:
    found = PARCEL_EXPORT_COLUMNS if job.is_parcel else []
    result_labels = [
        *[label for label, _ in EXPORT_RESULT_COLUMNS],
        *[f"{label} (found)" for label, _ in found],
        *[f"Phone {n}" for n in range(1, MAX_PHONES + 1)],
        *[f"Phone {n} type" for n in range(1, MAX_PHONES + 1)],
        *[f"Phone {n} DNC" for n in range(1, MAX_PHONES + 1)],
        *[f"Email {n}" for n in range(1, MAX_EMAILS + 1)],
    ]
    return [
        *job.batch.headers,
        STATUS_HEADER,
        LINE_HEADER,
        *[RESULT_PREFIX + label for label in result_labels],
    ]


def export_rows(
    *,
    job: TraceJob,
    results: QuerySet[TraceResult],
    every_row: bool = True,
    clean_only: bool = False,
):
    """Headers and rows of a trace's export.

    Every row of the uploaded file comes back in file order with its cells exactly as
    uploaded (``ImportRecord.cells``; ``leadops.exports`` then neutralises cells that would
    start a formula), followed by a status column saying what happened to it (hit, miss,
    no result and why, reused, unusable and why, duplicate of which line, not part of this
    trace), its line, and the results under "Result: …" headers; each phone's DNC column
    says what the team knows of it ("Clean (2026-11-30)", "Stale: Clean (…)", "Not
    scrubbed"), looked up per chunk of rows. Provider rows that matched no input row follow
    at the end. With ``every_row=False`` (the results list was filtered) only the rows of
    ``results`` come back, in file order. With ``clean_only`` only clean, fresh phones are
    written (the others dropped, the rest moved up) and rows without one are left out.
    """
    batch = job.batch
    found = PARCEL_EXPORT_COLUMNS if job.is_parcel else []
    blank = [""] * len(batch.headers)

    def row(record, result, statuses) -> list:
        return [
            *(_original(record, batch) if record is not None else blank),
            _status(record, result),
            record.line if record is not None else "",
            *_result_cells(result, found, statuses, clean_only),
        ]

    def filtered() -> Iterator[tuple]:
        ordered = results.select_related("record").order_by("record__line", "id")
        for result in ordered.iterator(chunk_size=CHUNK):
            yield result.record, result

    def everything() -> Iterator[tuple]:
        attached = (
            results.filter(record__isnull=False).order_by("record__line").iterator(chunk_size=CHUNK)
        )
        pending = next(attached, None)
        records = ImportRecord.objects.filter(batch=batch).order_by("line")
        for record in records.iterator(chunk_size=CHUNK):
            result = None
            while pending is not None and pending.record_id == record.pk:
                result = pending
                pending = next(attached, None)
            yield record, result
        for result in results.filter(record__isnull=True).order_by("id").iterator(CHUNK):
            yield None, result

    def rows() -> Iterator[list]:
        pairs = everything() if every_row else filtered()
        # A clean-only export looks at every phone (a clean sixth one moves up into the five
        # columns); a full one writes the first five only.
        first = None if clean_only else MAX_PHONES
        for record, result, statuses in _with_statuses(pairs, team=job.team_id, first=first):
            if clean_only and (result is None or not dialable_phones(result, statuses)):
                continue
            yield row(record, result, statuses)

    return export_headers(job=job), rows()


@dataclass(frozen=True)
class ProviderFigures:
    """The team's traces on one provider (or all of them): what the overview's cards show."""

    provider: str
    jobs: int = 0
    running: int = 0
    records_sent: int = 0
    records_reused: int = 0
    hits: int = 0
    charged: int = 0

    @property
    def hit_rate(self) -> float | None:
        """Hits per record sent, as a percentage (None before anything was sent)."""
        return round(100 * self.hits / self.records_sent, 1) if self.records_sent else None


def team_trace_figures(*, team) -> tuple[ProviderFigures, list[ProviderFigures]]:
    """The team's own trace figures, in total and per provider, every job kind (normal,
    advanced, APN) counted: one grouped query. Hits and records count finished jobs only."""
    rows = (
        TraceJob.objects.filter(team=team)
        .values("provider")
        .annotate(
            jobs=Count("pk"),
            running=Count("pk", filter=Q(status__in=ACTIVE)),
            records_sent=Sum("records_sent", filter=Q(status__in=FINISHED)),
            records_reused=Sum("records_reused", filter=Q(status__in=FINISHED)),
            hits=Sum("hits", filter=Q(status__in=FINISHED)),
            charged=Sum("charged_credits"),
        )
        .order_by("provider")
    )
    labels = dict(TraceProvider.choices)
    keys = ("jobs", "running", "records_sent", "records_reused", "hits", "charged")
    per_provider = [
        ProviderFigures(
            provider=labels.get(row["provider"], row["provider"]),
            **{key: row[key] or 0 for key in keys},
        )
        for row in rows
    ]
    total = ProviderFigures(
        provider="All providers",
        **{key: sum(getattr(figures, key) for figures in per_provider) for key in keys},
    )
    return total, per_provider


class JsonArrayLength(Func):
    """The number of elements of a JSON array column (PostgreSQL's jsonb, SQLite's JSON1)."""

    function = "json_array_length"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="jsonb_array_length", **extra)


def hits_by_week(*, team, weeks: int = 12) -> list[dict]:
    """Per week (Monday, local time) of the team's stored trace results: hits, misses, the
    hit rate and the phones found per hit; one grouped query."""
    since = timezone.now() - timedelta(weeks=weeks)
    hit = Q(status=MatchStatus.HIT)
    rows = (
        TraceResult.objects.filter(
            team=team, created_at__gte=since, status__in=[MatchStatus.HIT, MatchStatus.MISS]
        )
        .annotate(week=TruncWeek("created_at", tzinfo=timezone.get_current_timezone()))
        .values("week")
        .annotate(
            hits=Count("pk", filter=hit),
            misses=Count("pk", filter=~hit),
            phones=Sum(JsonArrayLength("phones"), filter=hit),
        )
        .order_by("week")
    )
    weekly = []
    for row in rows:
        hits, misses, phones = row["hits"], row["misses"], row["phones"] or 0
        weekly.append(
            {
                "week": row["week"].date() if hasattr(row["week"], "date") else row["week"],
                "hits": hits,
                "misses": misses,
                "hit_rate": round(100 * hits / (hits + misses), 1) if hits + misses else 0.0,
                "phones_per_hit": round(phones / hits, 2) if hits else 0.0,
            }
        )
    return weekly
