"""Notices: a job that ends tells its creator (the header's bell, the notices page, and an
email when JOB_EMAIL_NOTICES is on)."""

import pytest
from django.core import mail
from django.urls import reverse

from dnc.models import DncScrub
from leadops.jobs import services as job_services
from leadops.jobs.models import JobNotice, JobStatus
from leadops.jobs.registry import Ingested

pytestmark = pytest.mark.django_db(transaction=True)


def scrub(team, user, status=JobStatus.INGESTING, name="calls") -> DncScrub:
    return DncScrub.objects.create(
        team=team, created_by=user, provider="tracerfy", source="list", name=name, status=status
    )


def test_ending_jobs_notify_their_creator(staff, owner, team_a):
    done = scrub(team_a, staff, name="done")
    job_services.job_complete(job=done, result=Ingested(charged_credits=0, rows=3, hits=2))
    partial = scrub(team_a, staff, name="partly")
    job_services.job_complete(
        job=partial,
        result=Ingested(charged_credits=0, rows=3, failed_rows=1, failure_reason="1 lost."),
    )
    failed = scrub(team_a, owner, status=JobStatus.SUBMITTED, name="bad")
    job_services.job_fail(job=failed, reason="Tracerfy refused it.")
    job_services.job_fail(job=failed, reason="again")  # already failed: no second notice

    mine = list(JobNotice.objects.filter(user=staff).order_by("id"))
    assert [(n.level, n.text, n.url) for n in mine] == [
        ("success", f"DNC scrub #{done.pk} (done) is complete", f"/dnc/{done.pk}/"),
        ("warning", f"DNC scrub #{partial.pk} (partly) is complete with errors: 1 lost.",
         f"/dnc/{partial.pk}/"),
    ]  # fmt: skip
    theirs = JobNotice.objects.get(user=owner)
    assert (theirs.level, theirs.text) == ("danger", f"DNC scrub #{failed.pk} (bad) failed: "
                                                     "Tracerfy refused it.")  # fmt: skip
    assert mail.outbox == []  # email is off by default


def test_the_bell_counts_unread_and_the_page_marks_them_read(staff_client, staff, team_a):
    for n in range(3):
        job = scrub(team_a, staff, name=f"list {n}")
        job_services.job_complete(job=job, result=Ingested(charged_credits=0, rows=1))
    badge = staff_client.get(reverse("notices_badge")).content.decode()
    assert 'data-testid="notices-unread">3<' in badge
    page = staff_client.get(reverse("notices")).content.decode()
    assert page.count('data-testid="notice"') == 3 and "Mark 3 as read" in page
    assert "(list 2) is complete" in page.split('data-testid="notice"')[1]  # newest first
    staff_client.post(reverse("notices_read"))
    assert "notices-unread" not in staff_client.get(reverse("notices_badge")).content.decode()
    assert "Mark" not in staff_client.get(reverse("notices")).content.decode()


def test_others_notices_are_not_shown(client, staff, outsider, team_a):
    job_services.job_complete(job=scrub(team_a, staff), result=Ingested(charged_credits=0, rows=1))
    client.force_login(outsider)
    assert 'data-testid="no-notices"' in client.get(reverse("notices")).content.decode()
    assert "notices-unread" not in client.get(reverse("notices_badge")).content.decode()
    client.post(reverse("notices_read"))
    assert JobNotice.objects.get(user=staff).read_at is None


def test_a_notice_is_mailed_when_configured(settings, staff, team_a):
    settings.JOB_EMAIL_NOTICES = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    staff.email = "staff@example.com"
    staff.save()
    job = scrub(team_a, staff, status=JobStatus.SUBMITTED)
    job_services.job_fail(job=job, reason="Tracerfy refused it.")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["staff@example.com"]
    assert "failed: Tracerfy refused it." in sent.subject
    assert f"/dnc/{job.pk}/" in sent.body
