"""Cancelling a job or re-tracing it (stopping someone's work or spending on it) is for the
job's creator and the team's admins and managers; other members see why there is no button."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from leadops.accounts.models import Role
from leadops.credits import services as credits
from leadops.jobs import services as job_services
from leadops.jobs.errors import NotAllowed
from leadops.jobs.models import JobStatus as S
from tests.factories import MembershipFactory, UserFactory
from tests.support.forms import submit_token
from tests.support.jobs import partial_trace
from tests.support.rows import owner_rows
from traces import services

pytestmark = pytest.mark.django_db


def _member(team, username, role):
    user = UserFactory(username=username)
    MembershipFactory(user=user, team=team, role=role)
    credits.grant(
        wallet=credits.wallet_for(user=user, team=team),
        amount=100,
        actor=None,
        reason="t",
        idempotency_key=f"jc-{username}",
    )
    return user


@pytest.fixture
def colleague(team_a):
    return _member(team_a, "colleague", Role.STAFF)


@pytest.fixture
def manager(team_a):
    return _member(team_a, "manager", Role.MANAGER)


@pytest.fixture
def queued_job(stored_batch, funded):
    job = services.trace_job_create(
        batch=stored_batch(owner_rows(5)), trace_type="normal", user=funded
    )
    assert job.status == S.QUEUED
    return job


@pytest.fixture
def partial_job(stored_batch, staff):
    """staff's trace of 20 records; 5 got no result."""
    credits.grant(wallet=staff.wallet, amount=100, actor=None, reason="t", idempotency_key="jc")
    return partial_trace(
        batch=stored_batch(owner_rows(20)), user=staff, hits=15, misses=0, no_result=5
    )


def test_another_member_cannot_cancel_and_is_told_why(client, colleague, queued_job):
    client.force_login(colleague)
    page = client.get(reverse("traces:detail", args=[queued_job.pk])).content.decode()
    assert reverse("traces:cancel", args=[queued_job.pk]) not in page
    assert "Only staffer, who started it, or a team admin or manager can cancel" in page
    response = client.post(reverse("traces:cancel", args=[queued_job.pk]))
    assert response.status_code == 302
    queued_job.refresh_from_db()
    assert queued_job.status == S.QUEUED
    assert queued_job.hold.status == "open"
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Only staffer, who started it")


def test_the_service_refuses_too(colleague, queued_job):
    with pytest.raises(NotAllowed):
        job_services.job_cancel(job=queued_job, actor=colleague)
    queued_job.refresh_from_db()
    assert queued_job.status == S.QUEUED


@pytest.mark.parametrize("who", ["staff", "manager", "owner"])
def test_the_creator_and_the_team_managers_can_cancel(client, request, who, queued_job, manager):
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = client.get(reverse("traces:detail", args=[queued_job.pk])).content.decode()
    assert reverse("traces:cancel", args=[queued_job.pk]) in page
    assert 'data-testid="not-yours"' not in page
    client.post(reverse("traces:cancel", args=[queued_job.pk]))
    queued_job.refresh_from_db()
    assert queued_job.status == S.CANCELLED


def test_another_member_cannot_retrace(client, colleague, partial_job):
    client.force_login(colleague)
    page = client.get(reverse("traces:detail", args=[partial_job.pk])).content.decode()
    assert 'data-testid="retrace"' not in page
    assert "Only staffer, who started it, or a team admin or manager can re-trace" in page
    # Even with a complete form (a token from elsewhere), the service refuses.
    response = client.post(
        reverse("traces:retrace", args=[partial_job.pk]),
        {"expected_credits": 5, "submit_token": "from-someone-else"},
    )
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("can re-trace" in m for m in said), said
    assert not partial_job.retries.exists()
    with pytest.raises(services.TraceRefused):
        services.trace_job_retry(job=partial_job, user=colleague, seen_credits=5)
    assert not partial_job.retries.exists()


def test_a_manager_can_retrace_on_their_own_credits(client, manager, partial_job):
    client.force_login(manager)
    page = client.get(reverse("traces:detail", args=[partial_job.pk])).content.decode()
    assert 'data-testid="retrace"' in page
    client.post(
        reverse("traces:retrace", args=[partial_job.pk]),
        {"expected_credits": 5, "submit_token": submit_token(page)},
    )
    (retry,) = partial_job.retries.all()
    assert retry.created_by == manager
    assert retry.hold.wallet.user == manager
