"""Uploads kept where every host reads them: the database storage and how settings choose it."""

import io
import os
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadops.imports import services
from leadops.imports.models import ImportBatch, ImportStatus, StoredUpload, StoredUploadChunk
from leadops.imports.storage import DatabaseStorage, uploads_storage_config
from tests.support.rows import OWNER_HEADER, csv_upload, owner_rows, stored_files, table_csv

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def pattern(size: int) -> bytes:
    """Bytes where every offset differs from its neighbours, so a misplaced chunk shows."""
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


def chunk_sizes(name: str) -> list[int]:
    chunks = StoredUploadChunk.objects.filter(upload__name=name).order_by("n")
    return [len(bytes(data)) for data in chunks.values_list("data", flat=True)]


# -- the storage itself -------------------------------------------------------------------


def test_a_file_is_kept_in_chunks_and_reads_back_byte_for_byte():
    storage = DatabaseStorage(chunk_size=1000)
    data = pattern(10_500)

    name = storage.save("imports/a.csv", ContentFile(data))

    assert name == "imports/a.csv"
    assert chunk_sizes(name) == [1000] * 10 + [500]
    assert (storage.exists(name), storage.size(name)) == (True, 10_500)
    with storage.open(name) as fileobj:
        assert fileobj.read() == data


def test_the_open_file_seeks_and_reads_across_chunk_boundaries():
    storage = DatabaseStorage(chunk_size=1000)
    data = pattern(4321)
    name = storage.save("imports/b.csv", ContentFile(data))

    with storage.open(name) as fileobj:
        assert fileobj.size == 4321
        fileobj.seek(995)
        assert fileobj.read(10) == data[995:1005]
        assert fileobj.tell() == 1005
        assert fileobj.seek(-21, io.SEEK_END) == 4300
        assert fileobj.read() == data[4300:]
        assert fileobj.read(5) == b""
        fileobj.seek(0)
        assert fileobj.readline() == data[: data.index(b"\n") + 1]


def test_reading_fetches_one_chunk_per_query_and_never_the_whole_file():
    storage = DatabaseStorage(chunk_size=1000)
    data = pattern(10_000)
    name = storage.save("imports/c.csv", ContentFile(data))

    with CaptureQueriesContext(connection) as queries, storage.open(name) as fileobj:
        assert fileobj.read(100) == data[:100]
        after_first_read = len(queries)
        assert b"".join(fileobj.chunks(64)) == data
    chunk_queries = [q["sql"] for q in queries if "storeduploadchunk" in q["sql"]]
    assert after_first_read == 2  # the file's row, then chunk 0 only
    assert len(chunk_queries) == 10  # each chunk once, one per query
    assert all('"n" = ' in sql for sql in chunk_queries)


