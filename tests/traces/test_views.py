import pytest
from django.urls import reverse

from tests.support.rows import owner_rows
from traces.models import MatchStatus, TraceJob, TraceResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(stored_batch, staff, team_a):
    batch = stored_batch(owner_rows(60))
    job = TraceJob.objects.create(
        team=team_a,
        created_by=staff,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        status="complete",
    )
    TraceResult.objects.bulk_create(
        [
            TraceResult(
                team=team_a,
                job=job,
                record=record,
                match_key=str(record.pk),
                status=MatchStatus.HIT,
                first_name="Pat",
                phones=[{"number": "+12125550142", "type": "Mobile"}],
            )
            for record in batch.records.all()
        ]
    )
    return job


@pytest.mark.parametrize("name", ["traces:detail", "traces:progress"])
def test_other_team_gets_404(client, outsider, job, name):
    client.force_login(outsider)
    assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_other_team_cannot_export_or_preview(client, outsider, job):
    client.force_login(outsider)
    assert client.get(reverse("traces:export", args=[job.pk, "csv"])).status_code == 404
    assert client.get(reverse("traces:new", args=[job.batch.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, job):
    response = client.get(reverse("traces:detail", args=[job.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_detail_page_query_count_does_not_grow(staff_client, job, django_assert_max_num_queries):
    # 14 before DNC statuses, +2 for the page's phones (one lookup: the internal list and the
    # status store); the DNC box loads afterwards (traces:dnc_summary).
    with django_assert_max_num_queries(16):
        response = staff_client.get(reverse("traces:detail", args=[job.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("(212) 555-0142") == 50  # first page of 60


def test_index_lists_team_jobs(staff_client, job):
    html = staff_client.get(reverse("traces:index")).content.decode()
    assert f"#{job.pk}" in html and "leads.csv" in html


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("7735550137", "(773) 555-0137"), ("+17735550137", "(773) 555-0137"), ("12345", "12345")],
)
def test_phones_are_shown_readably(raw, shown):
    from leadops.phones import format_phone

    assert format_phone(raw) == shown


def test_boolean_filters_offer_any_yes_no(staff_client, job):
    url = reverse("traces:detail", args=[job.pk])
    TraceResult.objects.filter(job=job, record__line__lte=11).update(has_mobile=True)
    with_mobile = staff_client.get(url, {"has_mobile": "true"}).content.decode()
    assert '<option value="true" selected>Yes</option>' in with_mobile
    assert with_mobile.count("(212) 555-0142") == 10  # data lines 2..11
    without = staff_client.get(url, {"has_mobile": "false"}).content.decode()
    assert without.count("(212) 555-0142") == 50  # a full page of the other 50


def test_resubmit_is_offered_only_when_the_provider_never_accepted(staff_client, job):
    url = reverse("traces:detail", args=[job.pk])
    TraceJob.objects.filter(pk=job.pk).update(status="failed", provider_ref="")
    html = staff_client.get(url).content.decode()
    assert 'data-testid="resubmit"' in html
    assert f'href="/traces/new/{job.batch.pk}/?type=normal"' in html
    TraceJob.objects.filter(pk=job.pk).update(provider_ref="1001")
    html = staff_client.get(url).content.decode()
    assert 'data-testid="resubmit"' not in html
    assert "The provider accepted queue 1001" in html


def test_job_title_names_the_provider(staff_client, job):
    html = staff_client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    assert "leads.csv · Tracerfy · Normal" in html
    TraceJob.objects.filter(pk=job.pk).update(provider="reapi")
    html = staff_client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    assert "leads.csv · RealEstateAPI</small>" in html


def test_live_progress_also_refreshes_facts_and_actions(staff_client, job):
    TraceJob.objects.filter(pk=job.pk).update(status="submitted", provider_ref="4242")
    html = staff_client.get(
        reverse("traces:progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="job-facts" hx-swap-oob="true"' in html and "4242" in html
    assert 'id="job-actions" class="d-flex align-items-center" hx-swap-oob="true"' in html
    assert 'id="header-credits"' in html


def test_admin_can_look_at_trace_jobs_but_not_edit(owner_client, job):
    listing = owner_client.get(reverse("admin:traces_tracejob_changelist"))
    assert listing.status_code == 200
    assert f'href="/admin/traces/tracejob/{job.pk}/change/' in listing.content.decode()
    page = owner_client.get(reverse("admin:traces_tracejob_change", args=[job.pk]))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert owner_client.get(reverse("admin:traces_tracejob_add")).status_code == 403


def test_progress_shows_elapsed_and_time_left_from_the_providers_estimate(staff_client, job):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    TraceJob.objects.filter(pk=job.pk).update(
        status="submitted",
        rows_done=0,
        queued_at=now - timedelta(seconds=70),
        submitted_at=now - timedelta(seconds=60),
        expected_done_at=now + timedelta(seconds=120),
    )
    html = staff_client.get(reverse("traces:progress", args=[job.pk])).content.decode()
    assert "Elapsed 1 min" in html
    assert "about 1 min 59 s left" in html or "about 2 min left" in html
    assert 'style="width: 33%"' in html
    TraceJob.objects.filter(pk=job.pk).update(status="complete", completed_at=now)
    html = staff_client.get(reverse("traces:progress", args=[job.pk])).content.decode()
    assert "Took 1 min 10 s" in html and "left" not in html


def test_a_running_job_says_results_are_coming_not_that_filters_match_nothing(staff_client, job):
    TraceResult.objects.filter(job=job).delete()
    TraceJob.objects.filter(pk=job.pk).update(status="submitted")
    html = staff_client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    assert "Results appear here as soon as the provider returns them." in html
    TraceJob.objects.filter(pk=job.pk).update(status="complete")
    html = staff_client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    assert "No results match these filters." in html


def test_a_result_row_shows_two_phones_and_one_email_and_the_rest_behind_more(staff_client, job):
    phones = [{"number": f"+1212555014{n}", "type": "Mobile"} for n in range(6)]
    emails = ["a@example.com", "b@example.com", "<c>@example.com"]
    first = TraceResult.objects.filter(job=job).order_by("pk").first()
    TraceResult.objects.filter(pk=first.pk).update(phones=phones, emails=emails)
    html = staff_client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    row = html[html.index("(212) 555-0140") : html.index("</tr>", html.index("(212) 555-0140"))]
    shown, _, hidden = row.partition('<details class="more-items" data-testid="more-phones">')
    assert "(212) 555-0140" in shown and "(212) 555-0141" in shown
    assert "<summary" in hidden and ">+4 more</summary>" in hidden
    for n in range(2, 6):  # none is lost: every one is behind "+4 more"
        assert f"(212) 555-014{n}" in hidden and f"(212) 555-014{n}" not in shown
    emails_shown, _, emails_hidden = hidden.partition('data-testid="more-emails">')
    assert "a@example.com" in emails_shown
    assert ">+2 more</summary>" in emails_hidden and "&lt;c&gt;@example.com" in emails_hidden


def test_results_that_arrive_while_the_job_runs_reach_the_open_page(staff_client, job):
    """RealEstateAPI stores each result as its webhook comes: the page's progress poll brings
    the table along when there are more than the page shows, and stays light otherwise."""
    TraceResult.objects.filter(job=job, record__line__gt=6).delete()  # 5 have arrived
    TraceJob.objects.filter(pk=job.pk).update(status="submitted", provider="reapi")
    page = staff_client.get(reverse("traces:detail", args=[job.pk]), {"status": "hit"})
    html = page.content.decode()
    assert html.count("(212) 555-0142") == 5
    poll = f"{reverse('traces:progress', args=[job.pk])}?status=hit&amp;results_shown=5"
    assert f'hx-get="{poll}"' in html

    def poll_with(shown: int) -> str:
        return staff_client.get(
            reverse("traces:progress", args=[job.pk]),
            {"status": "hit", "results_shown": shown},
            HTTP_HX_REQUEST="true",
        ).content.decode()

    assert 'id="job-results"' not in poll_with(5)  # nothing new: no table in the answer
    more = [
        TraceResult(
            team=job.team,
            job=job,
            record=record,
            match_key=str(record.pk),
            status=MatchStatus.HIT,
            phones=[{"number": "+12125550142", "type": "Mobile"}],
        )
        for record in job.batch.records.filter(line__in=[7, 8, 9])
    ]
    TraceResult.objects.bulk_create(more)
    fresh = poll_with(5)
    assert 'id="job-results" class="card-body p-0" hx-swap-oob="true"' in fresh
    assert fresh.count("(212) 555-0142") == 8  # the page's filter (hits) still applies
    assert "results_shown=8" in fresh and "results_shown=5" not in fresh


def test_the_overview_shows_the_teams_own_figures_per_provider(
    staff_client, team_a, team_b, staff, outsider
):
    from tests.support.crm import finished_trace
    from traces.models import TraceJob

    def trace(team, user, provider, status, sent, hits, charged, reused=0):
        job = finished_trace(team, user, 1, status=status)
        TraceJob.objects.filter(pk=job.pk).update(
            provider=provider, records_sent=sent, hits=hits, charged_credits=charged,
            records_reused=reused,
        )  # fmt: skip

    trace(team_a, staff, "tracerfy", "complete", 1000, 700, 1000, reused=40)
    trace(team_a, staff, "tracerfy", "partial", 500, 300, 480)
    trace(team_a, staff, "reapi", "complete", 800, 600, 800)
    trace(team_a, staff, "tracerfy", "submitted", 90, 0, None)  # running: not yet counted
    trace(team_b, outsider, "tracerfy", "complete", 99_999, 99_999, 99_999)

    html = staff_client.get(reverse("traces:index")).content.decode()
    assert 'data-testid="team-jobs">4<' in html and "1 running" in html
    assert 'data-testid="team-records">2,300<' in html and "+ 40 reused free" in html
    assert 'data-testid="team-hits">1,600<' in html and "69.6 % hit rate" in html
    assert 'data-testid="team-charged">2,280<' in html
    table = html.split('data-testid="team-figures-by-provider"', 1)[1].split("</table>", 1)[0]
    assert "<td>RealEstateAPI</td>" in table and "<td>Tracerfy</td>" in table
    assert "75.0 %" in table and "66.7 %" in table  # 600/800 and 1,000/1,500
    assert "99,999" not in html
    jobs = html.split("The Tracerfy account", 1)[1]  # the job table follows the panels
    assert jobs.count(">RealEstateAPI</td>") == 1 and jobs.count(">Tracerfy</td>") == 3
    assert ">1,000</td>" in jobs and ">1000<" not in jobs  # thousands separators
