"""Skip tracing: trace jobs over an imported spreadsheet, and one result per traced record."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from leadops.accounts.models import TeamScopedModel
from leadops.jobs.models import PaidJob


class TraceType(models.TextChoices):
    NORMAL = "normal", "Normal (owner name + mailing address known)"
    ADVANCED = "advanced", "Advanced (address only; finds the owner)"
    PARCEL = "parcel", "APN / parcel (finds the owner from the parcel number)"


class TraceProvider(models.TextChoices):
    TRACERFY = "tracerfy", "Tracerfy"
    REAPI = "reapi", "RealEstateAPI"


CREDITS_PER_RECORD = {TraceType.NORMAL: 1, TraceType.ADVANCED: 2, TraceType.PARCEL: 5}
# RealEstateAPI has one kind of skip trace (names are sent when the row has them).
REAPI_CREDITS_PER_RECORD = 1


def credits_per_record(*, provider: str, trace_type: str) -> int:
    """What one traced record costs (charged per hit) with this provider and trace type."""
    if provider == TraceProvider.REAPI:
        return REAPI_CREDITS_PER_RECORD
    return CREDITS_PER_RECORD[trace_type]


class RecordScope(models.TextChoices):
    """Which rows of the import a trace covers."""

    USABLE = "usable", "The import's usable rows"
    # Rows the import's kind refused that its alternative kind takes: a normal-trace file's
    # rows without an owner name or mailing address, sent as an advanced trace.
    ALTERNATIVE = "alternative", "Rows a normal trace could not take"


class TraceJob(PaidJob):
    """One batch skip trace (Tracerfy calls it a queue; an APN trace, a parcel queue).

    An APN / parcel trace is a TraceJob with trace_type PARCEL over an import of job type
    "apn": Tracerfy only, its own submit/poll/ingest steps (traces.parcel) and its own
    completion webhook (`parcel_trace`, keyed by parcel_queue_id — a separate id space).
    """

    JOB_LABEL = "trace"
    # Tracerfy's account webhook announces finished trace queues and parcel queues.
    COMPLETION_WEBHOOKS = (
        (TraceProvider.TRACERFY.value, "trace"),
        (TraceProvider.TRACERFY.value, "parcel_trace"),
    )

    batch = models.ForeignKey("imports.ImportBatch", on_delete=models.PROTECT, related_name="+")
    trace_type = models.CharField(max_length=10, choices=TraceType.choices)
    scope = models.CharField(max_length=12, choices=RecordScope.choices, default=RecordScope.USABLE)
    records_sent = models.PositiveIntegerField(default=0)
    records_reused = models.PositiveIntegerField(default=0)
    results_unmatched = models.PositiveIntegerField(
        default=0, help_text="Provider rows that matched no submitted record (kept aside)"
    )
    retry_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retries",
        help_text="The trace whose records without a result this one traces again",
    )

    class Meta(PaidJob.Meta):
        verbose_name = "trace job"
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"Trace #{self.pk} ({self.batch.filename})"

    def get_absolute_url(self) -> str:
        return reverse("traces:detail", args=[self.pk])

    @property
    def provider_label(self) -> str:
        return TraceProvider(self.provider).label

    @property
    def is_parcel(self) -> bool:
        return self.trace_type == TraceType.PARCEL

    @property
    def completion_webhooks(self) -> tuple[tuple[str, str], ...]:
        kind = "parcel_trace" if self.is_parcel else "trace"
        return tuple(pair for pair in super().completion_webhooks if pair[1] == kind)

    @classmethod
    def webhook_filter(cls, kind: str) -> models.Q:
        # Trace queue 42 and parcel queue 42 are different queues at Tracerfy.
        parcel = models.Q(trace_type=TraceType.PARCEL)
        return parcel if kind == "parcel_trace" else ~parcel

    @property
    def credits_per_record(self) -> int:
        return credits_per_record(provider=self.provider, trace_type=self.trace_type)


class MatchStatus(models.TextChoices):
    HIT = "hit", "Hit"
    MISS = "miss", "Miss"
    UNMATCHED = "unmatched", "Unmatched (kept aside)"
    # The provider's answer for the record never came (a dropped webhook, a batch it never
    # confirmed or refused, a per-item error): not a miss, charged nothing, never reused,
    # and offered for a re-trace. `raw["note"]` says why.
    NO_RESULT = "no_result", "No result received"


class TraceResult(TeamScopedModel):
    """What the provider found for one submitted record (or a reused earlier result).

    `record` links the result to the exact input row it answers; a provider row that cannot
    be matched unambiguously has no record and status UNMATCHED — never a guessed owner.
    """

    job = models.ForeignKey(TraceJob, on_delete=models.CASCADE, related_name="results")
    record = models.ForeignKey(
        "imports.ImportRecord",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="trace_results",
    )
    # Looked up only with the team (reuse), so the (team, match_key) index below serves it;
    # an index of its own cost every stored result one more insert.
    match_key = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=MatchStatus.choices)
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_name = models.CharField(max_length=120, blank=True)
    last_name = models.CharField(max_length=120, blank=True)
    mail_address = models.CharField(max_length=255, blank=True)
    mail_city = models.CharField(max_length=120, blank=True)
    mail_state = models.CharField(max_length=20, blank=True)
    mail_zip = models.CharField(max_length=10, blank=True)
    primary_phone = models.CharField(max_length=32, blank=True)
    primary_phone_type = models.CharField(max_length=32, blank=True)
    phones = models.JSONField(default=list, help_text='[{"number", "type"}], best first')
    emails = models.JSONField(default=list)
    has_mobile = models.BooleanField(default=False)
    has_email = models.BooleanField(default=False)
    litigator = models.BooleanField(default=False)
    raw = models.JSONField(default=dict, blank=True, help_text="The provider's row as received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "record"],
                name="one_result_per_record",
                condition=models.Q(record__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["job", "status", "id"]),
            models.Index(fields=["job", "id"]),
            models.Index(fields=["team", "match_key", "-created_at"]),
        ]


class LookupKind(models.TextChoices):
    OWNER = "owner", "Find owner"
    PERSON = "person", "Find person"
    APN = "apn", "APN / parcel"


class TraceLookup(TeamScopedModel):
    """One instant lookup (address or parcel): what was asked, found and charged."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=LookupKind.choices)
    query = models.JSONField(default=dict)
    hit = models.BooleanField(default=False)
    credits_charged = models.PositiveIntegerField(default=0)
    persons = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"])]

    @property
    def summary(self) -> str:
        q = self.query
        if self.kind == LookupKind.APN:
            return (
                f"APN {q.get('parcel_id', '')}, {q.get('county', '')} County, {q.get('state', '')}"
            )
        return ", ".join(v for v in [q.get("address"), q.get("city"), q.get("state")] if v)