def memory_peaks(storage: DatabaseStorage, size: int, tmp_path: Path) -> tuple[int, int]:
    """Peak Python memory while saving a ``size``-byte file from disk, then reading it."""
    piece = pattern(MB // 4)
    with tempfile.TemporaryFile(dir=tmp_path) as source:
        for _ in range(size // len(piece)):
            source.write(piece)
        tracemalloc.start()
        try:
            name = storage.save("imports/big.csv", File(source, name="big.csv"))
            saving = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            total = 0
            with storage.open(name) as fileobj:
                for block in fileobj.chunks(64 * 1024):
                    total += len(block)
            reading = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert total == size == storage.size(name)
    assert chunk_sizes(name) == [MB] * (size // MB)
    storage.delete(name)
    return saving, reading


def test_saving_and_reading_take_the_same_memory_whatever_the_file_size(tmp_path):
    """1 MB chunks: a 12 MB file costs no more memory than a 3 MB one, either way."""
    storage = DatabaseStorage()
    small_saving, small_reading = memory_peaks(storage, 3 * MB, tmp_path)
    big_saving, big_reading = memory_peaks(storage, 12 * MB, tmp_path)

    assert big_saving < small_saving + MB, (small_saving, big_saving)
    assert big_reading < small_reading + MB, (small_reading, big_reading)
    assert big_reading < 4 * MB


def test_delete_removes_the_file_and_its_chunks_without_reading_them():
    storage = DatabaseStorage(chunk_size=100)
    name = storage.save("imports/d.csv", ContentFile(pattern(1000)))
    kept = storage.save("imports/e.csv", ContentFile(b"other"))

    with CaptureQueriesContext(connection) as queries:
        storage.delete(name)

    assert not any('"data"' in q["sql"] for q in queries), "delete loaded chunk contents"
    assert not storage.exists(name)
    assert StoredUploadChunk.objects.filter(upload__name=name).count() == 0
    assert storage.exists(kept)
    with pytest.raises(FileNotFoundError):
        storage.open(name)


def test_names_are_never_overwritten():
    storage = DatabaseStorage()
    first = storage.save("imports/same.csv", ContentFile(b"one"))
    second = storage.save("imports/same.csv", ContentFile(b"two"))

    assert first == "imports/same.csv" and second != first
    with storage.open(first) as one, storage.open(second) as two:
        assert (one.read(), two.read()) == (b"one", b"two")


def test_an_open_file_reopens_after_close():
    storage = DatabaseStorage(chunk_size=4)
    name = storage.save("imports/f.csv", ContentFile(b"abcdefghij"))
    fileobj = storage.open(name)
    assert fileobj.read(3) == b"abc"
    fileobj.close()

    assert fileobj.open("rb").read() == b"abcdefghij"
    fileobj.close()


def test_uploads_have_no_url_and_open_for_reading_only():
    storage = DatabaseStorage()
    name = storage.save("imports/g.csv", ContentFile(b"x"))

    with pytest.raises(NotImplementedError, match="never served by URL"):
        storage.url(name)
    with pytest.raises(ValueError, match="for reading only"):
        storage.open(name, "wb")


# -- files saved on disk before this storage existed ---------------------------------------


def test_an_import_from_before_the_database_storage_is_read_from_media_root(
    team_a, staff, media_root
):
    body = table_csv([OWNER_HEADER, *owner_rows(30)])
    batch = services.import_upload(
        team=team_a, user=staff, uploaded_file=csv_upload(body), job_type="trace_normal"
    )
    # What an upgrade finds: the batch names a file on the web host's disk, not in the table.
    StoredUpload.objects.filter(name=batch.file.name).delete()
    legacy = media_root / batch.file.name
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(body)
    batch = ImportBatch.objects.get(pk=batch.pk)

    assert batch.file.size == len(body)
    batch = services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    batch = services.import_store(batch=batch)

    assert (batch.status, batch.unique_records) == (ImportStatus.STORED, 30)
    batch.file.delete(save=False)
    assert stored_files(media_root) == []


# -- how settings choose the storage ------------------------------------------------------


def test_import_batch_files_follow_the_uploads_storage_setting(settings, team_a, staff, media_root):
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": uploads_storage_config(backend="filesystem"),
    }
    batch = services.import_upload(
        team=team_a,
        user=staff,
        uploaded_file=csv_upload(table_csv([OWNER_HEADER, *owner_rows(3)])),
        job_type="trace_normal",
    )

    assert stored_files(media_root) == [media_root / batch.file.name]
    assert not StoredUpload.objects.exists()


def test_database_is_the_default_and_filesystem_the_alternative():
    assert uploads_storage_config(backend="database") == {
        "BACKEND": "leadops.imports.storage.DatabaseStorage"
    }
    assert uploads_storage_config(backend="filesystem") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }


def test_s3_passes_the_bucket_endpoint_and_keys_to_django_storages():
    config = uploads_storage_config(
        backend="s3",
        s3_bucket="leadops-uploads",
        s3_endpoint_url="https://minio.internal:9000",
        s3_region="us-east-1",
        s3_access_key_id="AKIAEXAMPLE",
        s3_secret_access_key="secret",
        s3_prefix="/prod/",
        module_available=lambda name: True,
    )

    assert config == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "leadops-uploads",
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "endpoint_url": "https://minio.internal:9000",
            "region_name": "us-east-1",
            "access_key": "AKIAEXAMPLE",
            "secret_key": "secret",
            "location": "prod",
        },
    }


def test_s3_without_keys_leaves_credentials_to_boto3():
    config = uploads_storage_config(backend="s3", s3_bucket="b", module_available=lambda name: True)

    assert set(config["OPTIONS"]) == {
        "bucket_name",
        "default_acl",
        "file_overwrite",
        "querystring_auth",
    }


