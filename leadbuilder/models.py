"""Lead builder: builds (a paid job: Tracerfy's lead list) and their rows, saved searches,
AI-assist conversations, and single-address property lookups.

A build's inputs are a `BuildSpec` (leadbuilder/spec.py) kept as JSON in `spec`; what was
sent is kept too (`filters_sent`, per strategy), so a build shows exactly what it asked for
even after the strategies' defaults change at Tracerfy.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from leadbuilder.spec import BuildSpec
from leadops.accounts.models import TeamScopedModel
from leadops.fields import JsonDocumentField
from leadops.jobs.models import PaidJob

PROVIDER = "tracerfy"
LOOKUP_CREDITS = 10
AI_ASSIST_CREDITS = 1


class LeadBuild(PaidJob):
    """One charged lead list (Tracerfy's `LeadList`, its id in `provider_ref`)."""

    JOB_LABEL = "leads"
    COMPLETION_WEBHOOKS = ((PROVIDER, "lead_list"),)

    name = models.CharField(max_length=200)
    spec = models.JSONField(default=dict, help_text="The BuildSpec (leadbuilder/spec.py)")
    strategy_label = models.CharField(max_length=500, blank=True)
    filters_sent = models.JSONField(
        default=list, help_text="Per strategy: [key, merged filters] as sent (OR between them)"
    )
    requested_count = models.PositiveIntegerField(default=0)
    preview_count = models.PositiveIntegerField(null=True, blank=True)
    capped_count = models.PositiveIntegerField(null=True, blank=True)
    progress_stage = models.CharField(max_length=40, blank=True)
    score_counts = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The rows per vertical and score bucket, counted once at ingest "
        "(leadbuilder.selectors.score_counts): the unfiltered rows page's chart and count",
    )
    saved_search = models.ForeignKey(
        "leadbuilder.SavedSearch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    conversation = models.ForeignKey(
        "leadbuilder.AiConversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(PaidJob.Meta):
        verbose_name = "lead list"
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"Lead list #{self.pk} ({self.name})"

    def get_absolute_url(self) -> str:
        return reverse("leadbuilder:detail", args=[self.pk])

    @property
    def build_spec(self) -> BuildSpec:
        return BuildSpec.from_json(self.spec)


class OwnerType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    COMPANY = "company", "Company"


class LeadRow(TeamScopedModel):
    """One delivered row. Typed columns are what the rows page filters and sorts on; `data`
    keeps every column Tracerfy sent (50+, the propensity factors too) for the detail view
    and exports, so a new provider column is never lost."""

    build = models.ForeignKey(
        LeadBuild, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    position = models.PositiveIntegerField(help_text="1-based order in the provider's list")
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    county = models.CharField(max_length=100, blank=True)
    property_type = models.CharField(max_length=20, blank=True)
    owner_name = models.CharField(max_length=255, blank=True)
    owner_type = models.CharField(max_length=10, choices=OwnerType.choices, blank=True)
    absentee_owner = models.BooleanField(null=True)
    estimated_value = models.BigIntegerField(null=True)
    estimated_equity = models.BigIntegerField(null=True)
    equity_percent = models.FloatField(null=True)
    primary_phone = models.CharField(max_length=16, blank=True, help_text="E.164")
    phone_type = models.CharField(max_length=20, blank=True)
    email = models.CharField(max_length=255, blank=True)
    has_phone = models.BooleanField(default=False)
    sell_score = models.PositiveSmallIntegerField(null=True)
    sell_category = models.CharField(max_length=6, blank=True)
    refi_score = models.PositiveSmallIntegerField(null=True)
    refi_category = models.CharField(max_length=6, blank=True)
    roof_renovate_score = models.PositiveSmallIntegerField(null=True)
    roof_renovate_category = models.CharField(max_length=6, blank=True)
    hvac_renovate_score = models.PositiveSmallIntegerField(null=True)
    hvac_renovate_category = models.CharField(max_length=6, blank=True)
    solar_renovate_score = models.PositiveSmallIntegerField(null=True)
    solar_renovate_category = models.CharField(max_length=6, blank=True)
    # PostgreSQL json, not jsonb: stored and read whole, never queried inside (0005).
    data = JsonDocumentField(default=dict)

    class Meta:
        ordering = ["build", "position"]
        constraints = [
            models.UniqueConstraint(fields=["build", "position"], name="leadrow_build_position")
        ]
        # The rows page's filters and sorts within one build (0002_rows_indexes).
        indexes = [
            models.Index(fields=["build", "sell_score", "id"], name="leadrow_build_sell"),
            models.Index(fields=["build", "refi_score", "id"], name="leadrow_build_refi"),
            models.Index(fields=["build", "roof_renovate_score", "id"], name="leadrow_build_roof"),
            models.Index(fields=["build", "hvac_renovate_score", "id"], name="leadrow_build_hvac"),
            models.Index(
                fields=["build", "solar_renovate_score", "id"], name="leadrow_build_solar"
            ),
            models.Index(fields=["build", "primary_phone"], name="leadrow_build_phone"),
            models.Index(fields=["build", "equity_percent", "id"], name="leadrow_build_equity"),
        ]

    def __str__(self) -> str:
        return f"{self.address}, {self.city} {self.state}"


class SavedSearch(TeamScopedModel):
    """A named BuildSpec the team can run again (preview first, like any build)."""

    name = models.CharField(max_length=120)
    spec = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="savedsearch_team_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def build_spec(self) -> BuildSpec:
        return BuildSpec.from_json(self.spec)


class AiConversation(TeamScopedModel):
    """One AI-assist thread (Tracerfy's `conversation_id`), kept with the build it led to."""

    conversation_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"AI assist conversation {self.conversation_id or self.pk}"


class AiTurn(models.Model):
    """One prompt and Tracerfy's answer (or the error that stopped it), 1 credit when answered."""

    conversation = models.ForeignKey(AiConversation, on_delete=models.CASCADE, related_name="turns")
    prompt = models.TextField()
    answer = models.JSONField(default=dict, blank=True)
    needs_clarification = models.BooleanField(default=False)
    credits_charged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.prompt[:60]


class PropertyLookup(TeamScopedModel):
    """One single-address lookup: what was asked, found (the whole answer) and charged."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10, blank=True)
    hit = models.BooleanField(default=False)
    credits_charged = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"Lookup of {self.address}, {self.city} {self.state}"
