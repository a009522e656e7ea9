"""Settings → operations: connectivity checks against the real sandbox, the last webhook event
per provider (admins only), the rate limiter's usage now, and the mapping presets page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leadops import providers
from leadops.accounts.models import Role
from leadops.imports.models import ImportBatch, MappingPreset
from leadops.providers import health
from leadops.providers.ratelimit import RateLimiter
from leadops.webhooks.models import EventStatus, WebhookEvent
from tests.factories import MembershipFactory, UserFactory
from tests.support.crm import point_crm_at

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def all_at_sandbox(sandbox, settings, rq_redis):
    """Tracerfy, RealEstateAPI and the CRM all pointed at the session sandbox."""
    settings.TRACERFY_BASE_URL = sandbox.urls["tracerfy"]
    settings.REAPI_BASE_URL = sandbox.urls["reapi"].rsplit("/", 1)[0] + "/"
    point_crm_at(sandbox, settings)
    return sandbox


def _checks(response) -> dict[str, str]:
    return {check.provider: check for check in response.context["checks"]}


# --- connectivity ---------------------------------------------------------------------------


def test_check_connections_all_ok_against_the_sandbox_and_nothing_paid(
    staff_client, all_at_sandbox
):
    response = staff_client.post(reverse("settings_check"), headers=HX)
    assert response.status_code == 200
    checks = _checks(response)
    assert [c.state for c in checks.values()] == ["ok", "ok", "ok"]
    assert "balance" in checks["tracerfy"].message
    assert "key was accepted" in checks["reapi"].message
    assert "between 10 and 1,000" in checks["reapi"].message  # the sandbox's own refusal
    assert all(c.millis is not None and c.millis >= 0 for c in checks.values())
    html = response.content.decode()
    assert 'id="connection-checks"' in html and "<html" not in html  # a fragment
    assert html.count('data-state="ok"') == 3
    # Nothing paid, nothing created in the CRM.
    assert all_at_sandbox.control.paid()["count"] == 0
    assert all_at_sandbox.control.crm_received()["items"] == []


def test_wrong_keys_show_each_providers_refusal(staff_client, all_at_sandbox, settings):
    settings.TRACERFY_API_KEY = "wrong"
    settings.REAPI_API_KEY = "wrong"
    settings.CRM_API_SECRET = "wrong"
    response = staff_client.post(reverse("settings_check"), headers=HX)
    checks = _checks(response)
    assert {p: c.state for p, c in checks.items()} == {
        "tracerfy": "failed",
        "reapi": "failed",
        "crm": "failed",
    }
    assert checks["tracerfy"].message.startswith("Tracerfy refused the credentials (HTTP 401)")
    assert "Invalid token" in checks["tracerfy"].message
    assert checks["reapi"].message.startswith("RealEstateAPI refused the credentials (HTTP 401)")
    assert "x-api-key" in checks["reapi"].message
    assert checks["crm"].message.startswith("CRM refused the credentials (HTTP 401)")
    assert "refused the credentials" in response.content.decode()


def test_unreachable_timeout_and_crm_off(staff_client, all_at_sandbox, settings):
    settings.REAPI_BASE_URL = "http://127.0.0.1:9/reapi/v1/"  # nothing listens there
    settings.PROVIDER_PAGE_TIMEOUT = 0.5
    all_at_sandbox.control.faults(latency_ms=2000, paths=["/tracerfy/v1/api/analytics"])
    settings.CRM_ENABLED = False
    checks = _checks(staff_client.post(reverse("settings_check"), headers=HX))
    assert checks["tracerfy"].state == "failed"
    assert checks["tracerfy"].message == "Tracerfy did not answer in time (timeout after 0.5 s)."
    assert checks["tracerfy"].seconds < 2
    assert checks["reapi"].message == (
        "RealEstateAPI is unreachable or failing: RealEstateAPI could not be reached "
        "(connection failed)."
    )
    assert checks["crm"].state == "off" and checks["crm"].seconds is None


def test_check_without_htmx_renders_the_whole_page_and_needs_post(staff_client, all_at_sandbox):
    response = staff_client.post(reverse("settings_check"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and html.count('data-state="ok"') == 3
    assert staff_client.get(reverse("settings_check")).status_code == 405


def test_settings_page_offers_the_check_without_calling_anyone(staff_client, settings):
    # The providers point at a closed port: the page itself makes no provider call.
    response = staff_client.get(reverse("settings"))
    html = response.content.decode()
    assert 'data-testid="check-connections"' in html
    assert "Not checked yet" in html


# --- last webhook event ---------------------------------------------------------------------


def _event(provider: str, n: int, **fields) -> WebhookEvent:
    return WebhookEvent.objects.create(
        provider=provider, kind=fields.pop("kind", "queue_complete"), dedupe_key=f"{provider}-{n}",
        body="{}", **fields,
    )  # fmt: skip


def test_last_event_per_provider_for_admins(owner_client, django_assert_max_num_queries):
    _event("tracerfy", 1, kind="queue_complete", status=EventStatus.FAILED)
    _event("tracerfy", 2, kind="dnc_complete", status=EventStatus.PROCESSED)
    _event("other", 3, kind="whatever")
    with django_assert_max_num_queries(8):
        response = owner_client.get(reverse("settings"))
    lines = [
        line
        for line in response.content.decode().splitlines()
        if 'data-testid="last-event"' in line
    ]
    assert len(lines) == 2
    assert "dnc_complete, processed" in lines[0]  # the newest Tracerfy event
    assert "queue_complete" not in lines[0]
    assert "Last event received: never" in lines[1]  # RealEstateAPI never called


def test_last_event_lookup_is_one_query(django_assert_num_queries):
    from leadops.webhooks.selectors import last_events

    for n in range(5):
        _event("tracerfy", n)
        _event("reapi", 10 + n, kind="item")
    with django_assert_num_queries(1):
        found = last_events(providers=["tracerfy", "reapi", "nobody"])
    assert found["tracerfy"].dedupe_key == "tracerfy-4"
    assert found["reapi"].dedupe_key == "reapi-14"
    assert "nobody" not in found


def test_staff_see_neither_urls_nor_last_events(staff_client):
    _event("tracerfy", 1)
    html = staff_client.get(reverse("settings")).content.decode()
    assert 'data-testid="last-event"' not in html
    assert 'data-testid="webhooks-admins-only"' in html


# --- rate-limit usage -----------------------------------------------------------------------


def test_rate_usage_after_a_few_acquires(staff_client, rq_redis):
    limiter = providers.limiter()
    for _ in range(3):
        assert limiter.acquire("tracerfy.trace") == 0
    for _ in range(10):
        limiter.acquire("tracerfy.parcel")
    rows = {(r.family, r.limit): r for r in health.rate_usage()}
    assert rows[("tracerfy.trace", 10)].used == 3 and not rows[("tracerfy.trace", 10)].full
    assert rows[("tracerfy.parcel", 10)].full and rows[("tracerfy.parcel", 10)].free_in > 0
    assert rows[("tracerfy.execute", 50)].used == 0  # both windows of a two-window family
    html = staff_client.get(reverse("settings")).content.decode()
    trace_line = next(
        line for line in html.splitlines() if 'data-testid="rate-tracerfy.trace"' in line
    )
    assert "3 / 10" in trace_line and "5 min" in trace_line and "free now" in trace_line
    parcel = next(
        line for line in html.splitlines() if 'data-testid="rate-tracerfy.parcel"' in line
    )
    assert "10 / 10" in parcel and "full, frees in" in parcel


def test_redis_down_says_unavailable(staff_client, monkeypatch, all_at_sandbox):
    dead = RateLimiter.from_url("redis://127.0.0.1:9/0")  # nothing listens there
    monkeypatch.setattr(providers, "_limiter", dead)
    response = staff_client.get(reverse("settings"))
    assert response.status_code == 200
    assert 'data-testid="rate-usage-unavailable"' in response.content.decode()
    checks = _checks(staff_client.post(reverse("settings_check"), headers=HX))
    assert checks["tracerfy"].message == (
        "Not checked: the shared rate limiter (Redis) is unavailable."
    )


# --- mapping presets ------------------------------------------------------------------------


def _preset(team, user, name="County export", **fields) -> MappingPreset:
    return MappingPreset.objects.create(
        team=team, name=name, headers=["Owner", "Addr", "Notes"],
        mapping={"Owner": "owner_name", "Addr": "property_address", "Notes": "extra"},
        created_by=user, **fields,
    )  # fmt: skip


def test_settings_links_dnc_list_and_presets(staff_client):
    html = staff_client.get(reverse("settings")).content.decode()
    assert f'href="{reverse("dnc:internal")}"' in html
    assert f'href="{reverse("imports:presets")}"' in html


def test_presets_list_is_the_teams_with_bounded_queries(
    staff_client, staff, team_a, team_b, outsider, django_assert_max_num_queries
):
    for n in range(12):
        _preset(team_a, staff, name=f"Preset {n:02d}")
    _preset(team_b, outsider, name="Their preset")
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("imports:presets"))
    html = response.content.decode()
    assert "Preset 00" in html and "Preset 11" in html and "Their preset" not in html
    assert html.count('data-testid="rename-preset"') == 12  # the creator may change them
    assert ">2<" in html  # two columns mapped (the extra column is not counted)
    # Bad paging input is never an error.
    assert staff_client.get(reverse("imports:presets") + "?page=zz&sort=nope").status_code == 200


def test_rename_a_preset(staff_client, staff, team_a):
    preset = _preset(team_a, staff)
    _preset(team_a, staff, name="Taken")
    url = reverse("imports:preset_rename", args=[preset.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"name": "Taken"})
    assert response.status_code == 200
    assert "already has a preset named “Taken”" in response.content.decode()
    response = staff_client.post(url, {"name": "  "})
    assert response.status_code == 200 and 'data-testid="rename-error"' in response.content.decode()
    response = staff_client.post(url, {"name": "x" * 101})
    assert response.status_code == 200 and 'data-testid="rename-error"' in response.content.decode()
    response = staff_client.post(url, {"name": "  Travis   County "})
    assert response.status_code == 302 and response.url == reverse("imports:presets")
    preset.refresh_from_db()
    assert preset.name == "Travis County"


def test_delete_a_preset_after_confirmation_keeps_imports(staff_client, staff, team_a):
    preset = _preset(team_a, staff)
    batch = ImportBatch.objects.create(
        team=team_a, created_by=staff, filename="a.csv", kind="csv", preset=preset
    )
    url = reverse("imports:preset_delete", args=[preset.pk])
    response = staff_client.get(url)
    assert (
        response.status_code == 200 and 'data-testid="confirm-delete"' in response.content.decode()
    )
    assert MappingPreset.objects.filter(pk=preset.pk).exists()
    response = staff_client.post(url)
    assert response.status_code == 302
    assert not MappingPreset.objects.filter(pk=preset.pk).exists()
    batch.refresh_from_db()
    assert batch.preset_id is None


def test_another_teams_preset_is_a_404(staff_client, team_b, outsider):
    theirs = _preset(team_b, outsider)
    for name in ("imports:preset_rename", "imports:preset_delete"):
        url = reverse(name, args=[theirs.pk])
        assert staff_client.get(url).status_code == 404
        assert staff_client.post(url, {"name": "mine now"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "County export"


def test_only_managers_or_the_creator_may_change_a_preset(client, staff, team_a):
    preset = _preset(team_a, staff)
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, team=team_a, role=Role.STAFF)
    client.force_login(colleague)
    listing = client.get(reverse("imports:presets")).content.decode()
    assert "County export" in listing and 'data-testid="rename-preset"' not in listing
    response = client.post(reverse("imports:preset_delete", args=[preset.pk]), follow=True)
    assert "may change it" in response.content.decode()
    assert MappingPreset.objects.filter(pk=preset.pk).exists()
    manager = UserFactory(username="manager")
    MembershipFactory(user=manager, team=team_a, role=Role.MANAGER)
    client.force_login(manager)
    response = client.post(reverse("imports:preset_rename", args=[preset.pk]), {"name": "Mgr"})
    assert response.status_code == 302
    preset.refresh_from_db()
    assert preset.name == "Mgr"
