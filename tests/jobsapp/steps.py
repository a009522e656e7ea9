"""Provider steps for ProbeJob, swappable per test (see tests/jobs/conftest.py)."""

from leadops.jobs.registry import Ingested, PollResult, Submitted


class ProbeSteps:
    """Delegates to `impl`, which tests set to a sandbox-backed or scripted implementation."""

    impl = None

    def submit(self, job) -> Submitted:
        return self.impl.submit(job)

    def find_submission(self, job) -> Submitted | None:
        return self.impl.find_submission(job)

    def poll(self, job) -> PollResult:
        return self.impl.poll(job)

    def ingest(self, job) -> Ingested:
        return self.impl.ingest(job)

    def give_up(self, job, reason: str) -> Submitted | None:
        hook = getattr(self.impl, "give_up", None)
        return hook(job, reason) if hook is not None else None
