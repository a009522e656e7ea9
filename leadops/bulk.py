"""Fast bulk inserts: COPY on PostgreSQL, batched bulk_create elsewhere (SQLite in dev/tests).

    bulk_insert(TraceResult, ["team", "job", "record", "status", "phones"], rows)

`rows` yields tuples in the order of `fields` (foreign keys as ids, JSON fields as Python
objects). Must run inside the caller's transaction when all-or-nothing matters.
"""

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.utils import timezone

BATCH = 2000


def bulk_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    # auto_now_add is applied by save()/bulk_create, not by COPY: fill it in ourselves.
    stamps = [
        f
        for f in meta.concrete_fields
        if getattr(f, "auto_now_add", False) and f.name not in fields
    ]
    if connection.vendor == "postgresql":
        return _copy(meta, model_fields, stamps, rows)
    count, chunk = 0, []
    now = timezone.now()
    for row in rows:
        values = {f.attname: value for f, value in zip(model_fields, row, strict=True)}
        values.update({f.attname: now for f in stamps})
        chunk.append(model(**values))
        if len(chunk) >= BATCH:
            model.objects.bulk_create(chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        model.objects.bulk_create(chunk)
        count += len(chunk)
    return count


def _copy(meta, model_fields, stamps, rows) -> int:
    quote = connection.ops.quote_name
    columns = [*model_fields, *stamps]
    sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) FROM STDIN"
    is_json = [isinstance(f, models.JSONField) for f in model_fields]
    now = timezone.now()
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = [
                json.dumps(v) if j and v is not None else v
                for v, j in zip(row, is_json, strict=True)
            ]
            copy.write_row((*values, *[now] * len(stamps)))
            count += 1
    return count
