"""Fast bulk inserts: COPY on PostgreSQL, one INSERT run for many rows elsewhere (SQLite in
dev/tests), without building model instances.

    bulk_insert(TraceResult, ["team", "job", "record", "status", "phones"], rows)

`rows` yields tuples in the order of `fields` (foreign keys as ids, JSON fields as Python
objects, or as ``JsonText``: JSON already encoded, stored as it is). Fields left out get
what ``Model()`` would give them (their default, "" for a text field without one, now for
auto_now/auto_now_add) on every database. Must run inside the caller's transaction when
all-or-nothing matters.

`bulk_upsert` is the same for rows that may already exist (insert, or update the row with
the same unique key), e.g. the DNC app's latest status per phone.

`rows` may be a generator that reads the database as it goes (e.g. over a queryset's
``.iterator()``): on PostgreSQL rows are taken COPY_CHUNK at a time *before* each COPY
statement opens, because the connection can run nothing else while a COPY is open (a query
from inside one waits forever).
"""

import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

BATCH = 2000
COPY_CHUNK = 10_000


class JsonText(str):
    """A JSON field's value that is JSON text already (a lead row as the provider sent it):
    stored as it is, never decoded and encoded again. The database checks its syntax
    (PostgreSQL's json and jsonb parse it, SQLite's JSON fields have a check)."""

    __slots__ = ()


def _json_text(value) -> str:
    """A JSON field's value as COPY text (orjson: a lead row's 3.5 KB of provider columns
    took json.dumps a third of a build's storing time); JsonText as it is."""
    if type(value) is JsonText:
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    """`rows` as lists of up to `size`, each read whole before it is handed out."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def bulk_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    *,
    stream=False,
    binary=False,
) -> int:
    """`stream=True`: on PostgreSQL each row goes into the open COPY as `rows` makes it, so
    the database stores while the caller still produces (rows fetched over HTTP, say). Only
    for `rows` that never use the database connection: it is busy while a COPY is open.

    `binary=True`: on PostgreSQL the COPY is in binary format: nothing is escaped by us or
    unescaped by the database (a lead row's 3.5 KB of JSON was scanned byte by byte on both
    sides). Every value must then be of its column's own Python type (int for an integer
    column, float for a float one, str for text, bool, an aware datetime; a JSON field's an
    object or JsonText); a table with a column of another type is copied as text."""
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    filled = _filled_in(meta, given)
    columns = [*given, *(f for f, _ in filled)]
    makers = [make for _, make in filled]
    if connection.vendor == "postgresql":
        return _copy(meta.db_table, columns, makers, rows, stream=stream, binary=binary)
    return _insert_many(meta.db_table, columns, makers, rows)


def _filled_in(meta, given: list[models.Field]) -> list[tuple[models.Field, Callable]]:
    """The columns to fill in for the fields a caller leaves out, as Model() and bulk_create
    would (the default, "" for a text field without one, now for auto_now/auto_now_add),
    each with what makes its value; the auto primary key and database defaults are left to
    the database."""
    now = timezone.now()
    filled = []
    for f in meta.concrete_fields:
        if f in given or f is meta.auto_field or f.db_default is not NOT_PROVIDED:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            filled.append((f, lambda now=now: now))
        elif f.has_default() and callable(f.default):
            filled.append((f, _per_row(f.get_default)))
        else:
            value = f.get_default()
            filled.append((f, lambda value=value: value))
    return filled


def _per_row(make: Callable) -> Callable:
    """`make` marked as giving a new value per row (a callable default)."""

    def made():
        return make()

    made.per_row = True
    return made


def _copy(
    table: str,
    columns: list[models.Field],
    makers: list[Callable],
    rows,
    *,
    stream: bool,
    binary: bool = False,
) -> int:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(f.column) for f in columns)}) FROM STDIN"
    json_at = [i for i, f in enumerate(columns) if isinstance(f, models.JSONField)]
    width = len(columns)
    count = 0
    # The values filled in are the same for every row unless a default is a callable (a
    # uuid, say): then they are made per row, else once (100,000 rows x a few columns).
    per_row = any(getattr(m, "per_row", False) for m in makers)
    tail = () if per_row else tuple(m() for m in makers)
    # Read before the COPY opens (see above), unless the caller says rows never use the DB.
    chunks = [rows] if stream else _chunks(rows, COPY_CHUNK)
    with connection.cursor() as cursor:
        types = _binary_types(cursor.cursor, table, columns) if binary else None
        if types:
            sql += " (FORMAT BINARY)"
            for dumper in _JSON_TEXT_DUMPERS:
                cursor.cursor.adapters.register_dumper(JsonText, dumper)
        for chunk in chunks:
            with cursor.cursor.copy(sql) as copy:
                if types:
                    copy.set_types(types)
                for row in chunk:
                    values = [*row, *(m() for m in makers)] if per_row else [*row, *tail]
                    if len(values) != width:
                        raise ValueError(f"{len(values)} values for {width} columns: {row!r}")
                    for i in json_at:
                        if values[i] is not None:
                            values[i] = _json_text(values[i])
                    copy.write_row(values)
                    count += 1
    return count


# COPY's text format: a field is its text with backslash, tab, newline and carriage return
# escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def copy_text(value: str) -> bytes:
    """``value`` as one field of a COPY line in text format (UTF-8, escaped)."""
    if _COPY_SPECIAL.search(value) is None:
        return value.encode()
    return value.translate(_COPY_ESCAPES).encode()


def copy_json(value) -> bytes:
    """``value`` as JSON in one field of a COPY line in text format.

    orjson escapes every control character inside JSON strings, so only its backslashes
    need COPY's escaping. PostgreSQL's jsonb refuses the NUL character (``\\u0000``): a
    value holding one is encoded again without it (rare, so only then)."""
    data = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    if b"\\" not in data:
        return data
    if b"\\u0000" in data:
        data = orjson.dumps(_without_nul(value), option=orjson.OPT_NON_STR_KEYS)
    return data.replace(b"\\", b"\\\\")


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nul(v) for v in value]
    return value


COPY_WRITE_BYTES = 256 * 1024
COPY_STATEMENT_ROWS = 10_000
_NEXT_STATEMENT, _END, _ABORT = object(), object(), object()


def copy_lines(
    model: type[models.Model],
    fields: Sequence[str],
    lines: Iterable[bytes],
    *,
    statement_rows: int = COPY_STATEMENT_ROWS,
) -> int:
    """PostgreSQL only: stream ``lines`` into the table, inside the caller's transaction.
    Each item is one or more whole rows of ``fields`` in COPY's text format, each ending
    in a newline (see ``copy_text`` and ``copy_json``: a field never holds a raw newline,
    so the newlines count the rows). Returns the number of rows.

    For rows made as fast as they are cleaned (a big import): psycopg's ``write_row``
    adapts every value, with a Python call per JSON value; here a caller that already has
    JSON bytes formats a line with one ``%`` and joins a few hundred. The rows go to the
    server in blocks from a writer thread, one COPY statement per ``statement_rows`` rows
    or so (items are never split), with the transaction's constraints checked at the end
    of each statement (``SET CONSTRAINTS ALL IMMEDIATE``, then ``DEFERRED`` again,
    Django's own setting): PostgreSQL checks a foreign key once per row, and so checks a
    statement's rows while this thread makes the next ones, instead of all of them at the
    commit while the caller waits.

    Every column the model has must be among ``fields``, but the auto primary key and
    database defaults. Like ``bulk_insert(stream=True)``, ``lines`` must never use the
    database connection. A failure on either side stops both and is raised here; nothing
    is committed (the caller's transaction rolls back)."""
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    missing = _filled_in(meta, given)
    if missing:
        raise ValueError(f"copy_lines needs every column: {[f.name for f, _ in missing]}")
    quote = connection.ops.quote_name
    sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in given)}) FROM STDIN"
    # The writer thread uses the driver's connection: its errors become Django's here.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        writer = _CopyWriter(cursor.cursor.connection, sql)
        count = in_statement = 0
        try:
            block: list[bytes] = []
            size = 0
            for item in lines:
                block.append(item)
                size += len(item)
                rows = item.count(b"\n")
                count += rows
                in_statement += rows
                if size >= COPY_WRITE_BYTES or in_statement >= statement_rows:
                    writer.put(b"".join(block))
                    block, size = [], 0
                if in_statement >= statement_rows:
                    writer.put(_NEXT_STATEMENT)
                    in_statement = 0
            if block:
                writer.put(b"".join(block))
        except BaseException:
            writer.abort()
            raise
        writer.finish()
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return count


