"""Every URL in the URL conf, walked: who may reach it.

- a URL whose kwargs name a team-owned object (a job, an import) answers 404 to a member of
  another team, for GET and for POST (405 where the view takes only the other method);
- anonymous visitors are sent to the log-in page, except the PUBLIC allow-list;
- every POST without a CSRF token is refused (403), except the CSRF_EXEMPT allow-list;
- the Django admin and the RQ dashboard (everything under /admin/) send anonymous visitors and
  members who are not site staff to the admin's log-in;
- every page a member sees carries the Content-Security-Policy header.

Every named URL outside /admin/ must have an entry in ROUTES below, or the test fails: a new
view is covered as soon as it is routed. An entry says which objects its kwargs name, made fresh
for each URL by a small factory.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from dnc.models import InternalDnc
from leadops.credits import services as credits
from leadops.imports import services as imports
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces import services as trace_services

pytestmark = pytest.mark.django_db

LOGIN = "/login/"
ADMIN_LOGIN = "/admin/login/"
# Reachable without logging in.
PUBLIC = {"login", "logout", "healthz", "webhooks:receive", "admin:login", "admin:logout"}
# Authenticated by the provider's token (and key), not by a session: no CSRF.
CSRF_EXEMPT = {"webhooks:receive"}


# --- factories: a team-owned object of team A (created by `user`), as the URL's kwargs ---------


def _stored_batch(team, user):
    upload = SimpleUploadedFile(
        "leads.csv", table_csv([OWNER_HEADER, *owner_rows(3)]), content_type="text/csv"
    )
    batch = imports.import_upload(
        team=team, user=user, uploaded_file=upload, job_type="trace_normal"
    )
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    return imports.import_store(batch=batch)


def batch_kwargs(team, user) -> dict:
    return {"batch_id": _stored_batch(team, user).pk}


def job_kwargs(team, user) -> dict:
    credits.grant(
        wallet=credits.wallet_for(user=user, team=team),
        amount=50,
        actor=None,
        reason="url walk",
        idempotency_key=f"url-walk-{uuid.uuid4()}",
    )
    job = trace_services.trace_job_create(
        batch=_stored_batch(team, user), trace_type="normal", user=user
    )
    return {"pk": job.pk}


def internal_dnc_kwargs(team, user) -> dict:
    entry = InternalDnc.objects.create(
        team=team, phone="+15125550199", reason="url walk", added_by=user
    )
    return {"pk": entry.pk}


def preset_kwargs(team, user) -> dict:
    from leadops.imports.models import MappingPreset

    preset = MappingPreset.objects.create(
        team=team, name=f"url walk {uuid.uuid4()}", created_by=user
    )
    return {"pk": preset.pk}


def export_kwargs(team, user) -> dict:
    return {**job_kwargs(team, user), "fmt": "csv"}


def trace_kwargs(team, user) -> dict:
    return {"trace_id": job_kwargs(team, user)["pk"]}


def scrub_kwargs(team, user) -> dict:
    from dnc import services as dnc_services

    draft = dnc_services.dnc_draft_from_list(team=team, user=user, text="512-555-0100")
    return {"pk": draft.pk}


def saved_search_kwargs(team, user) -> dict:
    from leadbuilder.models import SavedSearch

    search = SavedSearch.objects.create(
        team=team, name=f"url walk {uuid.uuid4()}", spec={}, created_by=user
    )
    return {"pk": search.pk}


def scrub_export_kwargs(team, user) -> dict:
    return {**scrub_kwargs(team, user), "which": "phones", "fmt": "csv"}


def lead_build_kwargs(team, user) -> dict:
    from tests.leadbuilder.factories import lead_build

    return {"pk": lead_build(team=team, user=user, rows=2).pk}


def lead_row_kwargs(team, user) -> dict:
    from tests.leadbuilder.factories import lead_build

    build = lead_build(team=team, user=user, rows=2)
    return {"pk": build.pk, "row_pk": build.rows.first().pk}


def property_lookup_kwargs(team, user) -> dict:
    from leadbuilder.models import PropertyLookup

    found = PropertyLookup.objects.create(
        team=team, created_by=user, address="1 Walk St", city="Austin", state="TX"
    )
    return {"pk": found.pk}


def _finished_trace(team, user):
    from leadops.jobs.models import JobStatus
    from traces.models import MatchStatus, TraceJob, TraceResult

    batch = _stored_batch(team, user)
    job = TraceJob.objects.create(
        team=team,
        created_by=user,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        status=JobStatus.COMPLETE,
        hits=3,
    )
    TraceResult.objects.bulk_create(
        TraceResult(
            team=team,
            job=job,
            record=record,
            match_key=str(record.pk),
            status=MatchStatus.HIT,
            first_name="Pat",
            last_name=f"Walker{record.pk}",
            phones=[{"number": f"512555{record.pk % 10000:04d}", "type": "Mobile"}],
        )
        for record in batch.records.all()
    )
    return job


def crm_source_kwargs(team, user) -> dict:
    return {"kind": "trace", "pk": _finished_trace(team, user).pk}


def crm_push_kwargs(team, user) -> dict:
    from leadops.crm.services import crm_push_create
    from leadops.crm.sources import source_for

    job = _finished_trace(team, user)
    push = crm_push_create(
        source=source_for(kind="trace", pk=job.pk, team=team), user=user, clean_only=False
    )
    return {"pk": push.pk}


def search_record_kwargs(team, user) -> dict:
    from leadops.search.models import SearchEntry
    from leadops.search.services import search_index_job

    search_index_job(job=_finished_trace(team, user))
    return {"key": SearchEntry.objects.filter(team=team).first().record_key}


@dataclass(frozen=True)
class Route:
    """`objects` makes the kwargs naming team A's objects (None: the URL names none)."""

    objects: Callable[..., dict] | None = None


