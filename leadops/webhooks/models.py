import json

from django.db import models


class EventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (known, nothing to do)"
    UNMATCHED = "unmatched", "Unmatched (no job found)"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """One inbound provider call, stored raw before anything acts on it.

    Not team-scoped: the team is only known once the event is matched to a job. Staff never
    see events; admins do (Admin → Webhook events), where an event can be reprocessed.
    """

    provider = models.CharField(max_length=20)
    kind = models.CharField(max_length=40, blank=True)
    # The provider's id of the job the event is about (a queue or batch id), if it names one.
    ref = models.CharField(max_length=120, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    # The URL's query string: RealEstateAPI callbacks carry our job id there (?job=42).
    query = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.PENDING, db_index=True
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    duplicates = models.PositiveIntegerField(
        default=0, help_text="How many identical deliveries arrived after this one"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["provider", "ref", "kind"], name="webhook_event_ref")]

    def __str__(self) -> str:
        return f"{self.provider}/{self.kind or '?'} {self.dedupe_key}"

    def payload(self) -> dict:
        """The body as JSON ({} if it is not an object; intake refuses non-JSON bodies)."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
