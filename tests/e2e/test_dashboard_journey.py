"""The dashboard as a team sees it in the morning: credits, a job running with its live
progress bar, what ended since yesterday and what needs attention; the running card follows
the job to its end without a reload."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from dnc.models import DncScrub
from leadops.credits import services as credits
from leadops.jobs.models import JobStatus
from tests.support.browser import log_in
from tests.support.crm import finished_trace


def test_dashboard_journey(page, live_server, trace_member, screenshot):
    team = trace_member.membership.team
    running = finished_trace(team, trace_member, 4, status=JobStatus.SUBMITTED)
    type(running).objects.filter(pk=running.pk).update(rows_total=10, rows_done=6)
    finished_trace(team, trace_member, 2)
    type(running).objects.exclude(pk=running.pk).update(
        completed_at=timezone.now() - timedelta(hours=2)
    )
    DncScrub.objects.create(
        team=team,
        created_by=trace_member,
        provider="tracerfy",
        source="list",
        name="Monday calls",
        status=JobStatus.FAILED,
        completed_at=timezone.now() - timedelta(hours=1),
        error_message="Tracerfy refused the list: no valid phone.",
    )

    wallet = credits.wallet_for(user=trace_member, team=team)
    hold = credits.hold(wallet=wallet, amount=40, reference="trace:77", actor=None, reason="t")
    credits.settle(hold=hold, charged=35, actor=None, reason="t")

    log_in(page, live_server.url, trace_member.username)
    card = page.get_by_test_id("running-jobs")
    expect(card.get_by_test_id("running-job")).to_have_count(1)
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "60")
    expect(page.get_by_test_id("attention")).to_contain_text("Tracerfy refused the list")
    expect(page.get_by_test_id("finished")).to_contain_text("Trace job")
    expect(page.get_by_test_id("team-available")).to_have_text("165")
    expect(page.get_by_test_id("chart-hits").locator("canvas")).to_be_visible()
    expect(page.get_by_test_id("chart-dnc-empty")).to_have_text(
        "No phone scrubbed in the last 90 days."
    )
    expect(page.get_by_test_id("chart-leads-empty")).to_be_visible()
    spend = page.get_by_test_id("spend-card")
    expect(spend.get_by_test_id("spend-total")).to_have_text("35 credits in the last 30 days.")
    expect(spend.locator("canvas.spend-chart")).to_be_visible()
    spend.get_by_test_id("spend-by-user").click()
    expect(page.get_by_test_id("spend-by-user")).to_have_class("btn btn-secondary")
    expect(page.locator("canvas.spend-chart")).to_have_attribute(
        "aria-label", re.compile("by user")
    )
    screenshot("dashboard")

    # The job ends: the card says so on its next refresh, no reload.
    type(running).objects.filter(pk=running.pk).update(
        status=JobStatus.COMPLETE, completed_at=timezone.now()
    )
    expect(card.get_by_test_id("nothing-running")).to_be_visible(timeout=10_000)
    card.get_by_text("Nothing is running").wait_for()
    page.get_by_role("link", name="Monday calls").click()
    expect(page).to_have_url(f"{live_server.url}/dnc/{DncScrub.objects.get().pk}/")
