"""Where uploaded spreadsheets are kept, so that every web and worker host can read them.

``ImportBatch.file`` uses the ``uploads`` storage alias (``STORAGES["uploads"]``), chosen by
the ``UPLOAD_STORAGE`` setting:

``database`` (default)
    :class:`DatabaseStorage`: the file's bytes in the database every host already shares,
    in rows of ``chunk_size`` bytes (1 MB) keyed by (file, n). Saving reads the upload one
    chunk at a time and writes each chunk as it comes; opening returns a seekable file
    that fetches one chunk per query, so neither side ever holds a whole file in memory.
    Names not in the table are looked for under ``MEDIA_ROOT``: files uploaded before this
    storage existed (when uploads were kept on the web host's disk) still open on the host
    that has them.
``filesystem``
    Django's ``FileSystemStorage`` under ``MEDIA_ROOT``: a single host only (or a shared
    mount).
``s3``
    An S3-compatible bucket through django-storages (the ``s3`` extra:
    ``pip install -e ".[s3]"``), configured by the ``UPLOADS_S3_*`` settings.

Uploads are never served by URL: a file is reached only through its ``ImportBatch``, which
the views fetch team-scoped, so :meth:`DatabaseStorage.url` refuses.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty

__all__ = [
    "CHUNK_SIZE",
    "UPLOADS",
    "UPLOAD_STORAGE_CHOICES",
    "DatabaseStorage",
    "upload_storage",
    "uploads_storage_config",
]

UPLOADS = "uploads"
CHUNK_SIZE = 1024 * 1024
UPLOAD_STORAGE_CHOICES = ("database", "filesystem", "s3")
_S3_BACKEND = "storages.backends.s3.S3Storage"


# --------------------------------------------------------------------------------------
# The database storage
# --------------------------------------------------------------------------------------


def _models() -> tuple[Any, Any]:
    """``StoredUpload`` and ``StoredUploadChunk``, by label: models.py imports this module."""
    return apps.get_model("imports", "StoredUpload"), apps.get_model("imports", "StoredUploadChunk")


def _insert_chunk(model: Any, upload_id: int, n: int, data: bytes) -> None:
    """Store one chunk. On PostgreSQL its bytes go as a binary parameter of a server-side
    bound statement: Django binds on the client, which sends a 1 MB chunk as 2 MB of hex
    text for the server to parse back (a 17 MB upload's save took 0.3 s that way, 0.06 s
    this way)."""
    if connection.vendor != "postgresql":
        model.objects.create(upload_id=upload_id, n=n, data=data)
        return

    quote, meta = connection.ops.quote_name, model._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("upload", "n", "data"))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %b)"  # noqa: S608
    with _server_bound_cursor() as cursor:
        cursor.execute(sql, [upload_id, n, data])


def _select_chunk(model: Any, upload_id: int, n: int) -> bytes | memoryview | None:
    """One chunk's bytes, or None. On PostgreSQL in binary (as ``_insert_chunk`` writes
    them): in text a chunk would come back as hex for psycopg to decode."""
    if connection.vendor != "postgresql":
        return model.objects.filter(upload_id=upload_id, n=n).values_list("data", flat=True).first()

    quote, meta = connection.ops.quote_name, model._meta
    sql = (
        f"SELECT {quote(meta.get_field('data').column)} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(meta.get_field('upload').column)} = %s "
        f"AND {quote(meta.get_field('n').column)} = %s"
    )
    with _server_bound_cursor(binary_results=True) as cursor:
        cursor.execute(sql, [upload_id, n])
        row = cursor.fetchone()
    return None if row is None else row[0]


@contextmanager
def _server_bound_cursor(*, binary_results: bool = False) -> Iterator[Any]:
    """A cursor on Django's PostgreSQL connection (so inside its transaction) that binds
    parameters on the server, wrapped as Django wraps its own: errors become Django's and
    queries are logged when Django logs them."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if binary_results:
        raw.format = psycopg.pq.Format.BINARY
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:
        yield cursor