class _CopyWriter:
    """Runs COPY statements in a thread, fed blocks of lines through a small queue."""

    def __init__(self, raw_connection, sql: str) -> None:
        self._connection = raw_connection
        self._sql = sql
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        item = None
        try:
            with self._connection.cursor() as cursor:
                while item is not _END:
                    item = self._queue.get()
                    if item is _END or item is _NEXT_STATEMENT:
                        continue
                    with cursor.copy(self._sql) as copy:
                        while item is not _NEXT_STATEMENT and item is not _END:
                            if item is _ABORT:
                                raise _Aborted
                            copy.write(item)
                            item = self._queue.get()
        except BaseException as exc:  # noqa: BLE001 - raised in the caller by put() or finish()
            self._failure = exc
            while item is not _END and item is not _ABORT:  # never leave put() waiting
                item = self._queue.get()

    def put(self, item: object) -> None:
        while True:
            if self._failure is not None:
                raise self._failure
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        self.put(_END)
        self._thread.join()
        if self._failure is not None:
            raise self._failure

    def abort(self) -> None:
        # Also after a failure of its own: the thread then drains the queue up to this.
        if self._thread.is_alive():
            self._queue.put(_ABORT)
        self._thread.join()


class _Aborted(Exception):
    """The caller failed while making lines: the COPY in progress is abandoned."""


