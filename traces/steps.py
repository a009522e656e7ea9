"""The steps registered for TraceJob: each job's own provider does the work.

A trace job runs on Tracerfy (traces.tracerfy_steps) or RealEstateAPI (traces.reapi_steps);
an APN / parcel trace has steps of its own (traces.parcel_steps). This class only dispatches.
"""

from leadops.jobs.registry import Ingested, JobSteps, PollResult, Submitted
from traces.models import TraceJob


class TraceSteps:
    def __init__(self, by_provider: dict[str, JobSteps], *, parcel: JobSteps):
        self.by_provider = by_provider
        self.parcel = parcel

    def _for(self, job: TraceJob) -> JobSteps:
        return self.parcel if job.is_parcel else self.by_provider[job.provider]

    def submit(self, job: TraceJob) -> Submitted:
        return self._for(job).submit(job)

    def find_submission(self, job: TraceJob) -> Submitted | None:
        return self._for(job).find_submission(job)

    def poll(self, job: TraceJob) -> PollResult:
        return self._for(job).poll(job)

    def ingest(self, job: TraceJob) -> Ingested:
        return self._for(job).ingest(job)
