class JobError(Exception):
    """A refused job operation; the message is safe to show to a user."""


class NotAllowed(JobError):
    """The actor may not stop or spend on this job (`leadops.accounts.permissions`)."""


class InvalidTransition(JobError):
    def __init__(self, *, job, to: str):
        self.from_status, self.to_status = job.status, to
        super().__init__(
            f"{type(job)._meta.verbose_name.capitalize()} #{job.pk} cannot go from "
            f"{job.get_status_display().lower()} to {to}."
        )


class SubmissionLost(Exception):
    """A submission got no answer, the provider offers no way to look it up, and the time to
    hear from it (a completion webhook) has passed: fail the job rather than send twice."""
