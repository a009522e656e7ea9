"""Adding a provider is a registration: the webhook layer carries it with no code of its own."""

import json

import pytest
from django.urls import reverse

from leadops.webhooks import registry
from leadops.webhooks.models import EventStatus, WebhookEvent

pytestmark = pytest.mark.django_db

TOKEN = "test-webhook-token"


def describe(payload: dict, query: dict) -> registry.EventId:
    return registry.EventId("done", f"acme:{payload['job']}", ref=str(payload["job"]))


@pytest.fixture
def acme(monkeypatch):
    """A provider that exists only in this test, with a header it must send."""
    seen = []

    def handler(*, event, payload):
        seen.append((event.ref, payload))
        return EventStatus.PROCESSED

    spec = registry.ProviderWebhooks(
        "acme", describe=describe, authenticate=lambda headers: headers.get("x-acme") == "yes"
    )
    monkeypatch.setitem(registry._providers, "acme", spec)
    monkeypatch.setitem(registry._handlers, ("acme", "done"), handler)
    return seen


def post(client, body, **headers):
    return client.post(
        reverse("webhooks:receive", args=["acme", TOKEN]),
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_a_registered_provider_is_received_authenticated_and_handled(
    client, acme, run_worker, django_capture_on_commit_callbacks
):
    assert post(client, {"job": 7}).status_code == 401  # its own check refuses
    assert not WebhookEvent.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, {"job": 7}, HTTP_X_ACME="yes").status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.provider, event.kind, event.ref, event.dedupe_key) == (
        "acme",
        "done",
        "7",
        "acme:7",
    )
    run_worker()
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert acme == [("7", {"job": 7})]


def test_an_unregistered_provider_is_a_404_that_stores_nothing(client):
    assert post(client, {"job": 7}).status_code == 404
    assert not WebhookEvent.objects.exists()


def test_a_resolver_answers_for_pairs_nobody_registered(monkeypatch):
    def handler(*, event, payload):
        return EventStatus.PROCESSED

    monkeypatch.setattr(
        registry, "_resolvers", [lambda p, k: handler if (p, k) == ("acme", "done") else None]
    )
    assert registry.handler_for("acme", "done") is handler
    assert registry.handler_for("acme", "other") is None
