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
