from django.db import models

from leadops.jobs.models import PaidJob


class ProbeJob(PaidJob):
    """A minimal paid job for testing the shared machinery: a Tracerfy json_data trace."""

    JOB_LABEL = "probe"
    COMPLETION_WEBHOOKS = (("tracerfy", "trace"),)

    addresses = models.JSONField(default=list)
    records = models.JSONField(default=list)
