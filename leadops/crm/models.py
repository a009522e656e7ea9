"""CRM push: contacts from a trace, a DNC scrub or a lead list sent to the CRM in batches.

A `CrmPush` is a job on the shared machinery (`PaidJob`, label ``crm``; the CRM charges no
credits, so nothing is held). Its first submit step *prepares* it: maps every selected source
record to a contact, refuses the ones the CRM could not use (`CrmRefusal`, with the reason)
and splits the rest into request bodies under 100 KB (`CrmBatch`, each with the exact items
it sends), all in one transaction. It then sends the batches one by one and records each
one's fate; a push whose batches did not
all arrive ends "Complete with errors", and a retry push sends exactly those batches'
records again. `CrmContact` remembers which CRM users a team has created, so a later push
of the same owner and property sends an ``update``, never a second ``create``.
"""

from django.db import models
from django.urls import reverse

from leadops.accounts.models import Team, TeamScopedModel
from leadops.jobs.models import PaidJob

PROVIDER = "crm"


class SourceKind(models.TextChoices):
    TRACE = "trace", "Skip trace"
    DNC = "dnc", "DNC scrub"
    LEADS = "leads", "Lead list"


class Selection(models.TextChoices):
    """Which of the source's records a push sends."""

    ALL = "all", "Every record with a contact"
    FILTERED = "filtered", "The current filtered selection"
    RETRY = "retry", "The records of the failed batches of an earlier push"


class CrmSettings(models.Model):
    """A team's CRM preferences (one row per team, created with defaults on first use)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="crm_settings")
    default_tags = models.JSONField(
        default=list, blank=True, help_text="Tags every contact this team pushes carries"
    )
    send_blocked_phones = models.BooleanField(
        default=False,
        help_text="Send phones that are on a DNC list (marked as such); off: they are left out",
    )
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRM settings"
        verbose_name_plural = "CRM settings"

    def __str__(self) -> str:
        return f"CRM settings of {self.team}"


class CrmPush(PaidJob):
    """One push of a source's records to the CRM."""

    JOB_LABEL = "crm"

    source_kind = models.CharField(max_length=8, choices=SourceKind.choices)
    source_id = models.PositiveBigIntegerField()
    source_name = models.CharField(max_length=255, help_text="The source, for people")
    selection = models.CharField(max_length=8, choices=Selection.choices)
    filter_query = models.TextField(
        blank=True, help_text="The source page's filters (a query string) for a filtered push"
    )
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    record_ids = models.JSONField(
        default=list, blank=True, help_text="A retry's records (those of the failed batches)"
    )
    prepared_at = models.DateTimeField(
        null=True, blank=True, help_text="When its contacts were mapped and batched"
    )
    clean_only = models.BooleanField(
        default=False, help_text="Only clean, fresh phones sent; records without one refused"
    )
    tags = models.JSONField(default=list, blank=True)
    send_blocked_phones = models.BooleanField(default=False)
    records_selected = models.PositiveIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0, help_text="Contacts in the batches")
    creates = models.PositiveIntegerField(default=0)
    updates = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    batches_total = models.PositiveIntegerField(default=0)

    class Meta(PaidJob.Meta):
        verbose_name = "CRM push"
        indexes = [
            models.Index(fields=["team", "-created_at"]),
            models.Index(fields=["source_kind", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"CRM push #{self.pk} ({self.source_name})"

    def get_absolute_url(self) -> str:
        return reverse("crm:detail", args=[self.pk])


class BatchState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    # The request left but its answer was lost (a timeout, a 500, a worker that died
    # mid-request): the CRM may have it. Never resent on its own; offered for a retry.
    UNKNOWN = "unknown", "Answer lost"
    FAILED = "failed", "Failed"


RETRYABLE = (BatchState.UNKNOWN, BatchState.FAILED)


class CrmBatch(models.Model):
    """One request body of a push: the exact items it sends, and what became of it."""

    push = models.ForeignKey(CrmPush, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField(help_text="1-based, in sending order")
    state = models.CharField(max_length=8, choices=BatchState.choices, default=BatchState.PENDING)
    items = models.JSONField(default=list, help_text="The request's data array, as sent")
    record_ids = models.JSONField(default=list, help_text="The source records it carries")
    contacts = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["push", "number"]
        constraints = [
            models.UniqueConstraint(fields=["push", "number"], name="crm_batch_number"),
        ]

    def __str__(self) -> str:
        return f"Batch {self.number} of CRM push #{self.push_id} ({self.state})"

    @property
    def crm_ids(self) -> list[str]:
        return [item["id"] for item in self.items if item.get("type") in ("create", "update")]


class RefusalReason(models.TextChoices):
    NO_NAME = "no_name", "No name"
    NO_CONTACT = "no_contact", "No phone or email"
    DNC_BLOCKED = "dnc_blocked", "No clean, fresh phone"
    NO_ADDRESS = "no_address", "No property address"
    DUPLICATE = "duplicate", "Same owner and property as an earlier record"


class CrmRefusal(models.Model):
    """A selected record that was not sent, and why."""

    push = models.ForeignKey(CrmPush, on_delete=models.CASCADE, related_name="refusals")
    record_id = models.PositiveBigIntegerField()
    name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=12, choices=RefusalReason.choices)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["push", "id"]
        indexes = [
            models.Index(fields=["push", "reason", "id"]),
            models.Index(fields=["push", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.address or self.record_id}: {self.get_reason_display()}"


class CrmContact(TeamScopedModel):
    """A CRM user this team has created: later pushes of the same id send updates."""

    crm_id = models.CharField(max_length=40)
    name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=300, blank=True)
    first_push = models.ForeignKey(CrmPush, null=True, on_delete=models.SET_NULL, related_name="+")
    last_push = models.ForeignKey(CrmPush, null=True, on_delete=models.SET_NULL, related_name="+")
    pushes = models.PositiveIntegerField(default=1)
    first_pushed_at = models.DateTimeField()
    last_pushed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "crm_id"], name="crm_contact_team_id"),
        ]

    def __str__(self) -> str:
        return f"{self.crm_id} ({self.name})"
