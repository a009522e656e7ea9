"""The dashboard's figures against known jobs and wallets, scoped to the team."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dnc.models import DncScrub
from leadops.credits import services as credits
from leadops.crm.models import CrmPush
from leadops.jobs.models import JobStatus
from leadops.jobs.registry import all_kinds
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.leadbuilder.factories import lead_build
from tests.support.crm import finished_trace

pytestmark = pytest.mark.django_db


def ended(job, status: str, hours_ago: float, error: str = ""):
    type(job).objects.filter(pk=job.pk).update(
        status=status,
        completed_at=timezone.now() - timedelta(hours=hours_ago),
        error_message=error,
    )
    job.refresh_from_db()
    return job


def scrub(team, user, name: str, status: str = JobStatus.QUEUED) -> DncScrub:
    return DncScrub.objects.create(
        team=team, created_by=user, provider="tracerfy", source="list", name=name, status=status
    )


@pytest.fixture
def jobs(team_a, team_b, staff, owner, outsider, monkeypatch):
    # "Since yesterday" is measured from the start of yesterday: pin it 30 hours back.
    monkeypatch.setattr(
        "leadops.dashboard.yesterday", lambda now=None: timezone.now() - timedelta(hours=30)
    )
    credits.grant(wallet=staff.wallet, amount=300, actor=None, reason="t", idempotency_key="s")
    theirs = credits.wallet_for(user=outsider, team=team_b)
    mine = credits.wallet_for(user=owner, team=team_a)
    credits.grant(wallet=mine, amount=1200, actor=None, reason="t", idempotency_key="o")
    credits.hold(wallet=mine, amount=200, reference="x:1", actor=None, reason="t")
    credits.grant(wallet=theirs, amount=999, actor=None, reason="t", idempotency_key="b")

    running = finished_trace(team_a, staff, 3, status=JobStatus.SUBMITTED)
    type(running).objects.filter(pk=running.pk).update(rows_total=10, rows_done=4)
    queued = scrub(team_a, staff, "calls to check")
    done = ended(finished_trace(team_a, staff, 2), JobStatus.COMPLETE, 2)
    ended(finished_trace(team_a, staff, 2), JobStatus.COMPLETE, 72)  # before yesterday
    partial = ended(
        lead_build(team=team_a, user=staff, rows=1, name="Phoenix flips"),
        JobStatus.PARTIAL,
        3,
        "120 rows could not be stored; their credits were returned.",
    )
    failed = ended(scrub(team_a, staff, "bad list"), JobStatus.FAILED, 1, "Tracerfy refused it.")
    ended(scrub(team_a, staff, "old failure"), JobStatus.FAILED, 24 * 10, "Long ago.")
    # Another team's work never shows.
    scrub(team_b, outsider, "theirs running")
    ended(scrub(team_b, outsider, "theirs failed"), JobStatus.FAILED, 1, "Secret failure.")
    return {"running": running, "queued": queued, "done": done, "partial": partial,
            "failed": failed}  # fmt: skip


def test_the_dashboard_shows_the_teams_figures(staff_client, jobs):
    html = staff_client.get(reverse("dashboard")).content.decode()

    assert 'data-testid="wallet-available">300<' in html
    assert 'data-testid="team-available">1,300<' in html  # 300 + (1,200 - 200 held)
    assert "200 held · 2 wallets" in html
    running = html.split('data-testid="running-jobs"', 1)[1].split("Finished since", 1)[0]
    assert running.count('data-testid="running-job"') == 2
    assert str(jobs["running"]) in running and str(jobs["queued"]) in running
    assert 'aria-valuenow="40"' in running  # 4 of 10 rows
    assert "theirs running" not in html
    assert 'data-testid="running-total">2<' in html

    finished = html.split('data-testid="finished"', 1)[1].split("</table>", 1)[0]
    rows = [
        [cell.split(">", 1)[1] for cell in row.split("<td")[1:]]
        for row in finished.split("<tbody>", 1)[1].split("<tr>")[1:]
    ]
    figures = {row[0].split("<")[0]: [c.split("<")[0] for c in row[1:]] for row in rows}
    assert figures == {
        "Trace job": ["1", "0", "0"],  # the one of 72 hours ago is not "since yesterday"
        "DNC scrub": ["0", "0", "1"],
        "Lead list": ["1", "1", "0"],
    }

    attention = html.split("Needs attention", 1)[1]
    assert attention.count('data-testid="attention"') == 2
    assert attention.index(str(jobs["failed"])) < attention.index(str(jobs["partial"]))
    assert "Tracerfy refused it." in attention and "120 rows could not be stored" in attention
    assert "the rest can be sent again from its page" in attention
    assert "Long ago." not in attention and "Secret failure." not in attention
    assert jobs["failed"].get_absolute_url() in attention
    assert 'data-testid="start-here"' not in html


def test_a_new_user_is_told_where_to_start(client):
    team = TeamFactory(name="Fresh")
    user = UserFactory(username="fresh")
    MembershipFactory(user=user, team=team)
    client.force_login(user)
    html = client.get(reverse("dashboard")).content.decode()
    start = html.split('data-testid="start-here"', 1)[1]
    assert reverse("imports:upload") in start and reverse("leadbuilder:new") in start
    assert 'data-testid="no-credits"' in start
    assert 'data-testid="nothing-running"' in html
    assert 'data-testid="nothing-finished"' in html
    assert 'data-testid="nothing-needs-attention"' in html


def test_the_running_card_refreshes_while_jobs_run_and_stops_after(staff_client, jobs):
    url = reverse("dashboard_running")
    card = staff_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{url}"' in card and card.count('data-testid="running-job"') == 2
    for job in (jobs["running"], jobs["queued"]):
        ended(job, JobStatus.COMPLETE, 0)
    card = staff_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-get" not in card and 'data-testid="nothing-running"' in card


def test_the_dashboard_reads_each_kind_once_however_many_jobs(staff_client, team_a, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(reverse("dashboard")).status_code == 200
        return len(queries)

    scrub(team_a, staff, "one")
    ended(scrub(team_a, staff, "one failed"), JobStatus.FAILED, 1, "x")
    count()  # the first request of a session writes it
    few = count()
    for n in range(6):
        scrub(team_a, staff, f"more {n}")
        ended(scrub(team_a, staff, f"more failed {n}"), JobStatus.FAILED, 1, "x")
        CrmPush.objects.create(
            team=team_a, created_by=staff, provider="crm", source_kind="trace", source_id=1,
            source_name="t", selection="all", status=JobStatus.SUBMITTING,
        )  # fmt: skip
    assert count() == few
    assert few <= 12 + 3 * len(all_kinds())


def test_spend_per_day_by_feature_and_by_user(staff_client, team_a, team_b, staff, owner):
    import csv
    import io

    mine = staff.wallet
    theirs = credits.wallet_for(user=owner, team=team_a)
    credits.grant(wallet=mine, amount=5000, actor=None, reason="t", idempotency_key="g1")
    credits.grant(wallet=theirs, amount=5000, actor=None, reason="t", idempotency_key="g2")
    other = credits.wallet_for(user=UserFactory(username="elsewhere"), team=team_b)
    credits.grant(wallet=other, amount=5000, actor=None, reason="t", idempotency_key="g3")

    def charge(wallet, reference, amount, charged, days_ago=0):
        hold = credits.hold(wallet=wallet, amount=amount, reference=reference, actor=None,
                            reason="t")  # fmt: skip
        credits.settle(hold=hold, charged=charged, actor=None, reason="t")
        when = timezone.now() - timedelta(days=days_ago)
        from leadops.credits.models import CreditEntry

        CreditEntry.objects.filter(reference=reference).update(created_at=when)

    charge(mine, "trace:1", 1500, 1285)
    charge(theirs, "dnc:2", 600, 500, days_ago=2)
    charge(mine, "trace:3", 100, 100, days_ago=45)  # only in the 90 days
    charge(other, "trace:4", 900, 900)  # another team

    card = staff_client.get(reverse("dashboard_spend")).content.decode()
    assert "1,785 credits in the last 30 days." in card
    table = card.split('data-testid="spend-table"', 1)[1].split("</table>", 1)[0]
    assert '<th class="num">Trace job</th><th class="num">DNC scrub</th>' in table
    assert table.count("<tr>") == 3  # the header and the two days with spending
    card = staff_client.get(reverse("dashboard_spend"), {"days": "90", "by": "user"})
    assert "1,885 credits in the last 90 days." in card.content.decode()

    download = staff_client.get(reverse("dashboard_spend_csv"), {"days": "30", "by": "user"})
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Day", staff.username, owner.username, "Total"]
    assert len(rows) == 31  # every day, spending or not
    today = [row for row in rows[1:] if row[-1] != "0"]
    assert sorted(row[-1] for row in today) == ["1285", "500"]


def test_bad_spend_options_fall_back_to_the_defaults(staff_client):
    card = staff_client.get(reverse("dashboard_spend"), {"days": "9999", "by": "x"})
    assert card.status_code == 200
    html = card.content.decode()
    assert "No credits spent in the last 30 days." in html
    # The defaults are the chosen buttons: 30 days, by feature.
    assert 'btn btn-secondary" hx-get="/dashboard/spend/?days=30&amp;by=feature"' in html
    assert 'btn btn-secondary" hx-get="/dashboard/spend/?days=30&amp;by=user"' not in html


def test_the_activity_charts_count_the_teams_work(staff_client, team_a, team_b, staff, outsider):
    import csv
    import io

    from dnc.models import DncPhone
    from leadbuilder.models import LeadBuild
    from traces.models import MatchStatus, TraceResult

    # Trace results: 3 hits (2, 3 and 1 phones) and 1 miss this week; another team's hit.
    trace = finished_trace(team_a, staff, 4)
    results = list(trace.results.order_by("id"))
    for result, phones in zip(results[:3], (2, 3, 1), strict=True):
        result.phones = [{"number": f"512555{n:04d}", "type": "Mobile"} for n in range(phones)]
        result.save()
    TraceResult.objects.filter(pk=results[3].pk).update(status=MatchStatus.MISS, phones=[])
    finished_trace(team_b, outsider, 1)

    # DNC: two scrubs' phones of the last 90 days, one too old, one invalid.
    now = timezone.now()
    job = scrub(team_a, staff, "calls", status=JobStatus.COMPLETE)
    for n, (outcome, days) in enumerate(
        [
            ("clean", 1),
            ("clean", 2),
            ("federal", 3),
            ("litigator", 4),
            ("clean", 200),
            ("invalid", 1),
        ]
    ):
        DncPhone.objects.create(
            job=job,
            phone=f"+1512555{n:04d}",
            outcome=outcome,
            checked_at=now - timedelta(days=days),
        )
    # Lead lists: two of one strategy, one of another, one failed (not counted).
    for name, strategy, rows, status in [
        ("a", "Absentee owners", 120, JobStatus.COMPLETE),
        ("b", "Absentee owners", 30, JobStatus.PARTIAL),
        ("c", "High equity", 400, JobStatus.COMPLETE),
        ("d", "High equity", 999, JobStatus.FAILED),
    ]:
        build = lead_build(team=team_a, user=staff, rows=0, name=name)
        LeadBuild.objects.filter(pk=build.pk).update(
            strategy_label=strategy, rows_done=rows, status=status, completed_at=now
        )

    def chart(name):
        return staff_client.get(reverse("dashboard_chart"), {"name": name}).content.decode()

    def csv_rows(name):
        response = staff_client.get(reverse("dashboard_chart"), {"name": name, "format": "csv"})
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body)))

    hits = csv_rows("hits")
    assert hits[0] == ["Week of", "Hits", "Misses", "Hit rate %", "Phones per hit"]
    assert [row[1:] for row in hits[1:]] == [["3", "1", "75.0", "2.0"]]
    assert 'data-testid="chart-hits-table"' in chart("hits")

    assert csv_rows("dnc")[1:] == [["Clean", "2"], ["Federal DNC", "1"], ["TCPA litigator", "1"]]
    assert csv_rows("leads")[1:] == [["High equity", "1", "400"], ["Absentee owners", "2", "150"]]
    assert "chart-data-leads" in chart("leads")


def test_an_empty_chart_says_so_and_an_unknown_one_is_not_found(staff_client):
    empty = staff_client.get(reverse("dashboard_chart"), {"name": "hits"}).content.decode()
    assert "No trace results in the last 12 weeks." in empty
    assert staff_client.get(reverse("dashboard_chart"), {"name": "nope"}).status_code == 404


def test_recent_job_activity_lists_the_teams_timelines_newest_first(
    staff_client, team_a, team_b, staff, outsider
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leadops.jobs.services import job_event, job_transition

    calls = scrub(team_a, staff, "Monday calls", status=JobStatus.DRAFT)
    job_transition(job=calls, to=JobStatus.QUEUED, actor=staff, detail="Queued 40 phones")
    trace = finished_trace(team_a, staff, 2, status=JobStatus.SUBMITTED)
    job_event(job=trace, detail="Tracerfy says queue 881 is 50% done")
    theirs = scrub(team_b, outsider, "their calls", status=JobStatus.DRAFT)
    job_transition(job=theirs, to=JobStatus.QUEUED, actor=outsider, detail="Secret queueing")

    def page() -> str:
        return staff_client.get(reverse("dashboard")).content.decode()

    html = page()
    card = html.split('data-testid="job-activity"')[1].split("</ul>")[0]
    assert card.count('data-testid="activity"') == 2
    assert card.index("queue 881 is 50% done") < card.index("Queued 40 phones")
    assert trace.get_absolute_url() in card and calls.get_absolute_url() in card
    assert ">Queued</span>" in card  # the status it moved to
    assert "Secret queueing" not in html
    # More events and jobs cost no more queries.
    with CaptureQueriesContext(connection) as few:
        page()
    for n in range(5):
        more = scrub(team_a, staff, f"more {n}", status=JobStatus.DRAFT)
        job_transition(job=more, to=JobStatus.QUEUED, actor=staff, detail=f"Queued {n}")
    with CaptureQueriesContext(connection) as many:
        assert page().count('data-testid="activity"') == 7
    assert len(many) == len(few)


def test_no_job_activity_no_card(staff_client):
    assert (
        'data-testid="job-activity"' not in staff_client.get(reverse("dashboard")).content.decode()
    )


def test_the_ledger_rows_show_each_entry_escaped(staff_client, staff, owner, team_a):
    """The ledger's cells are built without django-tables2's per-cell rendering: each value
    as the column shows it, escaped."""
    wallet = credits.wallet_for(user=staff, team=team_a)
    credits.grant(
        wallet=wallet, amount=12_500, actor=owner, reason="<b>bonus</b>", idempotency_key="g1"
    )
    credits.hold(wallet=wallet, amount=40, reference="x:1", actor=None, reason="trace #1")
    html = staff_client.get(reverse("dashboard")).content.decode()
    ledger = html.split("<tbody>")[-1].split("</tbody>", 1)[0]
    rows = [
        [cell.split(">", 1)[1].split("</td>", 1)[0] for cell in row.split("<td")[1:]]
        for row in ledger.split("<tr")[1:]
    ]
    when = timezone.localtime(wallet.entries.get(kind="grant").created_at).strftime("%b %-d, %Y")
    assert rows[0][1:] == ["Hold", "40 held", "12,460", "trace #1", "system"]
    assert rows[1][1:] == ["Grant", "+12,500", "12,500", "&lt;b&gt;bonus&lt;/b&gt;", "owner"]
    assert rows[1][0].startswith(when)
    assert 'class="num"' in ledger.split("<tr", 2)[1]