def test_s3_without_its_packages_says_which_extra_to_install():
    with pytest.raises(ImproperlyConfigured) as error:
        uploads_storage_config(
            backend="s3", s3_bucket="b", module_available=lambda name: name == "storages"
        )

    assert str(error.value) == (
        "UPLOAD_STORAGE=s3 needs django-storages and boto3 (boto3 not installed): install "
        'the s3 extra, pip install -e ".[s3]".'
    )


@pytest.mark.parametrize(
    ("backend", "bucket", "message"),
    [
        ("s3", "", "UPLOAD_STORAGE=s3 needs UPLOADS_S3_BUCKET."),
        ("disk", "", "UPLOAD_STORAGE must be database | filesystem | s3, not 'disk'."),
    ],
)
def test_a_bad_choice_stops_start_up(backend, bucket, message):
    with pytest.raises(ImproperlyConfigured) as error:
        uploads_storage_config(backend=backend, s3_bucket=bucket)
    assert str(error.value) == message


def settings_process(**env: str) -> subprocess.CompletedProcess:
    """Load the real settings module in a fresh interpreter with ``env``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UPLOAD", "DJANGO_")) and k != "DATABASE_URL"
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from leadops import settings as s; print(s.STORAGES['uploads']['BACKEND'])",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "leadops.imports.storage.DatabaseStorage"),
        ({"UPLOAD_STORAGE": "filesystem"}, "django.core.files.storage.FileSystemStorage"),
    ],
)
def test_the_settings_module_reads_upload_storage_from_the_environment(env, backend):
    result = settings_process(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_the_settings_module_refuses_s3_without_a_bucket():
    result = settings_process(UPLOAD_STORAGE="s3")
    assert result.returncode != 0
    assert "UPLOAD_STORAGE=s3 needs UPLOADS_S3_BUCKET." in result.stderr


# -- reachable only through its batch -----------------------------------------------------


def test_admin_shows_the_stored_file_without_a_link(owner_client, team_a, staff):
    batch = services.import_upload(
        team=team_a,
        user=staff,
        uploaded_file=csv_upload(table_csv([OWNER_HEADER, *owner_rows(2)])),
        job_type="trace_normal",
    )

    response = owner_client.get(reverse("admin:imports_importbatch_change", args=[batch.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{batch.file.name} ({batch.file_size:,} bytes)" in html
    assert f'href="{batch.file.name}' not in html


@pytest.mark.postgres
def test_a_store_reads_chunks_between_its_copies(settings, monkeypatch, team_a, staff):
    """PostgreSQL: an open COPY holds the connection, and reading the next chunk of the
    upload needs it; the store copies the upload to a local file before its one COPY
    opens (a COPY over a file of many chunks read as it goes would wait on itself
    forever)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "leadops.imports.storage.DatabaseStorage",
            "OPTIONS": {"chunk_size": 2048},
        },
    }
    body = table_csv([OWNER_HEADER, *owner_rows(600)])
    batch = services.import_upload(
        team=team_a, user=staff, uploaded_file=csv_upload(body), job_type="trace_normal"
    )
    assert len(chunk_sizes(batch.file.name)) > 10

    batch = services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    batch = services.import_store(batch=batch)

    assert (batch.status, batch.unique_records, batch.records.count()) == (
        ImportStatus.STORED,
        600,
        600,
    )


def test_deleting_an_import_deletes_its_stored_upload_once_committed(
    staff, team_a, django_capture_on_commit_callbacks
):
    from django.db import transaction

    def upload(name):
        body = table_csv([OWNER_HEADER, *owner_rows(3)])
        return services.import_upload(
            team=team_a, user=staff, uploaded_file=csv_upload(body, name), job_type="trace_normal"
        )

    kept, gone = upload("kept.csv"), upload("gone.csv")
    assert StoredUpload.objects.filter(name__in=[kept.file.name, gone.file.name]).count() == 2

    def delete_then_fail():
        with transaction.atomic():
            kept.delete()
            raise RuntimeError("rolled back")

    # A deletion that rolls back keeps the file.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        delete_then_fail()
    with django_capture_on_commit_callbacks(execute=True):
        gone.delete()
    assert set(StoredUpload.objects.values_list("name", flat=True)) == {kept.file.name}
    assert not StoredUploadChunk.objects.filter(upload__name=gone.file.name).exists()