MEMBER_PAGE = Route()
ROUTES: dict[str, Route] = {
    # site
    "dashboard": MEMBER_PAGE,
    "dashboard_running": MEMBER_PAGE,
    "dashboard_spend": MEMBER_PAGE,
    "dashboard_spend_csv": MEMBER_PAGE,
    "dashboard_chart": MEMBER_PAGE,
    "notices": MEMBER_PAGE,
    "notices_read": MEMBER_PAGE,
    "notices_badge": MEMBER_PAGE,
    "settings": MEMBER_PAGE,
    "settings_check": MEMBER_PAGE,
    "password_change": MEMBER_PAGE,
    "password_change_done": MEMBER_PAGE,
    "login": MEMBER_PAGE,
    "logout": MEMBER_PAGE,
    "healthz": MEMBER_PAGE,
    "search:results": MEMBER_PAGE,
    "search:record": Route(search_record_kwargs),
    "webhooks:receive": MEMBER_PAGE,
    # imports
    "imports:upload": MEMBER_PAGE,
    "imports:preview": Route(batch_kwargs),
    "imports:mapping": Route(batch_kwargs),
    "imports:mapping_check": Route(batch_kwargs),
    "imports:sheet": Route(batch_kwargs),
    "imports:rejects_csv": Route(batch_kwargs),
    "imports:store_progress": Route(batch_kwargs),
    "imports:presets": MEMBER_PAGE,
    "imports:preset_rename": Route(preset_kwargs),
    "imports:preset_delete": Route(preset_kwargs),
    # skip tracing
    "traces:index": MEMBER_PAGE,
    "traces:new": Route(batch_kwargs),
    "traces:lookup": MEMBER_PAGE,
    "traces:queues": MEMBER_PAGE,
    # htmx panels of the overview, the cost preview and the queue history
    "traces:account_figures": MEMBER_PAGE,
    "traces:provider_balance": MEMBER_PAGE,
    "traces:queues_table": MEMBER_PAGE,
    "traces:detail": Route(job_kwargs),
    "traces:progress": Route(job_kwargs),
    "traces:dnc_summary": Route(job_kwargs),
    "traces:cancel": Route(job_kwargs),
    "traces:retrace": Route(job_kwargs),
    "traces:export": Route(export_kwargs),
    # other sections
    # DNC scrubbing
    "dnc:index": MEMBER_PAGE,
    "dnc:from_import": Route(batch_kwargs),
    "dnc:from_list": MEMBER_PAGE,
    "dnc:from_trace": Route(trace_kwargs),
    "dnc:detail": Route(scrub_kwargs),
    "dnc:submit": Route(scrub_kwargs),
    "dnc:progress": Route(scrub_kwargs),
    "dnc:cancel": Route(scrub_kwargs),
    "dnc:export": Route(scrub_export_kwargs),
    "dnc:internal": MEMBER_PAGE,
    "dnc:internal_remove": Route(internal_dnc_kwargs),
    "dnc:lookup": MEMBER_PAGE,
    "leadbuilder:index": MEMBER_PAGE,
    "leadbuilder:execute": MEMBER_PAGE,
    "leadbuilder:detail": Route(lead_build_kwargs),
    "leadbuilder:progress": Route(lead_build_kwargs),
    "leadbuilder:cancel": Route(lead_build_kwargs),
    "leadbuilder:lookup": MEMBER_PAGE,
    "leadbuilder:lookup_detail": Route(property_lookup_kwargs),
    "leadbuilder:autocomplete": MEMBER_PAGE,
    # the AI-assist panel (the conversation is a POST/GET field, scoped in the view's tests)
    "leadbuilder:ai_ask": MEMBER_PAGE,
    "leadbuilder:ai_panel": MEMBER_PAGE,
    "leadbuilder:rows": Route(lead_build_kwargs),
    "leadbuilder:row": Route(lead_row_kwargs),
    "leadbuilder:export": Route(lead_build_kwargs),
    "leadbuilder:to_dnc": Route(lead_build_kwargs),
    # the build screen (strategies from Tracerfy: a closed port here, the page still works)
    "leadbuilder:new": MEMBER_PAGE,
    "leadbuilder:merged": MEMBER_PAGE,
    "leadbuilder:searches": MEMBER_PAGE,
    "leadbuilder:search_save": MEMBER_PAGE,
    "leadbuilder:search_rename": Route(saved_search_kwargs),
    "leadbuilder:search_delete": Route(saved_search_kwargs),
    # CRM push
    "crm:index": MEMBER_PAGE,
    "crm:settings": MEMBER_PAGE,
    "crm:connection_test": MEMBER_PAGE,
    "crm:new": Route(crm_source_kwargs),
    "crm:plan": Route(crm_source_kwargs),
    "crm:detail": Route(crm_push_kwargs),
    "crm:progress": Route(crm_push_kwargs),
    "crm:refused": Route(crm_push_kwargs),
    "crm:retry": Route(crm_push_kwargs),
}
# Kwargs the webhook intake takes that name no object.
SAMPLE_KWARGS = {"webhooks:receive": {"provider": "tracerfy", "token": "wrong-token"}}


