"""Typed provider errors: what went wrong, in the provider's own words, and what to do next.

The job layer needs two answers from any failed provider call: may the message be shown to
the user as is (``message``: always yes), and should the job stop or try again later
(``permanent``). Everything else is detail for logs and admin.
"""

from __future__ import annotations

from typing import Any


class ProviderError(Exception):
    """Base of every error a provider client raises.

    ``message`` is the provider's own wording when it gave one (shown to users as is);
    ``permanent`` says whether retrying the same call can ever help.
    """

    permanent: bool = True

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        permanent: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        if permanent is not None:
            self.permanent = permanent

    @property
    def transient(self) -> bool:
        return not self.permanent

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"status={self.status!r}, permanent={self.permanent!r})"
        )


class RateLimited(ProviderError):
    """Too many calls: by the provider (a 429) or by our own limiter (``local=True``).

    ``retry_after`` is in seconds. A local refusal means the provider was never called.
    """

    permanent = False

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        local: bool = False,
        family: str | None = None,
        provider: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after
        self.local = local
        self.family = family


class InsufficientCredits(ProviderError):
    """The provider account cannot pay for this call; topping up is a human decision."""


class InvalidRequest(ProviderError):
    """The provider refused the request as sent; ``detail`` is its parsed error body."""

    def __init__(self, message: str, *, detail: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.detail = detail


class AuthFailed(ProviderError):
    """Wrong or missing credentials, or an account the provider has suspended."""


class NotFound(ProviderError):
    """The queue, list or resource does not exist (or is not ours to see)."""


class NotReady(ProviderError):
    """The resource exists but is still being processed (HTTP 409): ask again later."""

    permanent = False


class DownloadExpired(ProviderError):
    """A result file's signed link has expired or its file is gone (HTTP 403, 404, 410 from
    the download host). Not permanent: reading the job's status again gives a fresh link."""

    permanent = False


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or failed on its side (timeouts, 5xx).

    ``request_sent`` tells the job layer whether the provider may have received (and, for
    a paid POST, accepted) the request: then it must reconcile before submitting again.
    """

    permanent = False

    def __init__(
        self,
        message: str,
        *,
        timed_out: bool = False,
        request_sent: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.timed_out = timed_out
        self.request_sent = request_sent


class MalformedResponse(ProviderUnavailable):
    """A success status with a body we cannot read. The call may well have taken effect,
    so it is treated like a timeout after sending: transient, reconcile before resending."""


class ParseError(ValueError):
    """A payload lacks a required field or has one of the wrong type.

    Raised by the ``from_json`` parsers, which webhook processing uses too; the clients
    turn it into ``MalformedResponse``.
    """
