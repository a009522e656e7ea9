"""DNC scrubbing: scrub jobs and their phones, the team's phone status store, the team's
internal do-not-call list, and single-phone lookups.

A scrub starts as a *draft* holding every phone its source gave (an upload, a pasted list,
a finished trace): the cost preview reads the draft, and submitting decides each phone's
fate — sent to the provider, reused from a fresh earlier result, or blocked by the internal
list. `PhoneStatus` keeps each team's latest result per phone; a result older than
`DNC_FRESH_DAYS` is *stale*: shown as such and scrubbed (and paid) again.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from leadops.accounts.models import TeamScopedModel
from leadops.jobs.models import PaidJob

PROVIDER = "tracerfy"
CREDITS_PER_PHONE = 1
LOOKUP_CREDITS = 5


def fresh_since():
    """Results checked at or after this moment are fresh (DNC_FRESH_DAYS)."""
    return timezone.now() - timedelta(days=settings.DNC_FRESH_DAYS)


class DncSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded file"
    LIST = "list", "Pasted list"
    TRACE = "trace", "Skip-trace results"


class PhoneTypes(models.TextChoices):
    """Which phones of a trace to scrub."""

    ALL = "all", "All phones"
    MOBILE = "mobile", "Mobile phones"
    LANDLINE = "landline", "Landlines"


class DncScrub(PaidJob):
    """One DNC scrub (Tracerfy calls it a DNC queue, `dnc_queue_id`)."""

    JOB_LABEL = "dnc"
    COMPLETION_WEBHOOKS = ((PROVIDER, "dnc_scrub"),)

    source = models.CharField(max_length=8, choices=DncSource.choices)
    name = models.CharField(max_length=255, help_text="What the phones came from, for people")
    batch = models.ForeignKey(
        "imports.ImportBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trace = models.ForeignKey(
        "traces.TraceJob", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone_types = models.CharField(
        max_length=8, choices=PhoneTypes.choices, default=PhoneTypes.ALL, blank=True
    )
    # What the draft holds (counted when it is made) …
    phones_unique = models.PositiveIntegerField(default=0)
    phones_invalid = models.PositiveIntegerField(default=0)
    phones_duplicate = models.PositiveIntegerField(default=0)
    phones_blank = models.PositiveIntegerField(default=0)
    # … and what submitting decided.
    phones_reused = models.PositiveIntegerField(default=0)
    phones_blocked = models.PositiveIntegerField(default=0)
    phones_sent = models.PositiveIntegerField(default=0)
    from_queue = models.BooleanField(
        default=False, help_text="Sent with Tracerfy's scrub-from-queue call (the trace's queue)"
    )

    class Meta(PaidJob.Meta):
        verbose_name = "DNC scrub"
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"DNC scrub #{self.pk} ({self.name})"

    def get_absolute_url(self) -> str:
        return reverse("dnc:detail", args=[self.pk])

    @property
    def provider_label(self) -> str:
        return "Tracerfy"


class PhoneOutcome(models.TextChoices):
    """One phone of a scrub. The flags are ranked: the worst one names the phone."""

    PENDING = "pending", "Not scrubbed yet"
    CLEAN = "clean", "Clean"
    DMA = "dma", "DMA"
    STATE = "state", "State DNC"
    FEDERAL = "federal", "Federal DNC"
    LITIGATOR = "litigator", "TCPA litigator"
    INTERNAL = "internal", "Internal DNC"
    NO_RESULT = "no_result", "No result received"
    INVALID = "invalid", "Invalid"


class PhoneOrigin(models.TextChoices):
    """Where a scrubbed phone's answer comes from."""

    SENT = "sent", "Scrubbed by the provider"
    REUSED = "reused", "Reused (scrubbed recently)"
    BLOCKED = "blocked", "Blocked by the internal list"


def outcome_for(
    *, national_dnc: bool, state_dnc: bool, dma: bool, litigator: bool, is_clean: bool = True
) -> str:
    """The worst flag of a provider result; clean only when no flag is set."""
    if litigator:
        return PhoneOutcome.LITIGATOR
    if national_dnc:
        return PhoneOutcome.FEDERAL
    if state_dnc:
        return PhoneOutcome.STATE
    if dma:
        return PhoneOutcome.DMA
    # A result that says "not clean" without a flag is not dialled either.
    return PhoneOutcome.CLEAN if is_clean else PhoneOutcome.FEDERAL


