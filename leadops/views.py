"""Site-wide pages: the dashboard, the settings page and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from leadops import dashboard as dashboard_figures
from leadops import exports
from leadops.accounts.models import Membership
from leadops.credits import reports
from leadops.credits import selectors as credit_selectors
from leadops.credits.models import Wallet
from leadops.credits.tables import CreditEntryTable
from leadops.jobs.models import JobNotice
from leadops.providers import health
from leadops.tables import table_configure
from leadops.webhooks.selectors import last_events


@login_required
def dashboard(request):
    wallet = Wallet.objects.filter(user=request.user).first()
    table = CreditEntryTable(credit_selectors.wallet_entries(wallet=wallet))
    table_configure(request, table, per_page=15)
    team = request.team
    running = _running(team)
    context = {
        "wallet": wallet,
        "table": table,
        "series": credit_selectors.balance_series(wallet=wallet),
        "team_credits": dashboard_figures.team_credits(team=team) if team else None,
        "finished": dashboard_figures.finished_since(team=team, since=dashboard_figures.yesterday())
        if team
        else [],
        "attention": dashboard_figures.needs_attention(team=team) if team else [],
        "activity": dashboard_figures.recent_activity(team=team) if team else [],
        **running,
    }
    busy = running["running_total"] or context["finished"] or context["attention"]
    context["is_new"] = not busy and (
        team is None or dashboard_figures.is_new(user=request.user, team=team)
    )
    return render(request, "dashboard.html", context)


def _running(team) -> dict:
    jobs, total = dashboard_figures.running_jobs(team=team) if team else ([], 0)
    return {"running": jobs, "running_total": total}


def _spend(request) -> reports.DailySpend:
    days = int(request.GET.get("days", "30")) if request.GET.get("days") in ("30", "90") else 30
    by = "user" if request.GET.get("by") == "user" else "feature"
    return reports.spend_by_day(team=request.team, days=days, by=by)


@login_required
def dashboard_spend(request):
    """The dashboard's spend-per-day card (loaded after the page): a stacked chart, the same
    numbers as a table, and their CSV."""
    spend = _spend(request)
    chart = dashboard_figures.spend_chart(spend)
    return render(
        request,
        "partials/dashboard_spend.html",
        {"spend": spend, "chart": chart, "choices_days": reports.SPEND_DAYS},
    )


@login_required
def dashboard_spend_csv(request):
    spend = _spend(request)
    name = f"credits-spent-by-{spend.by}-{spend.days}-days"
    return exports.download_response("csv", name, spend.headers, spend.rows())


@login_required
def dashboard_chart(request):
    """One of the dashboard's activity charts (`?name=hits|dnc|leads`, loaded after the
    page): the chart, its numbers as a table, and (`&format=csv`) their CSV."""
    name = request.GET.get("name", "")
    make = dashboard_figures.CHARTS.get(name)
    if make is None or request.team is None:
        raise Http404("No such chart")
    chart = make(request.team)
    if request.GET.get("format") == "csv":
        return exports.download_response("csv", f"leadops-{name}", chart["headers"], chart["rows"])
    data = {key: chart[key] for key in ("type", "labels", "datasets")}
    return render(
        request, "partials/dashboard_chart.html", {"name": name, "chart": chart, "data": data}
    )


@login_required
def notices(request):
    """Your jobs that ended, newest first, 30 a page; unread ones marked."""
    mine = JobNotice.objects.filter(user=request.user)
    page = Paginator(mine, 30).get_page(request.GET.get("page"))
    unread = mine.filter(read_at__isnull=True).count()
    return render(request, "notices.html", {"page": page, "unread": unread})


@login_required
@require_POST
def notices_read(request):
    JobNotice.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notices")


@login_required
def notices_badge(request):
    """The header bell's count of unread notices (loaded after each page, then every 30 s,
    so no page waits on it)."""
    unread = JobNotice.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "partials/notices_badge.html", {"unread": unread})


@login_required
def dashboard_running(request):
    """The dashboard's running-jobs card, reloaded every few seconds while jobs run."""
    return render(request, "partials/dashboard_running.html", _running(request.team))


WEBHOOK_PROVIDERS = [
    ("tracerfy", "Tracerfy (account webhook URL)"),
    ("reapi", "RealEstateAPI (webhook_url / webcomplete_url)"),
]


def _settings_context(request, checks=None) -> dict:
    members = (
        Membership.objects.filter(team=request.team).select_related("user")
        if request.team
        else Membership.objects.none()
    )
    providers = [
        ("Tracerfy", settings.TRACERFY_BASE_URL, bool(settings.TRACERFY_API_KEY)),
        ("RealEstateAPI", settings.REAPI_BASE_URL, bool(settings.REAPI_API_KEY)),
        ("CRM", settings.CRM_BASE_URL, bool(settings.CRM_API_KEY)),
    ]
    if not settings.CRM_ENABLED:
        providers[-1] = ("CRM", "", None)
    # The webhook token is one secret for the whole installation, not a team's: only those who
    # run the installation (Django staff and superusers) see the URLs that carry it.
    can_see_webhooks = request.user.is_staff or request.user.is_superuser
    webhook_urls = []
    if can_see_webhooks:
        events = last_events(providers=[slug for slug, _ in WEBHOOK_PROVIDERS])
        webhook_urls = [
            (
                label,
                f"{settings.PUBLIC_BASE_URL}/webhooks/{slug}/{settings.WEBHOOK_TOKEN}/",
                events.get(slug),
            )
            for slug, label in WEBHOOK_PROVIDERS
        ]
    return {
        "members": members,
        "providers": providers,
        "provider_mode": settings.PROVIDER_MODE,
        "can_see_webhooks": can_see_webhooks,
        "webhook_urls": webhook_urls,
        "rate_usage": health.rate_usage(),
        "checks": checks,
    }


@login_required
def settings_page(request):
    return render(request, "settings.html", _settings_context(request))


@login_required
@require_POST
def settings_check(request):
    """ "Check connections" (htmx): one free call per provider, the answers as a fragment."""
    checks = health.check_connections()
    if not request.htmx:
        return render(request, "settings.html", _settings_context(request, checks))
    return render(request, "partials/connection_checks.html", {"checks": checks})


@never_cache
def healthz(request):
    """Liveness for a process manager or load balancer: the web process answers.

    Deliberately touches neither the database nor Redis, so a Redis restart does not make the
    web look dead (the worker and Redis are watched by their own process manager).
    """
    return HttpResponse("ok\n", content_type="text/plain")