class ChunkState(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    # The POST may have been processed (timeout, 500, unreadable answer): never resent;
    # its own result webhooks confirm it, or it is given up after REAPI_CONFIRM_SECONDS.
    UNCONFIRMED = "unconfirmed", "Answer unknown"
    REFUSED = "refused", "Refused"
    GIVEN_UP = "given_up", "Given up"


class ReapiBatch(models.Model):
    """One chunk of a RealEstateAPI trace job, recorded the moment its fate is known.

    A job of more than 1,000 records (or 256 KB) is sent as several batches. Each chunk gets
    its row as soon as RealEstateAPI answers it (accepted, refused) or may have processed it
    without a readable answer (unconfirmed, `batch_id` still unknown), before the next chunk
    is sent; a retried submission sends only chunks without a row, so none is sent twice.
    `received` counts distinct per-item results stored.
    """

    job = models.ForeignKey(TraceJob, on_delete=models.CASCADE, related_name="reapi_batches")
    batch_id = models.CharField(max_length=80, db_index=True, blank=True)
    chunk = models.PositiveIntegerField(help_text="0-based position in the job's chunk plan")
    keys = models.PositiveIntegerField(help_text="Skip requests in this chunk")
    state = models.CharField(max_length=12, choices=ChunkState.choices, default=ChunkState.ACCEPTED)
    record_ids = models.JSONField(default=list, help_text="The ImportRecord pks it carries")
    error = models.TextField(blank=True, help_text="Why it was refused or given up")
    received = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "chunk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "chunk"], name="reapi_batch_job_chunk"),
        ]

    def __str__(self) -> str:
        return f"RealEstateAPI batch {self.batch_id} (trace #{self.job_id}, chunk {self.chunk})"
