"""The state machine shared by all paid work (trace jobs, DNC scrubs, lead lists, CRM pushes).

    draft → queued → submitting → submitted → ingesting → complete | partial
      ↘ complete (nothing to send)                      ↘ failed | cancelled

`partial` ("Complete with errors") is a finished job of which only part was done: what the
provider did is stored and charged, the rest was released (`Ingested.failed_rows`).

Concrete job models subclass `PaidJob`; every status change goes through
`leadops.jobs.services.job_transition`, which locks the row, checks `ALLOWED`, and writes a
`JobEvent` (the timeline on the job's page).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from leadops.accounts.models import TeamScopedModel


class JobStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    SUBMITTED = "submitted", "Submitted"
    INGESTING = "ingesting", "Ingesting results"
    COMPLETE = "complete", "Complete"
    # Finished, but part of the work could not be done (its credits were released).
    PARTIAL = "partial", "Complete with errors"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL = frozenset({JobStatus.COMPLETE, JobStatus.PARTIAL, JobStatus.FAILED, JobStatus.CANCELLED})
# Finished with results (what "done" means in filters and counters).
FINISHED = frozenset({JobStatus.COMPLETE, JobStatus.PARTIAL})
ACTIVE = frozenset(
    {JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.INGESTING}
)

ALLOWED: dict[str, frozenset[str]] = {
    # draft → complete: there was nothing to send (every record reused from earlier work).
    JobStatus.DRAFT: frozenset({JobStatus.QUEUED, JobStatus.COMPLETE, JobStatus.CANCELLED}),
    # queued → failed: credits or the request were refused before the provider saw anything.
    JobStatus.QUEUED: frozenset({JobStatus.SUBMITTING, JobStatus.FAILED, JobStatus.CANCELLED}),
    # submitting → queued: the provider certainly did not accept it (reconciled), try again.
    JobStatus.SUBMITTING: frozenset({JobStatus.SUBMITTED, JobStatus.QUEUED, JobStatus.FAILED}),
    JobStatus.SUBMITTED: frozenset({JobStatus.INGESTING, JobStatus.FAILED}),
    # ingesting → submitted: results were not downloadable yet; poll again.
    # ingesting → partial: stored, but some rows got nothing (Ingested.failed_rows > 0).
    JobStatus.INGESTING: frozenset(
        {JobStatus.COMPLETE, JobStatus.PARTIAL, JobStatus.SUBMITTED, JobStatus.FAILED}
    ),
    JobStatus.COMPLETE: frozenset(),
    JobStatus.PARTIAL: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


class PaidJob(TeamScopedModel):
    """Columns and behaviour every paid job shares. Subclasses add their inputs and results.

    `JOB_LABEL` names the kind in RQ job ids and credit references (letters, digits, '-').
    """

    JOB_LABEL = "job"
    # (provider, webhook kind) pairs that announce a job of this kind finished; the shared
    # handler (leadops.jobs.webhooks) then polls the job whose provider_ref the event names.
    COMPLETION_WEBHOOKS: tuple[tuple[str, str], ...] = ()

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=JobStatus.choices, default=JobStatus.DRAFT, db_index=True
    )
    provider = models.CharField(max_length=20)
    provider_ref = models.CharField(
        max_length=120, blank=True, db_index=True, help_text="The provider's queue/batch id"
    )
    estimated_credits = models.PositiveIntegerField(default=0)
    charged_credits = models.PositiveIntegerField(null=True, blank=True)
    hold = models.OneToOneField(
        "credits.CreditHold", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=120, blank=True, help_text="What is happening now")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True)
    submit_attempts = models.PositiveSmallIntegerField(default=0)
    poll_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    submit_started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expected_done_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider expects to finish (its estimate)"
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def completion_webhooks(self) -> tuple[tuple[str, str], ...]:
        """The pairs that can announce this job's completion: those of its own provider (a
        subclass narrows them further when one model holds several kinds of provider queue)."""
        return tuple(pair for pair in self.COMPLETION_WEBHOOKS if pair[0] == self.provider)

    @classmethod
    def webhook_filter(cls, kind: str) -> models.Q:
        """Which jobs of this model a webhook of `kind` may be about."""
        return models.Q()

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_finished(self) -> bool:
        """Finished with results: complete, or complete with errors."""
        return self.status in FINISHED

    @property
    def credit_reference(self) -> str:
        return f"{self.JOB_LABEL}:{self.pk}"

    @property
    def progress_percent(self) -> int:
        """Rows done where the provider reports them; else time against its own estimate
        (capped at 95 % so an overdue job never looks finished)."""
        if self.status in FINISHED:
            return 100
        if self.rows_total and self.rows_done:
            return min(99, round(100 * self.rows_done / self.rows_total))
        if self.status == JobStatus.SUBMITTED and self.submitted_at and self.expected_done_at:
            span = (self.expected_done_at - self.submitted_at).total_seconds()
            spent = (timezone.now() - self.submitted_at).total_seconds()
            return min(95, round(100 * spent / span)) if span > 0 else 95
        return 0

    @property
    def elapsed(self) -> timedelta | None:
        """How long the job has been running (to completion, once it is over)."""
        start = self.queued_at or self.created_at
        if start is None:
            return None
        end = self.completed_at if self.is_terminal and self.completed_at else timezone.now()
        return max(timedelta(0), end - start)

    @property
    def remaining(self) -> timedelta | None:
        """Estimated time left: from the rate of rows done when the provider reports rows,
        else from the provider's own estimate; None when there is no basis for a guess."""
        if self.is_terminal or self.status not in (JobStatus.SUBMITTED, JobStatus.INGESTING):
            return None
        now = timezone.now()
        if self.rows_total and 0 < self.rows_done < self.rows_total and self.submitted_at:
            spent = now - self.submitted_at
            return spent * ((self.rows_total - self.rows_done) / self.rows_done)
        if self.status == JobStatus.SUBMITTED and self.expected_done_at:
            return max(timedelta(0), self.expected_done_at - now)
        return None


class JobEvent(models.Model):
    """One line of a job's timeline: a transition or a notable step, with who and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    job = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.from_status or '·'} → {self.to_status or '·'}: {self.detail}"


class SubmitToken(models.Model):
    """A one-time token carried by a form that starts paid work (the cost preview's submit).

    Issued when the form is shown, consumed in the same transaction that creates the job, and
    then remembers that job: a double click or a replayed POST finds the token used and is
    shown the job it already made instead of making a second one (leadops/jobs/tokens.py).
    `scope` names what the form submits (a job kind and the object it starts from), so a
    token cannot be spent on another form; `job_id` is a job of that kind.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    job_id = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.scope} token of {self.user_id}{' (used)' if self.used_at else ''}"


class NoticeLevel(models.TextChoices):
    SUCCESS = "success", "Done"
    WARNING = "warning", "Done with errors"
    DANGER = "danger", "Failed"


class JobNotice(models.Model):
    """A job of yours ended: shown in the header's bell and on the notices page (and mailed
    when JOB_EMAIL_NOTICES is on). Written in the same transaction as the job's end."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_notices"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    level = models.CharField(max_length=8, choices=NoticeLevel.choices)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.text
