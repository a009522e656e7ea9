"""Tracerfy account figures on the overview and the cost preview, and who may see which
queues in the history. Every provider panel loads after its page (an htmx fragment), from a
cache, through a page client: a slow or failing provider never holds a page up."""

import time

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


ANALYTICS = "/tracerfy/v1/api/analytics/"


def test_overview_shows_account_figures_in_a_lazy_panel(tracerfy, staff_client, sandbox):
    sandbox.control.account(balance=4321)
    page = staff_client.get(reverse("traces:index")).content.decode()
    assert f'hx-get="{reverse("traces:account_figures")}" hx-trigger="load"' in page
    assert "4,321" not in page  # the page itself never waits on the provider
    panel = staff_client.get(reverse("traces:account_figures")).content.decode()
    assert 'data-testid="analytics"' in panel
    assert "4,321" in panel


def test_overview_panel_says_when_figures_are_unavailable_after_one_try(
    tracerfy, staff_client, sandbox
):
    sandbox.control.faults(error_rate=1.0, paths=[ANALYTICS])
    panel = staff_client.get(reverse("traces:account_figures")).content.decode()
    assert (
        "Tracerfy balance unavailable right now: Tracerfy is slow or not answering; "
        "try again in a minute." in panel
    )
    # A page-time call is not retried (a retried read costs the user 3 x the wait).
    assert sandbox.control.fault_count("error", f"GET {ANALYTICS}") == 1
    # Nor asked again on the next page view while it is down.
    staff_client.get(reverse("traces:account_figures"))
    assert sandbox.control.fault_count("error", f"GET {ANALYTICS}") == 1


@pytest.fixture
def slow_provider(tracerfy, sandbox, settings):
    """Tracerfy takes 5 s to answer anything; a page's provider call waits 0.5 s at most."""
    settings.PROVIDER_PAGE_TIMEOUT = 0.5
    sandbox.control.faults(latency_ms=5000, paths=["/tracerfy/v1/api/"])
    return sandbox


def timed_get(client, url: str, **query) -> tuple[float, str]:
    started = time.monotonic()
    response = client.get(url, query)
    assert response.status_code == 200
    return time.monotonic() - started, response.content.decode()


@pytest.mark.parametrize(
    ("page", "panel"),
    [
        ("traces:index", "traces:account_figures"),
        ("traces:queues", "traces:queues_table"),
        ("new", "traces:provider_balance"),
    ],
)
def test_pages_answer_at_once_and_panels_give_up_quickly_on_a_slow_provider(
    slow_provider, staff_client, stored_batch, page, panel
):
    url = reverse("traces:new", args=[stored_batch(owner_rows(10)).pk]) if page == "new" else None
    took, html = timed_get(staff_client, url or reverse(page))
    assert took < 2.0, f"the page took {took:.1f} s"
    assert f'hx-get="{reverse(panel)}' in html and 'hx-trigger="load"' in html
    took, fragment = timed_get(staff_client, reverse(panel))
    assert took < 3.0, f"the panel took {took:.1f} s (the provider answers in 5 s)"
    assert "unavailable right now: Tracerfy is slow or not answering; try again" in fragment


def test_cost_preview_radio_clicks_do_not_ask_the_provider_again(
    tracerfy, staff_client, stored_batch, sandbox
):
    url = reverse("traces:new", args=[stored_batch(owner_rows(10)).pk])
    balance_url = reverse("traces:provider_balance")
    sandbox.control.account(balance=1111)
    staff_client.get(url)
    assert "1,111" in staff_client.get(balance_url, {"provider": "tracerfy"}).content.decode()
    sandbox.control.account(balance=2222)  # the provider's figure moves on
    for query in ({"type": "advanced"}, {"type": "normal"}, {"provider": "tracerfy"}):
        # A radio click: htmx asks for the preview with the new selection, then its panel.
        html = staff_client.get(url, query, HTTP_HX_REQUEST="true").content.decode()
        assert "2,222" not in html
        panel = staff_client.get(balance_url, {"provider": "tracerfy"}).content.decode()
        assert "1,111" in panel, "the cached figure is shown; Tracerfy was not asked again"


def test_cost_preview_for_realestateapi_shows_its_account_not_tracerfys(
    tracerfy, staff_client, stored_batch, sandbox
):
    batch = stored_batch(owner_rows(10))
    sandbox.control.account(balance=1111)
    html = staff_client.get(
        reverse("traces:new", args=[batch.pk]), {"provider": "reapi"}
    ).content.decode()
    assert "RealEstateAPI account</h2>" in html and "Tracerfy account" not in html
    assert f'{reverse("traces:provider_balance")}?provider=reapi"' in html
    panel = staff_client.get(reverse("traces:provider_balance"), {"provider": "reapi"})
    text = panel.content.decode()
    assert "RealEstateAPI does not report a balance" in text
    assert "Tracerfy" not in text and "1,111" not in text
    assert f'href="{reverse("imports:mapping", args=[batch.pk])}"' in html  # Back to mapping


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
    url = reverse("traces:queues_table")  # the list's panel on the queue history page

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


def test_queue_list_panel_for_a_user_without_a_team_says_so(tracerfy, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="loner"))
    # The team middleware answers every team page, the panels too, with one clear page.
    for name in ("traces:queues_table", "traces:queues"):
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "You are not in a team yet" in response.content.decode()


@pytest.mark.parametrize(
    "name", ["traces:account_figures", "traces:provider_balance", "traces:queues_table"]
)
def test_provider_panels_send_anonymous_visitors_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]
