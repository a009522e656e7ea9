from django.db.models import Count, Q, QuerySet

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


EXPORT_RESULT_COLUMNS = [
    ("Result", "status"),
    ("Why no result", "no_result_note"),
    ("Owner first name", "first_name"),
    ("Owner last name", "last_name"),
    ("Mailing address", "mail_address"),
    ("Mailing city", "mail_city"),
    ("Mailing state", "mail_state"),
    ("Primary phone", "primary_phone"),
    ("Primary phone type", "primary_phone_type"),
]


def _original(record, mapping: dict) -> dict:
    """The record's columns as uploaded: mapped ones cleaned, unmapped ones kept as they were."""
    return {
        header: record.extras.get(header, "") if field == "extra" else record.values.get(field, "")
        for header, field in mapping.items()
    }


# What an APN trace finds besides the owner: the parcel's property address (kept in raw).
PARCEL_EXPORT_COLUMNS = [
    ("Property address (found)", "property_address"),
    ("Property city (found)", "property_city"),
    ("Property state (found)", "property_state"),
    ("Property ZIP (found)", "property_zip"),
]


def _dnc(phone: dict) -> str:
    """ "yes"/"no" where the provider reported a DNC flag, "" where it did not say."""
    if "dnc" not in phone:
        return ""
    return "yes" if phone["dnc"] else "no"


def _result_value(result: TraceResult, attr: str):
    if attr == "no_result_note":
        # Why a record got no result ("no result received: …"); "" for every other row.
        if result.status != MatchStatus.NO_RESULT:
            return ""
        return str((result.raw or {}).get("note", "no result received"))
    return getattr(result, attr)


def export_rows(*, job: TraceJob, results: QuerySet[TraceResult]):
    """Headers and rows: the original columns (mapped + kept extras), then the results."""
    batch = job.batch
    source = [h for h in batch.headers]
    max_phones, max_emails = 5, 3
    found = PARCEL_EXPORT_COLUMNS if job.is_parcel else []
    headers = [
        "Line",
        *source,
        *[label for label, _ in EXPORT_RESULT_COLUMNS],
        *[label for label, _ in found],
        *[f"Phone {n}" for n in range(1, max_phones + 1)],
        *[f"Phone {n} type" for n in range(1, max_phones + 1)],
        *[f"Phone {n} DNC" for n in range(1, max_phones + 1)],
        *[f"Email {n}" for n in range(1, max_emails + 1)],
        "Reused",
    ]

    def rows():
        for result in results.iterator(chunk_size=2000):
            record = result.record
            original = _original(record, batch.mapping) if record else {}
            phones = (result.phones or [])[:max_phones]
            emails = (result.emails or [])[:max_emails]
            yield [
                record.line if record else "",
                *[original.get(h, "") for h in source],
                *[_result_value(result, attr) for _, attr in EXPORT_RESULT_COLUMNS],
                *[(result.raw or {}).get(key, "") for _, key in found],
                *[p.get("number", "") for p in phones],
                *[""] * (max_phones - len(phones)),
                *[p.get("type", "") for p in phones],
                *[""] * (max_phones - len(phones)),
                *[_dnc(p) for p in phones],
                *[""] * (max_phones - len(phones)),
                *emails,
                *[""] * (max_emails - len(emails)),
                "yes" if result.reused_from_id else "",
            ]

    return headers, rows()