class DncAnswer(models.Model):
    """A provider's answer for one phone: its four flags, clean or not, and its line type."""

    national_dnc = models.BooleanField(default=False)
    state_dnc = models.BooleanField(default=False)
    dma = models.BooleanField(default=False)
    litigator = models.BooleanField(default=False)
    is_clean = models.BooleanField(default=False)
    phone_type = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True

    @property
    def outcome(self) -> str:
        return outcome_for(
            national_dnc=self.national_dnc,
            state_dnc=self.state_dnc,
            dma=self.dma,
            litigator=self.litigator,
            is_clean=self.is_clean,
        )


class DncPhone(models.Model):
    """One phone of a scrub: where it came from, what was decided and what came back.

    An invalid entry (`outcome` INVALID) keeps the value as given and the reason; it is never
    sent. Every other entry is one unique E.164 phone of the scrub.
    """

    # A scrub writes up to 100,000 of these while its cost preview waits: no index of their
    # own on the two keys (the composite indexes below start with the job; nothing looks a
    # phone up by its record), and no database check of the record, which is the scrub's
    # import's (an import with scrubs cannot be deleted: DncScrub.batch is PROTECT).
    job = models.ForeignKey(
        DncScrub, on_delete=models.CASCADE, related_name="phones", db_index=False
    )
    phone = models.CharField(max_length=40, help_text="E.164, or the value as given if invalid")
    label = models.CharField(max_length=200, blank=True)
    record = models.ForeignKey(
        "imports.ImportRecord",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    line = models.PositiveIntegerField(null=True, blank=True, help_text="First line it was on")
    column = models.CharField(max_length=120, blank=True, help_text="First column it was in")
    reason = models.CharField(max_length=300, blank=True, help_text="Why it is invalid")
    origin = models.CharField(max_length=8, choices=PhoneOrigin.choices, blank=True)
    outcome = models.CharField(
        max_length=10, choices=PhoneOutcome.choices, default=PhoneOutcome.PENDING
    )
    national_dnc = models.BooleanField(default=False)
    state_dnc = models.BooleanField(default=False)
    dma = models.BooleanField(default=False)
    litigator = models.BooleanField(default=False)
    phone_type = models.CharField(max_length=20, blank=True)
    checked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider checked it (for reused: then)"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "phone"],
                name="dnc_phone_once_per_job",
                condition=~models.Q(outcome="invalid"),
            )
        ]
        indexes = [
            models.Index(fields=["job", "outcome", "line", "id"]),
            models.Index(fields=["job", "line", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.outcome})"


class PhoneStatus(TeamScopedModel, DncAnswer):
    """A team's latest DNC result for one phone (from a scrub or a lookup)."""

    phone = models.CharField(max_length=16, help_text="E.164")
    checked_at = models.DateTimeField()
    source = models.CharField(max_length=40, blank=True, help_text="dnc:12 or lookup:7")

    class Meta:
        verbose_name_plural = "phone statuses"
        constraints = [
            models.UniqueConstraint(fields=["team", "phone"], name="phone_status_team_phone")
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {self.outcome} ({self.checked_at:%Y-%m-%d})"


class InternalDnc(TeamScopedModel):
    """A phone the team never calls, whatever any provider says."""

    phone = models.CharField(max_length=16, help_text="E.164")
    reason = models.CharField(max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "internal do-not-call phone"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at", "-id"])]
        constraints = [
            models.UniqueConstraint(fields=["team", "phone"], name="internal_dnc_team_phone")
        ]

    def __str__(self) -> str:
        return self.phone


class DncLookup(TeamScopedModel, DncAnswer):
    """One instant single-phone lookup: what was asked, found and charged."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(max_length=16)
    credits_charged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"Lookup of {self.phone}: {'failed' if self.error else self.outcome}"

    @property
    def outcome(self) -> str:
        return "" if self.error else super().outcome
