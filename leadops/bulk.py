"""Fast bulk inserts: COPY on PostgreSQL, batched bulk_create elsewhere (SQLite in dev/tests).

    bulk_insert(TraceResult, ["team", "job", "record", "status", "phones"], rows)

`rows` yields tuples in the order of `fields` (foreign keys as ids, JSON fields as Python
objects). Must run inside the caller's transaction when all-or-nothing matters. On
PostgreSQL the connection is in COPY mode while `rows` is iterated: a generator that queries
the database itself would wait forever, so read such a source into a list first.

`bulk_upsert` is the same for rows that may already exist (insert, or update the row with
the same unique key), e.g. the DNC app's latest status per phone.
"""

import json
import uuid
from collections.abc import Iterable, Sequence

from django.db import connection, models, transaction
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
        return _copy(meta, model_fields, stamps, _defaults(meta, fields, stamps), rows)
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


def _defaults(meta, fields, stamps) -> list[tuple[models.Field, object]]:
    """Fields left out of `fields` and their Python defaults (a blank text field's is ""):
    the database has no default of its own (Django applies them in save()/bulk_create), so
    COPY must send them."""
    left = [
        f
        for f in meta.concrete_fields
        if f.name not in fields
        and f not in stamps
        and not f.primary_key
        and (f.has_default() or (f.empty_strings_allowed and not f.null))
    ]
    return [(f, f.get_db_prep_save(f.get_default(), connection)) for f in left]


def _copy(meta, model_fields, stamps, defaults, rows) -> int:
    quote = connection.ops.quote_name
    columns = [*model_fields, *stamps, *(f for f, _ in defaults)]
    sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) FROM STDIN"
    is_json = [isinstance(f, models.JSONField) for f in model_fields]
    now = timezone.now()
    tail = (*[now] * len(stamps), *(value for _, value in defaults))
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = [
                json.dumps(v) if j and v is not None else v
                for v, j in zip(row, is_json, strict=True)
            ]
            copy.write_row((*values, *tail))
            count += 1
    return count


def bulk_upsert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    *,
    unique: Sequence[str],
    newer: str | None = None,
) -> int:
    """Insert `rows` or, where a row with the same `unique` fields exists, update it — only
    if the incoming `newer` field is at least the stored one (so an older result never
    overwrites a newer), when `newer` is given. `rows` must not repeat a unique key.

    PostgreSQL: COPY into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO
    UPDATE``. Elsewhere: the same statement with ``executemany`` in batches (SQLite ≥ 3.24).
    Returns the number of rows given. Runs in its own (or the caller's) transaction.
    """
    meta = model._meta
    quote = connection.ops.quote_name
    model_fields = [meta.get_field(name) for name in fields]
    columns = [quote(f.column) for f in model_fields]
    keys = [quote(meta.get_field(name).column) for name in unique]
    updates = [c for c, f in zip(columns, model_fields, strict=True) if f.name not in unique]
    table = quote(meta.db_table)
    conflict = (
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in updates)
        + (
            f" WHERE {table}.{quote(meta.get_field(newer).column)} "
            f"<= EXCLUDED.{quote(meta.get_field(newer).column)}"
            if newer
            else ""
        )
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _upsert_copy(table, columns, model_fields, conflict, rows)
        # Identifiers come from the model and are quoted; values go as parameters.
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
            f"({', '.join(['%s'] * len(columns))}) {conflict}"
        )
        count, chunk = 0, []
        with connection.cursor() as cursor:
            for row in rows:
                chunk.append(
                    [
                        f.get_db_prep_save(v, connection)
                        for f, v in zip(model_fields, row, strict=True)
                    ]
                )
                if len(chunk) >= BATCH:
                    cursor.executemany(sql, chunk)
                    count, chunk = count + len(chunk), []
            if chunk:
                cursor.executemany(sql, chunk)
                count += len(chunk)
        return count


def _upsert_copy(table, columns, model_fields, conflict, rows) -> int:
    staging = connection.ops.quote_name(f"_upsert_{uuid.uuid4().hex[:12]}")
    listed = ", ".join(columns)
    is_json = [isinstance(f, models.JSONField) for f in model_fields]
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {listed} FROM {table} "  # noqa: S608
            "WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {staging} ({listed}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(v) if j and v is not None else v
                        for v, j in zip(row, is_json, strict=True)
                    ]
                )
                count += 1
        cursor.execute(
            f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {staging} {conflict}"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {staging}")
    return count