class _ChunkReader(io.RawIOBase):
    """A read-only, seekable view of one stored upload that keeps one chunk in memory."""

    def __init__(self, *, upload_id: int, name: str, size: int, chunk_size: int) -> None:
        super().__init__()
        self.name = name
        self.size = size
        self._upload_id = upload_id
        self._chunk_size = chunk_size
        self._position = 0
        self._chunk_n = -1
        self._chunk: bytes | memoryview = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    def _load(self, n: int) -> bytes | memoryview:
        if n != self._chunk_n:
            data = _select_chunk(_models()[1], self._upload_id, n)
            if data is None:
                raise FileNotFoundError(f"{self.name}: chunk {n} is missing (file deleted?)")
            self._chunk_n, self._chunk = n, data
        return self._chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        self._checkClosed()
        if self._position >= self.size or not len(buffer):
            return 0
        n, start = divmod(self._position, self._chunk_size)
        piece = self._load(n)[start : start + len(buffer)]
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def close(self) -> None:
        self._chunk, self._chunk_n = b"", -1
        super().close()


class DatabaseFile(File):
    """What :meth:`DatabaseStorage.open` returns: buffered, seekable, read-only, reopenable."""

    def __init__(self, *, name: str, upload: Any) -> None:
        self._upload = upload
        super().__init__(self._reader(), name=name)
        self.mode = "rb"

    def _reader(self) -> io.BufferedReader:
        upload = self._upload
        raw = _ChunkReader(
            upload_id=upload.pk, name=upload.name, size=upload.size, chunk_size=upload.chunk_size
        )
        return io.BufferedReader(raw, buffer_size=min(upload.chunk_size, File.DEFAULT_CHUNK_SIZE))

    @property
    def size(self) -> int:
        return self._upload.size

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> DatabaseFile:
        _check_read_mode(mode or "rb")
        if self.closed:
            self.file = self._reader()
        else:
            self.seek(0)
        return self


def _check_read_mode(mode: str) -> None:
    if set(mode) - {"r", "b"}:
        raise ValueError(
            f"Uploads kept in the database open for reading only (mode {mode!r}); save a new "
            "file instead."
        )


def _exact_chunks(content: File, chunk_size: int) -> Iterator[bytes]:
    """``content`` in pieces of exactly ``chunk_size`` bytes (the last one shorter)."""
    pending = bytearray()
    for data in content.chunks(chunk_size):
        if isinstance(data, str):
            data = data.encode()
        if not pending and len(data) == chunk_size:
            yield data  # the usual case (a file on disk): no copy
            continue
        pending += data
        while len(pending) >= chunk_size:
            yield bytes(memoryview(pending)[:chunk_size])
            del pending[:chunk_size]
    if pending:
        yield bytes(pending)


