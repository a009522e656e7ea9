"""Which job models exist and how each talks to its provider.

An app registers its concrete `PaidJob` model with a `JobSteps` implementation in its
AppConfig.ready(); the shared services, RQ entry points and reconciliation find them here by
`JOB_LABEL`, so the machinery never imports a feature app.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from leadops.jobs.models import PaidJob


@dataclass(frozen=True)
class Submitted:
    provider_ref: str
    expected_seconds: float = 30.0
    detail: str = ""


@dataclass(frozen=True)
class PollResult:
    """What the provider says about a submitted job."""

    ready: bool
    failed: bool = False
    detail: str = ""
    rows_total: int | None = None
    rows_done: int | None = None
    retry_in: float = 15.0


@dataclass(frozen=True)
class Ingested:
    """What ingest stored. `failed_rows` > 0 ends the job `partial` ("Complete with
    errors"): `failure_reason` is the sentence shown on the job (how many and why)."""

    charged_credits: int
    rows: int
    hits: int = 0
    detail: str = ""
    extra: dict = field(default_factory=dict)
    failed_rows: int = 0
    failure_reason: str = ""


class JobSteps(Protocol):
    """Provider work for one job kind. Each method may raise leadops.providers.errors.*."""

    def submit(self, job: "PaidJob") -> Submitted: ...

    def find_submission(self, job: "PaidJob") -> Submitted | None:
        """After a POST whose answer was lost: the provider's record of it, or None."""

    def poll(self, job: "PaidJob") -> PollResult: ...

    def ingest(self, job: "PaidJob") -> Ingested:
        """Fetch and store results idempotently (a rerun replaces, never duplicates)."""

    # Optional: def give_up(self, job, reason: str) -> Submitted | None
    #
    # Submission of (the rest of) the job is exhausted (SUBMIT_MAX_ATTEMPTS reached, a
    # permanent error, a lost submission) and the job layer is about to fail it. A kind whose
    # provider may already hold part of the job records the rest as given up and returns the
    # Submitted for the part the provider has: the job goes on with that part (and ends
    # `partial`). None means the provider has nothing of it: the job fails, all released.
    # A steps object without the method is treated as answering None.


def give_up(steps: JobSteps, job: "PaidJob", reason: str) -> Submitted | None:
    """Ask `steps` whether the provider has part of `job` (see JobSteps); None if it cannot."""
    hook = getattr(steps, "give_up", None)
    return hook(job, reason) if hook is not None else None


_REGISTRY: dict[str, tuple[type["PaidJob"], JobSteps]] = {}


def register(model: type["PaidJob"], steps: JobSteps) -> None:
    label = model.JOB_LABEL
    existing = _REGISTRY.get(label)
    if existing and existing[0] is not model:
        raise ValueError(f"job label {label!r} is already used by {existing[0].__name__}")
    _REGISTRY[label] = (model, steps)


def lookup(label: str) -> tuple[type["PaidJob"], JobSteps]:
    try:
        return _REGISTRY[label]
    except KeyError:
        raise LookupError(f"no job kind {label!r} is registered") from None


def all_kinds() -> list[tuple[type["PaidJob"], JobSteps]]:
    return list(_REGISTRY.values())
