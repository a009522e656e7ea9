"""The CRM pages: the team's pushes, the push screen and its preview, a push's page, its
refused records and retry, the settings panel; scoping, permissions, bad input, query counts.

Pushes are sent for real: an RQ worker runs the submit step against the sandbox's CRM.
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from dnc.models import DncScrub
from leadops.crm import services
from leadops.crm.models import BatchState, CrmPush, CrmSettings, RefusalReason
from leadops.jobs.models import JobStatus
from tests.factories import MembershipFactory, UserFactory
from tests.support.crm import finished_trace, phone, scrubbed
from tests.support.jobs import run_until_done
from traces.models import TraceResult

# Transactional: the push's steps are enqueued when its transaction commits, and the worker
# runs them for real.
pytestmark = pytest.mark.django_db(transaction=True)


# --- sources ----------------------------------------------------------------------------------


@pytest.fixture
def trace(team_a, staff):
    return finished_trace(team_a, staff)


@pytest.fixture
def crm(crm_sandbox):
    return crm_sandbox


def new_url(kind: str, pk: int, **query) -> str:
    url = reverse("crm:new", args=[kind, pk])
    if query:
        from django.http import QueryDict

        data = QueryDict(mutable=True)
        data.update(query)
        url += "?" + data.urlencode()
    return url


def screen(client, kind: str, pk: int, **query) -> str:
    """The push screen as a browser shows it: the page, then the preview it loads (htmx,
    on load) with the options the page opened with."""
    page = client.get(new_url(kind, pk, **query)).content.decode()
    checked = re.search(r'name="records" value="(\w+)" id="records-\w+" checked', page)
    filters = re.search(r'name="filters" value="([^"]*)"', page)
    options = {
        "records": checked.group(1) if checked else "all",
        "filters": html.unescape(filters.group(1)) if filters else "",
    }
    preview = client.get(
        reverse("crm:plan", args=[kind, pk]), options, headers={"HX-Request": "true"}
    )
    return page + preview.content.decode()


def token_of(html: str) -> str:
    return re.search(r'name="submit_token" value="([^"]+)"', html).group(1)


def send(client, job, kind="trace", **fields):
    """Open the push screen of `job` and post it as shown (plus `fields`)."""
    page = client.get(new_url(kind, job.pk))
    data = {"records": "all", "filters": "", "submit_token": token_of(page.content.decode())}
    data.update(fields)
    return client.post(new_url(kind, job.pk), data)


# --- the push screen --------------------------------------------------------------------------


def test_push_screen_shows_the_contacts_as_the_crm_will_hold_them(staff_client, team_a, staff):
    job = finished_trace(team_a, staff, 5, misses=1)
    scrubbed(team_a, (phone(0), "national_dnc", 1), (phone(1), "", 1))
    assert staff_client.get(new_url("trace", job.pk)).status_code == 200
    html = screen(staff_client, "trace", job.pk)
    assert 'data-testid="plan-records">4<' in html  # the hits
    assert 'data-testid="plan-contacts">4<' in html
    assert "4 new + 0 updates" in html
    assert 'data-testid="plan-left-out">1<' in html  # the federal-DNC phone, left out
    assert "Send 4 contacts to the CRM" in html
    sample = html.split('data-testid="plan-sample"', 1)[1].split("</table>", 1)[0]
    assert sample.count("<tr>") == 5  # header + 4 contacts
    assert "owner0@example.com" in sample and "Springfield, IL 62701" in sample
    assert 'data-dnc="clean"' in sample and 'data-dnc="federal"' in sample
    assert f"leadops-trace-{job.pk}" in sample
    assert sample.count('data-testid="contact-create"') == 4
    # Only every record is offered: the link carried no filters.
    assert 'value="filtered"' not in html and 'data-testid="no-filters"' in html
    assert token_of(html)


def test_filters_from_the_source_page_are_offered_in_words_and_narrow_the_preview(
    staff_client, trace
):
    html = screen(staff_client, "trace", trace.pk, filters="has_email=true&page=2&sort=-line")
    assert re.search(r'value="filtered" id="records-filtered" checked', html)
    words = html.split('data-testid="filter-words">', 1)[1].split("</span></label>", 1)[0]
    assert "Has email: Yes" in words
    assert "page" not in words.lower()
    assert 'data-testid="plan-records">3<' in html  # 3 of the 6 hits have an email
    assert 'name="filters" value="has_email=true"' in html  # paging and sorting dropped
    # Every record, when chosen, counts all the hits (the htmx preview).
    plan = staff_client.get(
        reverse("crm:plan", args=["trace", trace.pk]),
        {"records": "all", "filters": "has_email=true"},
        headers={"HX-Request": "true"},
    )
    assert 'data-testid="plan-records">6<' in plan.content.decode()
    assert "<html" not in plan.content.decode()


def test_clean_only_refuses_records_without_a_clean_fresh_phone(staff_client, trace, team_a):
    scrubbed(team_a, (phone(0), "", 1), (phone(2), "", 400))  # the second one stale
    plan = staff_client.get(
        reverse("crm:plan", args=["trace", trace.pk]), {"records": "all", "clean_only": "on"}
    ).content.decode()
    assert 'data-testid="plan-contacts">1<' in plan
    assert 'data-testid="plan-refused">5<' in plan
    assert f"{RefusalReason.DNC_BLOCKED.label}: 5" in plan
    assert "Send 1 contact to the CRM" in plan


def test_a_filtered_push_without_filters_is_refused_with_a_message(staff_client, trace):
    plan = staff_client.get(reverse("crm:plan", args=["trace", trace.pk]), {"records": "filtered"})
    assert plan.status_code == 200
    assert "There is no filtered selection" in plan.content.decode()
    assert 'data-testid="send"' not in plan.content.decode()
    page = staff_client.get(new_url("trace", trace.pk))
    response = staff_client.post(
        new_url("trace", trace.pk),
        {"records": "filtered", "filters": "", "submit_token": token_of(page.content.decode())},
    )
    assert response.status_code == 400
    assert "There is no filtered selection" in response.content.decode()
    assert not CrmPush.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_kind_says_what_can_be_pushed(staff_client, trace, method):
    response = getattr(staff_client, method)(new_url("spreadsheet", trace.pk), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("crm:index")
    html = response.content.decode()
    assert "“spreadsheet” is not something LeadOps sends to the CRM" in html
    assert not CrmPush.objects.exists()


def test_a_source_that_has_not_finished_shows_why_and_pushes_nothing(staff_client, team_a, staff):
    job = finished_trace(team_a, staff, 3, status=JobStatus.SUBMITTED)
    html = staff_client.get(new_url("trace", job.pk)).content.decode()
    assert "has not finished; send it to the CRM once it completes" in html
    assert 'data-testid="push-form"' not in html
    response = staff_client.post(new_url("trace", job.pk), {"records": "all"})
    assert response.status_code == 409
    assert "has not finished" in response.content.decode()
    assert not CrmPush.objects.exists()


def test_a_post_without_the_form_token_is_refused(staff_client, trace):
    response = staff_client.post(new_url("trace", trace.pk), {"records": "all"})
    assert response.status_code == 409
    assert "This form has expired" in response.content.decode()
    assert not CrmPush.objects.exists()


def test_nothing_to_send_is_said_on_the_screen(staff_client, team_a, staff, crm, run_worker):
    job = finished_trace(team_a, staff, 2)
    TraceResult.objects.filter(job=job).update(first_name="", last_name="")
    # An owner column left: blank the upload's names too, so no record has a name.
    for record in job.batch.records.all():
        record.values = {k: v for k, v in record.values.items() if not k.startswith("owner_")}
        record.save(update_fields=["values"])
    html = screen(staff_client, "trace", job.pk)
    assert 'data-testid="nothing-to-send"' in html and 'data-testid="send"' not in html
    # Posted anyway (an old tab): the push fails in the worker, its refusals listed.
    response = send(staff_client, job)
    push = CrmPush.objects.get()
    assert response["Location"] == reverse("crm:detail", args=[push.pk])
    push = run_until_done(push, run_worker)
    assert push.status == JobStatus.FAILED
    assert "Nothing to send" in push.error_message
    page = staff_client.get(reverse("crm:detail", args=[push.pk])).content.decode()
    error = page.split('data-testid="job-error">', 1)[1].split("</div>", 1)[0]
    assert error.startswith("Nothing to send: none of the 2 selected records")
    assert f'href="{reverse("crm:refused", args=[push.pk])}?reason=no_name"' in page


def test_one_push_per_form_a_double_submit_lands_on_the_same_push(
    staff_client, trace, crm, run_worker
):
    page = staff_client.get(new_url("trace", trace.pk)).content.decode()
    data = {"records": "all", "filters": "", "submit_token": token_of(page)}
    first = staff_client.post(new_url("trace", trace.pk), data, follow=True)
    push = CrmPush.objects.get()
    assert first.redirect_chain == [(reverse("crm:detail", args=[push.pk]), 302)]
    assert f"CRM push #{push.pk} is queued: LeadOps maps its records" in first.content.decode()
    again = staff_client.post(new_url("trace", trace.pk), data, follow=True)
    assert again.redirect_chain[0][0] == reverse("crm:detail", args=[push.pk])
    assert f"CRM push #{push.pk} was already started from this screen" in again.content.decode()
    assert CrmPush.objects.count() == 1
    assert (push.status, push.prepared_at) == (JobStatus.QUEUED, None)

    push = run_until_done(push, run_worker, sweep=True)
    assert (push.contacts, push.creates, push.updates) == (6, 6, 0)
    trace_page = staff_client.get(reverse("traces:detail", args=[trace.pk])).content.decode()
    last = trace_page.split('data-testid="last-crm-push"', 1)[1].split("</a>", 1)[0]
    assert f"Last CRM push #{push.pk}: complete, 6 contacts" in last
    assert push.status == JobStatus.COMPLETE
    received = crm.control.crm_received()
    people = [i for i in received["items"] if i["type"] == "create"]
    assert len(people) == 6
    page = staff_client.get(reverse("crm:detail", args=[push.pk])).content.decode()
    assert 'data-testid="job-stage"><strong>Complete</strong>' in page
    assert 'data-testid="batch-sent"' in page and 'data-testid="batch-failed"' not in page
    assert "6 / 6 contacts sent" in page

    # A second push of the same trace sends updates, shown in the preview first.
    html = screen(staff_client, "trace", trace.pk)
    assert "0 new + 6 updates" in html
    assert html.count('data-testid="contact-update"') == 6


def test_a_filtered_push_stores_its_filters_and_shows_them(staff_client, trace, crm):
    page = staff_client.get(new_url("trace", trace.pk, filters="has_email=true")).content.decode()
    response = staff_client.post(
        new_url("trace", trace.pk),
        {"records": "filtered", "filters": "has_email=true", "submit_token": token_of(page)},
    )
    push = CrmPush.objects.get()
    assert response["Location"] == reverse("crm:detail", args=[push.pk])
    assert (push.selection, push.filter_query) == ("filtered", "has_email=true")
    assert services.crm_push_prepare(push=push).contacts == 3
    html = staff_client.get(reverse("crm:detail", args=[push.pk])).content.decode()
    assert "Has email: Yes" in html.split('data-testid="push-filters"', 1)[1]


# --- a push: its page, refused records, retry -------------------------------------------------


def test_partial_push_offers_a_retry_of_exactly_its_failed_batches(
    staff_client, team_a, staff, crm, run_worker, settings
):
    job = finished_trace(team_a, staff, 6)
    TraceResult.objects.filter(job=job, record__line__in=[2]).update(
        first_name="", last_name="", mail_address=""
    )
    # The owner name of that record in the upload too, so it is refused for no name.
    record = job.results.get(record__line=2).record
    record.values = {k: v for k, v in record.values.items() if not k.startswith("owner_")}
    record.save(update_fields=["values"])
    settings.CRM_BATCH_BYTES = 2500  # about two contacts a batch
    crm.control.faults(
        rules=[{"path": "/crm/v1/batch", "methods": ["POST"], "processed_error_rate": 1.0}],
        fault_budget=1,
    )
    assert send(staff_client, job).status_code == 302
    push = run_until_done(CrmPush.objects.get(), run_worker, sweep=True)
    assert push.batches_total >= 2 and push.refused == 1
    assert push.status == JobStatus.PARTIAL
    lost = push.batches.get(state=BatchState.UNKNOWN)

    html = staff_client.get(reverse("crm:detail", args=[push.pk])).content.decode()
    assert 'data-testid="batch-unknown"' in html
    button = f"Retry the {lost.contacts} contacts of the 1 failed batch"
    assert button in html
    assert 'data-testid="fact-refused"><a' in html

    refused = staff_client.get(reverse("crm:refused", args=[push.pk])).content.decode()
    assert RefusalReason.NO_NAME.label in refused
    none = staff_client.get(
        reverse("crm:refused", args=[push.pk]), {"reason": RefusalReason.DUPLICATE}
    ).content.decode()
    assert "No refused record matches." in none

    data = {"submit_token": token_of(html)}
    response = staff_client.post(reverse("crm:retry", args=[push.pk]), data, follow=True)
    again = CrmPush.objects.exclude(pk=push.pk).get()
    assert response.redirect_chain == [(reverse("crm:detail", args=[again.pk]), 302)]
    assert (
        f"CRM push #{again.pk} sends the {lost.contacts} contacts of the failed batches of "
        f"push #{push.pk} again." in response.content.decode()
    )
    assert (again.retry_of_id, len(again.record_ids)) == (push.pk, lost.contacts)
    twice = staff_client.post(reverse("crm:retry", args=[push.pk]), data)
    assert twice["Location"] == reverse("crm:detail", args=[again.pk])
    assert CrmPush.objects.count() == 2
    again = run_until_done(again, run_worker, sweep=True)
    assert (again.status, again.contacts) == (JobStatus.COMPLETE, lost.contacts)
    original = staff_client.get(reverse("crm:detail", args=[push.pk])).content.decode()
    assert f'href="{reverse("crm:detail", args=[again.pk])}"' in original
    assert "Retry the" not in original  # retried once already
    retried = staff_client.get(reverse("crm:detail", args=[again.pk])).content.decode()
    assert f'failed batches of <a href="{reverse("crm:detail", args=[push.pk])}"' in retried


def test_only_the_pusher_or_a_manager_may_retry(client, team_a, staff, crm, run_worker):
    job = finished_trace(team_a, staff, 2)
    crm.control.faults(
        rules=[{"path": "/crm/v1/batch", "methods": ["POST"], "processed_error_rate": 1.0}],
        fault_budget=1,
    )
    client.force_login(staff)
    send(client, job)
    push = run_until_done(CrmPush.objects.get(), run_worker, sweep=True)
    assert push.status == JobStatus.PARTIAL
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, team=team_a)
    client.force_login(colleague)
    html = client.get(reverse("crm:detail", args=[push.pk])).content.decode()
    assert 'data-testid="retry"' not in html
    assert "Only staffer, who started it, or a team admin or manager can retry" in html
    response = client.post(reverse("crm:retry", args=[push.pk]), {"submit_token": "x"}, follow=True)
    assert "can retry this job" in response.content.decode()
    assert CrmPush.objects.count() == 1


def test_progress_fragment_polls_until_the_push_ends(staff_client, trace, crm, run_worker):
    send(staff_client, trace)
    push = CrmPush.objects.get()
    url = reverse("crm:progress", args=[push.pk])
    running = staff_client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in running.content.decode()
    assert "HX-Refresh" not in running
    run_until_done(push, run_worker, sweep=True)
    done = staff_client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    assert "hx-trigger" not in done.content.decode()


# --- scoping ----------------------------------------------------------------------------------


def test_another_teams_source_and_push_are_404(client, trace, outsider, staff, crm):
    client.force_login(staff)
    send(client, trace)
    push = CrmPush.objects.get()
    client.force_login(outsider)
    for url in [
        new_url("trace", trace.pk),
        reverse("crm:plan", args=["trace", trace.pk]),
        reverse("crm:detail", args=[push.pk]),
        reverse("crm:progress", args=[push.pk]),
        reverse("crm:refused", args=[push.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(new_url("trace", trace.pk), {"records": "all"}).status_code == 404
    assert client.post(reverse("crm:retry", args=[push.pk])).status_code == 404
    # Their index lists nothing of ours.
    theirs = client.get(reverse("crm:index")).content.decode()
    assert "No CRM pushes yet" in theirs and push.source_name not in theirs


# --- settings ---------------------------------------------------------------------------------


def test_staff_see_the_settings_read_only_and_cannot_change_them(staff_client, team_a):
    html = staff_client.get(reverse("crm:settings")).content.decode()
    assert "Only a team admin or manager can change the CRM settings" in html
    assert 'data-testid="save-settings"' not in html
    assert re.search(r'name="default_tags"[^>]*disabled', html)
    response = staff_client.post(
        reverse("crm:settings"), {"default_tags": "hot", "send_blocked_phones": "on"}, follow=True
    )
    assert "Only a team admin or manager can change" in response.content.decode()
    settings_row = CrmSettings.objects.get(team=team_a)
    assert (settings_row.default_tags, settings_row.send_blocked_phones) == ([], False)


def test_an_admin_saves_tags_and_the_blocked_phones_choice(owner_client, team_a, staff, trace):
    response = owner_client.post(
        reverse("crm:settings"),
        {"default_tags": " absentee , spring 2027,,absentee", "send_blocked_phones": "on"},
    )
    assert response.status_code == 302
    found = CrmSettings.objects.get(team=team_a)
    assert (found.default_tags, found.send_blocked_phones) == (["absentee", "spring 2027"], True)
    html = owner_client.get(reverse("crm:settings")).content.decode()
    assert 'value="absentee, spring 2027"' in html
    # The push screen reads them (and its preview tags the contacts).
    shown = screen(owner_client, "trace", trace.pk)
    assert "sent, marked with their status" in shown
    assert shown.count(">spring 2027</span>") >= 2


def test_bad_tags_are_a_clear_form_error(owner_client, team_a):
    response = owner_client.post(
        reverse("crm:settings"), {"default_tags": ",".join(f"t{n}" for n in range(25))}
    )
    assert response.status_code == 400
    assert "At most 20 tags, please (25 given)." in response.content.decode()
    long = owner_client.post(reverse("crm:settings"), {"default_tags": "x" * 61})
    assert long.status_code == 400 and "may hold 60 characters" in long.content.decode()
    assert not CrmSettings.objects.filter(team=team_a).exclude(default_tags=[]).exists()


def test_connection_test_shows_the_answer_and_when(staff_client, team_a, crm):
    response = staff_client.post(reverse("crm:connection_test"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="crm-connection"' in html
    assert "Connected" in html and "alert-success" in html and "Last tested" in html
    assert CrmSettings.objects.get(team=team_a).last_test_ok is True


def test_connection_test_failure_is_a_message_not_an_error(staff_client, team_a, settings):
    settings.CRM_ENABLED = True
    settings.CRM_BASE_URL = "http://127.0.0.1:9/crm/v1/"  # nothing listens
    html = staff_client.post(
        reverse("crm:connection_test"), headers={"HX-Request": "true"}
    ).content.decode()
    assert "alert-danger" in html and "The CRM refused the test" in html
    assert CrmSettings.objects.get(team=team_a).last_test_ok is False


def test_the_settings_page_links_to_the_crm_settings(staff_client):
    html = staff_client.get(reverse("settings")).content.decode()
    assert f'href="{reverse("crm:settings")}"' in html


# --- links from the sources and the nav -------------------------------------------------------


def test_a_finished_trace_page_links_to_the_push_screen_with_its_filters(staff_client, trace):
    html = staff_client.get(
        reverse("traces:detail", args=[trace.pk]), {"has_email": "true", "page": "1"}
    ).content.decode()
    expected = new_url("trace", trace.pk, filters="has_email=true").replace("&", "&amp;")
    assert f'href="{expected}"' in html
    assert f'href="{reverse("crm:index")}"' in html  # the main nav


def test_an_unfinished_trace_has_no_send_to_crm(staff_client, team_a, staff):
    job = finished_trace(team_a, staff, 2, status=JobStatus.SUBMITTED)
    html = staff_client.get(reverse("traces:detail", args=[job.pk])).content.decode()
    assert 'data-testid="send-to-crm"' not in html


def test_a_finished_dnc_scrub_and_lead_rows_link_to_the_push_screen(staff_client, team_a, staff):
    scrub = DncScrub.objects.create(
        team=team_a,
        created_by=staff,
        provider="tracerfy",
        source="list",
        name="calls",
        status="complete",
    )
    html = staff_client.get(reverse("dnc:detail", args=[scrub.pk]), {"show": "clean"})
    assert new_url("dnc", scrub.pk, filters="show=clean") in html.content.decode()
    shown = screen(staff_client, "dnc", scrub.pk, filters="show=clean")
    assert "Show: Clean (fresh)" in shown
    assert 'data-testid="nothing-to-send"' in shown  # a scrub without phones
    from tests.leadbuilder.factories import lead_build

    build = lead_build(team=team_a, user=staff, rows=3)
    rows = staff_client.get(reverse("leadbuilder:rows", args=[build.pk]), {"has_phone": "true"})
    link = re.search(r'href="([^"]+)" data-testid="send-to-crm"', rows.content.decode()).group(1)
    assert link.startswith(reverse("crm:new", args=["leads", build.pk]) + "?filters=")
    page = staff_client.get(link.replace("&amp;", "&")).content.decode()
    assert "Has phone: Yes" in page


# --- lists: no N+1 ----------------------------------------------------------------------------


def test_index_and_push_pages_keep_their_query_counts(
    staff_client, team_a, staff, crm, run_worker, settings, django_assert_max_num_queries
):
    settings.CRM_BATCH_BYTES = 2500
    jobs = [finished_trace(team_a, staff, 4) for _ in range(3)]
    for job in jobs:
        send(staff_client, job)
    for push in CrmPush.objects.all():
        run_until_done(push, run_worker, sweep=True)
    push = CrmPush.objects.order_by("pk").first()
    assert push.batches_total >= 2
    html = staff_client.get(reverse("crm:index")).content.decode()
    assert all(f"#{p.pk}<" in html for p in CrmPush.objects.all())
    with django_assert_max_num_queries(8):
        staff_client.get(reverse("crm:index"))
    with django_assert_max_num_queries(14):
        staff_client.get(reverse("crm:detail", args=[push.pk]))
    with django_assert_max_num_queries(9):
        staff_client.get(reverse("crm:refused", args=[push.pk]))


def test_empty_index_says_where_pushes_start(staff_client):
    html = staff_client.get(reverse("crm:index")).content.decode()
    assert "Pushes start from a finished skip trace, DNC scrub or lead list" in html