@deconstructible(path="leadops.imports.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """Uploads kept in the shared database in ``chunk_size`` pieces (see the module doc).

    ``fallback_location``: where files saved before this storage was used are read from
    (default ``MEDIA_ROOT``); only reading, ``exists``, ``size`` and ``delete`` look there.
    """

    def __init__(self, chunk_size: int = CHUNK_SIZE, fallback_location: str | None = None):
        if chunk_size < 1:
            raise ImproperlyConfigured("DatabaseStorage chunk_size must be at least 1 byte.")
        self.chunk_size = chunk_size
        # No location: follows MEDIA_ROOT, including when a test overrides it.
        self.fallback = FileSystemStorage(location=fallback_location)

    def _row(self, name: str) -> Any:
        StoredUpload, _ = _models()
        return StoredUpload.objects.filter(name=name).first()

    def _open(self, name: str, mode: str = "rb") -> File:
        _check_read_mode(mode)
        upload = self._row(name)
        if upload is None:
            if self.fallback.exists(name):
                return self.fallback.open(name, mode)
            raise FileNotFoundError(f"No stored upload named {name!r}.")
        return DatabaseFile(name=name, upload=upload)

    def _save(self, name: str, content: File) -> str:
        StoredUpload, StoredUploadChunk = _models()
        with transaction.atomic():
            upload = StoredUpload.objects.create(name=name, size=0, chunk_size=self.chunk_size)
            size = 0
            for n, data in enumerate(_exact_chunks(content, self.chunk_size)):
                _insert_chunk(StoredUploadChunk, upload.pk, n, data)
                size += len(data)
            StoredUpload.objects.filter(pk=upload.pk).update(size=size)
        return name

    def delete(self, name: str) -> None:
        StoredUpload, StoredUploadChunk = _models()
        if not name:
            raise ValueError("The name must be given to delete().")
        with transaction.atomic():
            StoredUploadChunk.objects.filter(upload__name=name).delete()
            StoredUpload.objects.filter(name=name).delete()
        self.fallback.delete(name)

    def exists(self, name: str) -> bool:
        StoredUpload, _ = _models()
        return StoredUpload.objects.filter(name=name).exists() or self.fallback.exists(name)

    def size(self, name: str) -> int:
        upload = self._row(name)
        if upload is None:
            return self.fallback.size(name)
        return upload.size

    def get_created_time(self, name: str):
        upload = self._row(name)
        if upload is None:
            return self.fallback.get_created_time(name)
        return upload.created_at

    def url(self, name: str | None) -> str:
        raise NotImplementedError(
            "Uploads are never served by URL: read them through their ImportBatch "
            "(batch.file.open()), which the views fetch team-scoped."
        )

    def path(self, name: str) -> str:
        raise NotImplementedError(
            "Uploads kept in the database have no local path: use batch.file.open()."
        )


# --------------------------------------------------------------------------------------
# The storage ImportBatch.file uses, and how settings choose it
# --------------------------------------------------------------------------------------


class _UploadStorage(LazyObject):
    """``storages["uploads"]``, looked up on first use and again after a settings change."""

    def _setup(self) -> None:
        self._wrapped = storages[UPLOADS]


_upload_storage = _UploadStorage()


def upload_storage() -> Storage:
    """The callable storage of ``ImportBatch.file`` (so migrations name no backend)."""
    return _upload_storage  # type: ignore[return-value]


def _reset_upload_storage(*, setting: str, **kwargs: Any) -> None:
    if setting in {"STORAGES", "MEDIA_ROOT"}:
        _upload_storage._wrapped = empty


setting_changed.connect(_reset_upload_storage)


def _module_available(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def uploads_storage_config(
    *,
    backend: str,
    s3_bucket: str = "",
    s3_endpoint_url: str = "",
    s3_region: str = "",
    s3_access_key_id: str = "",
    s3_secret_access_key: str = "",
    s3_prefix: str = "",
    module_available: Callable[[str], bool] = _module_available,
) -> dict[str, Any]:
    """The ``STORAGES["uploads"]`` entry for ``UPLOAD_STORAGE`` (called by settings.py).

    Raises ``ImproperlyConfigured`` at start-up for an unknown choice, an S3 storage
    without a bucket, or an S3 storage without django-storages and boto3 installed.
    """
    if backend == "database":
        return {"BACKEND": "leadops.imports.storage.DatabaseStorage"}
    if backend == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        choices = " | ".join(UPLOAD_STORAGE_CHOICES)
        raise ImproperlyConfigured(f"UPLOAD_STORAGE must be {choices}, not {backend!r}.")
    if not s3_bucket:
        raise ImproperlyConfigured("UPLOAD_STORAGE=s3 needs UPLOADS_S3_BUCKET.")
    missing = [module for module in ("storages", "boto3") if not module_available(module)]
    if missing:
        raise ImproperlyConfigured(
            f"UPLOAD_STORAGE=s3 needs django-storages and boto3 ({', '.join(missing)} not "
            'installed): install the s3 extra, pip install -e ".[s3]".'
        )
    options: dict[str, Any] = {
        "bucket_name": s3_bucket,
        # Uploads are private and never linked to; a name is never reused.
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
    }
    optional = {
        "endpoint_url": s3_endpoint_url,
        "region_name": s3_region,
        "access_key": s3_access_key_id,
        "secret_key": s3_secret_access_key,
        "location": s3_prefix.strip("/"),
    }
    # Unset keys fall back to boto3's own credential chain (instance role, ~/.aws, …).
    options.update({key: value for key, value in optional.items() if value})
    return {"BACKEND": _S3_BACKEND, "OPTIONS": options}
