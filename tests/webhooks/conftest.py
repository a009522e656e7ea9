import pytest

from leadops.webhooks import registry
from leadops.webhooks.models import EventStatus


@pytest.fixture
def handled(monkeypatch):
    """Tracerfy trace-completion events go to a handler that records their queue ids."""
    seen = []

    def handler(*, event, payload):
        seen.append(payload["id"])
        return EventStatus.PROCESSED

    monkeypatch.setitem(registry._handlers, ("tracerfy", "trace"), handler)
    return seen


@pytest.fixture
def intake_client():
    """A test client served by the lean intake handler (leadops.webhooks.intake), as
    leadops.wsgi serves `/webhooks/…` in production, with CSRF checks on (it must need none)."""
    from django.test import Client
    from django.test.client import ClientHandler

    from leadops.webhooks.intake import IntakeHandlerMixin

    class IntakeClientHandler(IntakeHandlerMixin, ClientHandler):
        pass

    client = Client(enforce_csrf_checks=True)
    client.handler = IntakeClientHandler(enforce_csrf_checks=True)
    return client
