import json

import pytest
from django.urls import reverse

from leadops.webhooks import registry
from leadops.webhooks.models import EventStatus, WebhookEvent

pytestmark = pytest.mark.django_db

TOKEN = "test-webhook-token"
TRACE_DONE = {
    "id": 365,
    "created_at": "2025-07-13T18:55:02.962332Z",
    "pending": False,
    "download_url": "https://example.com/x.csv",
    "rows_uploaded": 12,
    "credits_deducted": 12,
    "queue_type": "api",
    "trace_type": "normal",
    "credits_per_lead": 1,
}


def post(client, provider="tracerfy", token=TOKEN, body=None, **extra):
    data = json.dumps(TRACE_DONE if body is None else body) if not isinstance(body, bytes) else body
    return client.post(
        reverse("webhooks:receive", args=[provider, token]),
        data=data,
        content_type="application/json",
        **extra,
    )


def test_event_is_stored_and_processed_by_a_worker(
    client, handled, run_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.provider, event.kind, event.dedupe_key) == (
        "tracerfy",
        "trace",
        "tracerfy:trace:365:done",
    )
    assert json.loads(event.body) == TRACE_DONE
    assert run_worker() == 1
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED and event.attempts == 1
    assert handled == [365]


def test_duplicate_delivery_is_stored_and_processed_once(
    client, handled, run_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client).status_code == 200
        assert post(client).status_code == 200
    run_worker()
    event = WebhookEvent.objects.get()
    assert event.duplicates == 1
    assert handled == [365]


def test_forged_token_is_404_and_stores_nothing(client):
    assert post(client, token="guess").status_code == 404
    assert post(client, provider="nosuch").status_code == 404
    assert not WebhookEvent.objects.exists()


def test_reapi_needs_its_api_key(client):
    item = {"batchId": "b1", "batchRequestId": "r1", "input": {"key": "7"}}
    assert post(client, provider="reapi", body=item).status_code == 401
    assert post(client, provider="reapi", body=item, HTTP_X_API_KEY="wrong").status_code == 401
    assert not WebhookEvent.objects.exists()
    ok = post(client, provider="reapi", body=item, HTTP_X_API_KEY="sandbox-key")
    assert ok.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.kind, event.dedupe_key) == ("item", "reapi:item:b1:r1")
    assert "x-api-key" not in event.headers


def test_oversized_body_is_413(client, settings):
    big = {"id": 1, "pad": "x" * (1024 * 1024)}
    assert post(client, body=big).status_code == 413
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_non_json_is_400(client, body):
    assert post(client, body=body).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_get_is_refused(client):
    assert client.get(reverse("webhooks:receive", args=["tracerfy", TOKEN])).status_code == 405


def test_unknown_kind_is_kept_and_ignored(client, run_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, body={"id": 9, "type": "something_new"})
    run_worker()
    event = WebhookEvent.objects.get()
    assert (event.kind, event.status) == ("something_new", EventStatus.IGNORED)


def test_handler_crash_is_recorded_and_reprocess_works(
    client, monkeypatch, run_worker, django_capture_on_commit_callbacks, owner_client
):
    calls = []

    def flaky(*, event, payload):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return EventStatus.PROCESSED

    monkeypatch.setitem(registry._handlers, ("tracerfy", "trace"), flaky)
    with django_capture_on_commit_callbacks(execute=True):
        post(client)
    run_worker()
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.FAILED
    assert event.error == "RuntimeError: database hiccup"

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("admin:webhooks_webhookevent_changelist"),
            {"action": "reprocess", "_selected_action": [event.pk]},
        )
    assert response.status_code == 302
    run_worker()
    event.refresh_from_db()
    assert (event.status, event.attempts) == (EventStatus.PROCESSED, 2)


def test_settings_page_shows_webhook_urls_to_admins_only(owner_client, client, staff):
    html = owner_client.get(reverse("settings")).content.decode()
    assert f"http://127.0.0.1:8000/webhooks/tracerfy/{TOKEN}/" in html
    client.force_login(staff)
    html = client.get(reverse("settings")).content.decode()
    assert TOKEN not in html
    assert 'data-testid="webhooks-admins-only"' in html


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"id": 365, "pending": false, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "deeper"),
        (b'{"id": 365, "x": ' + b"[" * 33 + b"]" * 33 + b"}", "deeper than 32 levels"),
        (b'{"id": 365, "credits_deducted": NaN}', "NaN is not a JSON number"),
        (b'{"id": 365, "credits_deducted": Infinity}', "Infinity is not a JSON number"),
        (b'{"id": 365, "credits_deducted": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"id": 365, "credits_deducted": 1e999}', "out of range"),
        (b'{"id": 365, "pending": false', "body is not JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b"\xff\xfe{}", "body is not JSON"),
    ],
    ids=["5000-deep", "33-deep", "nan", "inf", "-inf", "1e999", "truncated", "array", "binary"],
)
def test_hostile_or_invalid_body_is_refused_and_nothing_is_stored(client, body, said):
    """Deep nesting was a 500 (RecursionError); NaN / Infinity were stored as events."""
    response = post(client, body=body)
    assert response.status_code == 400
    assert said in response.json()["error"]
    assert not WebhookEvent.objects.exists()


def test_nesting_at_the_limit_and_brackets_in_strings_are_accepted(client):
    deep = json.loads("[" * 31 + "]" * 31)
    body = {**TRACE_DONE, "deep": deep, "note": "[[[[{{{{" * 20}
    response = post(client, body=body)
    assert response.status_code == 200
    assert json.loads(WebhookEvent.objects.get().body)["note"] == "[[[[{{{{" * 20
