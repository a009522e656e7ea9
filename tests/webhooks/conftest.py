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
    """An HTTP client of the plain WSGI intake (leadops.webhooks.intake.application), as
    leadops.wsgi serves `/webhooks/…` in production, run in this thread on the test's
    database connection, which (as Django's test client does) the request signals must
    not close."""
    import httpx
    from django.core import signals
    from django.db import close_old_connections

    from leadops.webhooks.intake import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with httpx.Client(
            transport=httpx.WSGITransport(app=application), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
