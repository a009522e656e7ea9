"""The search index: one row per record a finished job left behind (a trace result, the
phones of one uploaded row in a DNC scrub, a lead-list row).

Each feature app says how its rows read (`leadops.search.registry`); a job's rows are
indexed right after it finishes (`services.search_index_job`, queued by `job_complete`).
`document` is the normalized text every query matches against: the property address in
USPS form with city, state and ZIP, the owner names' words, the phones as ten digits and the
APN without punctuation, all upper case. On PostgreSQL a trigram GIN index
(migration 0002) answers `document LIKE '%…%'` for each word of a query; on SQLite the same
query scans.
"""

from django.db import models

from leadops.accounts.models import TeamScopedModel


class SearchEntry(TeamScopedModel):
    source = models.CharField(max_length=12, help_text="The registered source (trace, dnc…)")
    job_id = models.BigIntegerField()
    row_id = models.BigIntegerField(help_text="The source row's id")
    record_key = models.CharField(
        max_length=20,
        help_text="Groups the rows about one property (p…), or one phone without an address (t…)",
    )
    address = models.CharField(max_length=300, blank=True, help_text="Display line")
    owner = models.CharField(max_length=300, blank=True, help_text="Display names")
    apn = models.CharField(max_length=60, blank=True)
    phones = models.CharField(max_length=600, blank=True, help_text="E.164, space-separated")
    note = models.CharField(max_length=60, blank=True, help_text="The source's word on the row")
    document = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "search entries"
        indexes = [
            models.Index(fields=["team", "record_key"], name="search_entry_record"),
            models.Index(fields=["source", "job_id"], name="search_entry_job"),
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.job_id}: {self.address or self.owner or self.phones}"

    @property
    def phone_list(self) -> list[str]:
        return self.phones.split()


class IndexedJob(models.Model):
    """A job whose rows are in the index (the sweep queues finished jobs without one)."""

    source = models.CharField(max_length=12)
    job_id = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0)
    indexed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "job_id"], name="search_indexed_job"),
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.job_id}: {self.rows} rows"