# --- the URL conf, walked ---------------------------------------------------------------------


@dataclass(frozen=True)
class Url:
    name: str | None
    route: str
    regex: str
    params: tuple[str, ...]
    callback: Callable

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _walk(patterns, route="", regex="", namespace=None):
    for p in patterns:
        level = p.pattern.regex.pattern.lstrip("^").rstrip("$").replace(r"\Z", "")
        if isinstance(p, URLResolver):
            ns = ":".join(n for n in (namespace, p.namespace) if n) or None
            yield from _walk(p.url_patterns, route + str(p.pattern), regex + level, ns)
        elif isinstance(p, URLPattern):
            name = ":".join(n for n in (namespace, p.name) if n) if p.name else None
            params = tuple(dict.fromkeys(normalize(regex + level)[0][1]))
            yield Url(name, route + str(p.pattern), regex + level, params, p.callback)


URLS = list(_walk(get_resolver().url_patterns))


def _admin_path(url: Url) -> str | None:
    """A path that resolves to `url`'s own view, with sample values for its parameters; None
    when an earlier pattern shadows it (that pattern is walked and checked itself)."""
    template = normalize(url.regex)[0][0]
    shadowed = False
    for values in itertools.product(["1", "auth", "x"], repeat=len(url.params)):
        path = "/" + template % dict(zip(url.params, values, strict=True))
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.func == url.callback:
            return path
        shadowed = True
    assert shadowed, f"no sample path resolves to {url.route}"
    return None


