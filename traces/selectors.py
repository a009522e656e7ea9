from collections.abc import Iterator

from django.db.models import Count, Q, QuerySet

from leadops.imports.models import ImportRecord
from traces.models import MatchStatus, TraceJob, TraceResult


def trace_results(*, job: TraceJob) -> QuerySet[TraceResult]:
    return TraceResult.objects.filter(job=job).select_related("record").order_by("id")


def result_total(*, job: TraceJob) -> int:
    """Every result row the job has so far (the results table's unfiltered size)."""
    return TraceResult.objects.filter(job=job).count()


def result_counts(*, job: TraceJob) -> dict[str, int]:
    """Hits, misses and records without a result (counted apart), in one query."""
    return TraceResult.objects.filter(job=job, record__isnull=False).aggregate(
        hits=Count("pk", filter=Q(status=MatchStatus.HIT)),
        misses=Count("pk", filter=Q(status=MatchStatus.MISS)),
        no_result=Count("pk", filter=Q(status=MatchStatus.NO_RESULT)),
    )


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


def _dnc(phone: dict) -> str:
    """ "yes"/"no" where the provider reported a DNC flag, "" where it did not say."""
    if "dnc" not in phone:
        return ""
    return "yes" if phone["dnc"] else "no"


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
        return f"Not traced: duplicate of line {record.duplicate_of_line}"
    if not record.usable:
        return f"Not traced: unusable ({_problems(record)})"
    return "Not traced: not part of this trace"


def _result_cells(result: TraceResult | None, found: list[tuple[str, str]]) -> list:
    if result is None or result.status == MatchStatus.NO_RESULT:
        return [""] * (len(EXPORT_RESULT_COLUMNS) + len(found) + 3 * MAX_PHONES + MAX_EMAILS)
    phones = (result.phones or [])[:MAX_PHONES]
    emails = (result.emails or [])[:MAX_EMAILS]
    pad = [""] * (MAX_PHONES - len(phones))
    return [
        *[getattr(result, attr) for _, attr in EXPORT_RESULT_COLUMNS],
        *[(result.raw or {}).get(key, "") for _, key in found],
        *[p.get("number", "") for p in phones],
        *pad,
        *[p.get("type", "") for p in phones],
        *pad,
        *[_dnc(p) for p in phones],
        *pad,
        *emails,
        *[""] * (MAX_EMAILS - len(emails)),
    ]


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


def export_rows(*, job: TraceJob, results: QuerySet[TraceResult], every_row: bool = True):
    """Headers and rows of a trace's export.

    Every row of the uploaded file comes back in file order with its cells exactly as
    uploaded (``ImportRecord.cells``; ``leadops.exports`` then neutralises cells that would
    start a formula), followed by a status column saying what happened to it (hit, miss,
    no result and why, reused, unusable and why, duplicate of which line, not part of this
    trace), its line, and the results under "Result: …" headers. Provider rows that matched
    no input row follow at the end. With ``every_row=False`` (the results list was
    filtered) only the rows of ``results`` come back, in file order.
    """
    batch = job.batch
    found = PARCEL_EXPORT_COLUMNS if job.is_parcel else []
    blank = [""] * len(batch.headers)

    def row(record, result) -> list:
        return [
            *(_original(record, batch) if record is not None else blank),
            _status(record, result),
            record.line if record is not None else "",
            *_result_cells(result, found),
        ]

    def filtered() -> Iterator[list]:
        ordered = results.select_related("record").order_by("record__line", "id")
        for result in ordered.iterator(chunk_size=2000):
            yield row(result.record, result)

    def everything() -> Iterator[list]:
        attached = (
            results.filter(record__isnull=False).order_by("record__line").iterator(chunk_size=2000)
        )
        pending = next(attached, None)
        records = ImportRecord.objects.filter(batch=batch).order_by("line")
        for record in records.iterator(chunk_size=2000):
            result = None
            while pending is not None and pending.record_id == record.pk:
                result = pending
                pending = next(attached, None)
            yield row(record, result)
        for result in results.filter(record__isnull=True).order_by("id").iterator(2000):
            yield row(None, result)

    return export_headers(job=job), (everything() if every_row else filtered())
