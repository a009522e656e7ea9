"""Big imports are stored by an RQ worker while the preview shows a live progress bar."""

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from redis.backoff import NoBackoff
from redis.retry import Retry

from leadops.imports import services
from leadops.imports.models import ImportBatch, ImportStatus

pytestmark = pytest.mark.django_db


def big_csv(rows: int) -> bytes:
    lines = ["Address,City,State,Zip"] + [f"{n} Main St,Austin,TX,78701" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def big_batch(staff, team_a, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 50)
    monkeypatch.setattr(services, "PROGRESS_EVERY", 20)
    upload = SimpleUploadedFile("big.csv", big_csv(120), content_type="text/csv")
    return services.import_upload(
        team=team_a, user=staff, uploaded_file=upload, job_type="trace_advanced"
    )


def test_big_file_is_stored_in_background_with_progress(
    staff_client, big_batch, run_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("imports:mapping", args=[big_batch.pk]),
            {
                "job_type": "trace_advanced",
                **{
                    f"col_{i}": v
                    for i, v in enumerate(
                        ["property_address", "property_city", "property_state", "property_zip"]
                    )
                },
            },
        )
    big_batch.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert big_batch.status == ImportStatus.MAPPED  # not stored yet: a worker will do it
    page = staff_client.get(reverse("imports:preview", args=[big_batch.pk])).content.decode()
    assert "Cleaning and storing" in page and "0 / 120 rows" in page

    assert run_worker() == 1
    big_batch.refresh_from_db()
    assert (big_batch.status, big_batch.unique_records) == (ImportStatus.STORED, 120)
    assert services.store_progress(batch=big_batch) is None
    done = staff_client.get(reverse("imports:store_progress", args=[big_batch.pk]))
    assert done.status_code == 204
    assert done["HX-Redirect"] == reverse("imports:preview", args=[big_batch.pk])
    preview = staff_client.get(reverse("imports:preview", args=[big_batch.pk]))
    assert 'data-testid="unique-records">120<' in preview.content.decode()


def test_progress_counts_rows_as_they_are_cleaned(big_batch, staff_client, rq_redis):
    services.store_progress_set(batch=big_batch, rows_done=60)
    html = staff_client.get(reverse("imports:store_progress", args=[big_batch.pk])).content.decode()
    assert "60 / 120 rows" in html
    assert 'aria-valuenow="50"' in html


def test_a_redis_outage_costs_the_progress_bar_not_the_store(big_batch, monkeypatch, caplog):
    services.import_set_mapping(
        batch=big_batch, mapping=big_batch.mapping, job_type=big_batch.job_type
    )
    # Nothing listens on port 1: every progress write is refused (at once: no retries).
    refused = redis.Redis(port=1, retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(services, "redis_connection", lambda: refused)
    services.import_store(batch=big_batch, report_progress=True)

    big_batch.refresh_from_db()
    assert (big_batch.status, big_batch.unique_records) == (ImportStatus.STORED, 120)
    # Tried once: a refusal costs the real client its retries, seconds each time.
    assert caplog.text.count("progress not kept (ConnectionError)") == 1


def test_other_team_cannot_see_progress(client, outsider, big_batch, rq_redis):
    client.force_login(outsider)
    assert client.get(reverse("imports:store_progress", args=[big_batch.pk])).status_code == 404


def test_small_file_is_still_stored_at_once(staff, team_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("small.csv", big_csv(10), content_type="text/csv")
    batch = services.import_upload(
        team=team_a, user=staff, uploaded_file=upload, job_type="trace_advanced"
    )
    services.import_map_and_store(batch=batch, mapping=batch.mapping, job_type="trace_advanced")
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.STORED