def test_every_routed_url_outside_admin_has_an_access_entry():
    missing = sorted(
        u.name or u.route for u in URLS if not u.is_admin and (u.name or u.route) not in ROUTES
    )
    assert not missing, (
        f"add these URLs to ROUTES in {__name__} (which objects their kwargs name): {missing}"
    )
    stale = sorted(set(ROUTES) - {u.name for u in URLS})
    assert not stale, f"ROUTES names URLs that no longer exist: {stale}"


def _own_urls() -> list[Url]:
    return [u for u in URLS if not u.is_admin]


def _path(url: Url, team, user) -> str:
    route = ROUTES[url.name]
    kwargs = route.objects(team, user) if route.objects else SAMPLE_KWARGS.get(url.name, {})
    return reverse(url.name, kwargs=kwargs)


def _team_owned(url: Url) -> bool:
    return ROUTES[url.name].objects is not None


@pytest.mark.parametrize("url", [u for u in _own_urls()], ids=lambda u: u.name)
def test_anonymous_visitors_go_to_login(client, url, staff, team_a):
    if url.name in PUBLIC:
        return
    path = _path(url, team_a, staff)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path, response.status_code)
        assert response["Location"].startswith(f"{LOGIN}?next="), (method, path)


@pytest.mark.parametrize(
    "url", [u for u in _own_urls() if u.name in ROUTES and _team_owned(u)], ids=lambda u: u.name
)
def test_another_teams_member_gets_404(client, url, staff, team_a, outsider):
    path = _path(url, team_a, staff)
    client.force_login(outsider)
    answers = {method: getattr(client, method)(path).status_code for method in ("get", "post")}
    assert set(answers.values()) <= {404, 405}, (path, answers)
    assert 404 in answers.values(), (path, answers)
    # The object is there for its own team: the 404 above was the team scoping.
    client.force_login(staff)
    own = {method: getattr(client, method)(path).status_code for method in ("get", "post")}
    assert 404 not in own.values() and max(own.values()) < 500, (path, own)


@pytest.mark.parametrize("url", URLS, ids=lambda u: u.name or u.route)
def test_every_post_needs_a_csrf_token(url, staff, team_a):
    path = _admin_path(url) if url.is_admin else _path(url, team_a, staff)
    if url.name in CSRF_EXEMPT or path is None:
        return
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(path, {"anything": "1"})
    assert response.status_code == 403, (path, response.status_code)
    assert b"CSRF" in response.content


@pytest.mark.parametrize(
    "url", [u for u in URLS if u.is_admin and u.name not in PUBLIC], ids=lambda u: u.name or u.route
)
def test_admin_urls_are_for_site_staff_only(client, url, staff):
    path = _admin_path(url)
    if path is None:
        return

    def refused(response) -> bool:
        # To the admin's log-in; RQ's stats.json (an API with its own token) answers 401.
        if response.status_code == 302:
            return response["Location"].startswith(ADMIN_LOGIN)
        return response.status_code in (401, 403)

    assert refused(client.get(path)), path
    client.force_login(staff)  # a team member, not site staff
    assert refused(client.get(path)), path


@pytest.mark.parametrize(
    "url", [u for u in _own_urls() if u.name not in CSRF_EXEMPT], ids=lambda u: u.name
)
def test_every_page_carries_the_content_security_policy(client, url, staff, team_a):
    path = _path(url, team_a, staff)
    client.force_login(staff)
    response = client.get(path)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'", policy
    assert directives["default-src"] == "'self'", policy
    assert "unsafe" not in directives["style-src"], policy
    html = response.content.decode()
    assert " onclick=" not in html and "<script>" not in html, path