# Column types whose binary form psycopg writes from the Python type a model field holds.
_BINARY_TYPES = frozenset(
    {"int2", "int4", "int8", "float8", "bool", "varchar", "text", "json", "jsonb", "timestamptz"}
)


def _binary_types(cursor, table: str, columns: list[models.Field]) -> list[int] | None:
    """The columns' type oids for a binary COPY, or None when one is not in _BINARY_TYPES."""
    cursor.execute(
        "SELECT a.attname, a.atttypid, t.typname FROM pg_attribute a "
        "JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        [connection.ops.quote_name(table)],
    )
    found = {name: (oid, type_name) for name, oid, type_name in cursor.fetchall()}
    types = [found[f.column] for f in columns]
    if any(type_name not in _BINARY_TYPES for _, type_name in types):
        return None
    return [oid for oid, _ in types]


def _json_text_dumpers() -> list[type]:
    """Binary COPY dumpers for JSON text (what _json_text gives) into json and jsonb columns:
    psycopg's own would encode a str as a JSON string."""
    from psycopg.adapt import Dumper
    from psycopg.postgres import types
    from psycopg.pq import Format

    class JsonTextDumper(Dumper):
        format = Format.BINARY
        oid = types["json"].oid

        def dump(self, obj: str) -> bytes:
            return obj.encode()

    class JsonbTextDumper(JsonTextDumper):
        oid = types["jsonb"].oid

        def dump(self, obj: str) -> bytes:
            return b"\x01" + obj.encode()  # jsonb's binary form: version 1, then the text

    return [JsonTextDumper, JsonbTextDumper]


_JSON_TEXT_DUMPERS = _json_text_dumpers()


# Fields whose values the database driver takes as they are when they are plain str, int,
# bool or None (Django's preparation would only convert them to the same).
_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)
_PLAIN_VALUES = frozenset({str, int, bool, type(None)})


def _preparer(field: models.Field, db) -> Callable:
    """How one field's values are prepared for the database, as a save prepares them."""
    target = field.target_field if field.is_relation else field
    prepare = field.get_db_prep_save
    if isinstance(field, models.JSONField):
        return lambda v: str(v) if type(v) is JsonText else prepare(v, db)
    if isinstance(target, _PLAIN_FIELDS):
        return lambda v: v if type(v) in _PLAIN_VALUES else prepare(v, db)
    return lambda v: prepare(v, db)


def _insert_many(table: str, columns: list[models.Field], makers: list[Callable], rows) -> int:
    """One INSERT executed for many rows (``executemany``), BATCH at a time; values are
    prepared as Django prepares them for a save."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs per access
    quote = db.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    preps = [_preparer(f, db) for f in columns]
    count = 0
    with db.cursor() as cursor:
        for chunk in _chunks(rows, BATCH):
            cursor.executemany(
                sql,
                [
                    [prep(v) for prep, v in zip(preps, (*row, *(m() for m in makers)), strict=True)]
                    for row in chunk
                ],
            )
            count += len(chunk)
    return count


def bulk_upsert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    *,
    unique: Sequence[str],
    newer: str | None = None,
    keep: Sequence[str] = (),
    increment: str | None = None,
) -> int:
    """Insert `rows` or, where a row with the same `unique` fields exists, update it — only
    if the incoming `newer` field is at least the stored one (so an older result never
    overwrites a newer), when `newer` is given. `rows` must not repeat a unique key.
    On an update the `keep` fields stay as stored and the `increment` field (a count) goes
    up by one instead of taking the incoming value.

    PostgreSQL: COPY into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO
    UPDATE``. Elsewhere: the same statement with ``executemany`` in batches (SQLite ≥ 3.24).
    Returns the number of rows given. Runs in its own (or the caller's) transaction.
    """
    meta = model._meta
    quote = connection.ops.quote_name
    model_fields = [meta.get_field(name) for name in fields]
    columns = [quote(f.column) for f in model_fields]
    keys = [quote(meta.get_field(name).column) for name in unique]
    table = quote(meta.db_table)
    updates = [
        f"{c} = {table}.{c} + 1" if f.name == increment else f"{c} = EXCLUDED.{c}"
        for c, f in zip(columns, model_fields, strict=True)
        if f.name not in unique and f.name not in keep
    ]
    conflict = (
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(updates)
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
        db = connections[DEFAULT_DB_ALIAS]
        preps = [_preparer(f, db) for f in model_fields]
        count = 0
        with db.cursor() as cursor:
            for chunk in _chunks(rows, BATCH):
                cursor.executemany(
                    sql, [[p(v) for p, v in zip(preps, row, strict=True)] for row in chunk]
                )
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
        for chunk in _chunks(rows, COPY_CHUNK):  # read before the COPY opens: see above
            with cursor.cursor.copy(f"COPY {staging} ({listed}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(
                        [
                            _json_text(v) if j and v is not None else v
                            for v, j in zip(row, is_json, strict=True)
                        ]
                    )
            count += len(chunk)
        cursor.execute(
            f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {staging} {conflict}"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {staging}")
    return count
