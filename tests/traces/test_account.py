"""Tracerfy account figures on the overview, and who may see which queues in the history."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from leadops.providers.tracerfy import TraceColumns, TracerfyClient
from tests.support.rows import owner_rows
from traces.models import TraceJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracerfy(sandbox, settings):
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    cache.clear()
    yield TracerfyClient(base_url=sandbox.urls["tracerfy"], api_key="sandbox-key")
    cache.clear()


def make_queue(client) -> int:
    columns = TraceColumns(address="a", city="c", state="s")
    records = [{"a": f"{n} Elm St", "c": "Austin", "s": "TX"} for n in range(3)]
    return client.trace_records(records=records, columns=columns, trace_type="advanced").queue_id


def test_overview_shows_account_figures(tracerfy, staff_client, sandbox):
    sandbox.control.account(balance=4321)
    html = staff_client.get(reverse("traces:index")).content.decode()
    assert 'data-testid="analytics"' in html
    assert "4,321" in html


def test_overview_says_when_figures_are_unavailable(tracerfy, staff_client, sandbox):
    sandbox.control.faults(error_rate=1.0, paths=["/tracerfy/v1/api/analytics/"])
    html = staff_client.get(reverse("traces:index")).content.decode()
    assert "Tracerfy account figures are unavailable right now" in html


def test_history_shows_own_jobs_and_outside_queues_to_managers_only(
    tracerfy, client, owner, staff, outsider, stored_batch, team_a, team_b
):
    ours, theirs, outside = make_queue(tracerfy), make_queue(tracerfy), make_queue(tracerfy)
    batch = stored_batch(owner_rows(10))
    mine = TraceJob.objects.create(
        team=team_a,
        created_by=staff,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        provider_ref=str(ours),
    )
    TraceJob.objects.create(
        team=team_b,
        created_by=outsider,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        provider_ref=str(theirs),
    )
    url = reverse("traces:queues")

    client.force_login(owner)  # team admin
    html = client.get(url).content.decode()
    assert f'href="/traces/{mine.pk}/"' in html
    assert f"<td>{outside}</td>" in html and "outside LeadOps" in html
    assert f"<td>{theirs}</td>" not in html
    assert "1 not shown here" in html

    client.force_login(staff)  # staff: own team's queues only
    html = client.get(url).content.decode()
    assert f"<td>{ours}</td>" in html
    assert f"<td>{outside}</td>" not in html and f"<td>{theirs}</td>" not in html
    assert "2 not shown here" in html
