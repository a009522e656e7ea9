"""Where the preview's "Continue" button goes, by job type.

Feature apps register their next step in ``AppConfig.ready()`` so the import app never
imports them::

    register_continuation(["trace_normal", "trace_advanced", "apn"], "traces:new", "Set up trace")

The URL is reversed with ``args=[batch.pk]``. A job type with nothing registered shows no
button.
"""

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Continuation", "continuation_for", "register_continuation"]


@dataclass(frozen=True, slots=True)
class Continuation:
    url_name: str
    label: str


_CONTINUATIONS: dict[str, list[Continuation]] = {}


def register_continuation(job_types: Iterable[str], url_name: str, label: str) -> None:
    """Offer ``url_name`` as the next step for imports of ``job_types`` (idempotent)."""
    continuation = Continuation(url_name=url_name, label=label)
    for job_type in job_types:
        registered = _CONTINUATIONS.setdefault(str(job_type), [])
        registered[:] = [c for c in registered if c.url_name != url_name]
        registered.append(continuation)


def continuation_for(job_type: str, *, prefer: str = "") -> Continuation | None:
    """The next step for ``job_type``: ``prefer`` (a URL name) if it is registered for that
    job type, else the first registered, else None."""
    registered = _CONTINUATIONS.get(str(job_type), [])
    for continuation in registered:
        if prefer and continuation.url_name == prefer:
            return continuation
    return registered[0] if registered else None


def is_registered(url_name: str) -> bool:
    """Whether any job type continues to ``url_name`` (``?next=`` accepts only these)."""
    return any(c.url_name == url_name for cs in _CONTINUATIONS.values() for c in cs)
