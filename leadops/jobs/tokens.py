"""One-time submit tokens: a form that starts paid work creates one job per token.

    key = submit_token_issue(user=request.user, scope=f"trace-new-{batch.pk}")  # the form
    with transaction.atomic():                                                 # the POST
        token = submit_token_claim(key=key, user=user, scope=...)  # raises TokenUsed
        job = ...create...
        submit_token_spent(token=token, job_id=job.pk)

The claim is a conditional update of the token row, so a second request with the same key
waits on the first one's row lock until it commits, then sees the token used and the job it
made (TokenUsed.job_id). If the creation fails the transaction rolls back and the token can
be used again.
"""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from leadops.jobs.models import SubmitToken

# Unused tokens older than this are deleted when new ones are issued.
KEEP_UNUSED = timedelta(days=2)
# Used ones are kept a little longer, so a late replay still finds its job.
KEEP_USED = timedelta(days=7)


class TokenInvalid(Exception):
    """No such token for this user and form (expired, tampered with, or another form's)."""

    def __init__(self):
        super().__init__("This form has expired; check the cost again and submit.")


class TokenUsed(Exception):
    """The token already made a job: `job_id`."""

    def __init__(self, job_id: int | None):
        self.job_id = job_id
        super().__init__("This form was already submitted.")


def submit_token_issue(*, user, scope: str) -> str:
    now = timezone.now()
    SubmitToken.objects.filter(used_at__isnull=True, created_at__lt=now - KEEP_UNUSED).delete()
    SubmitToken.objects.filter(used_at__lt=now - KEEP_USED).delete()
    key = secrets.token_urlsafe(32)
    SubmitToken.objects.create(key=key, user=user, scope=scope)
    return key


def submit_token_claim(*, key: str, user, scope: str) -> SubmitToken:
    """Consume the token inside the caller's transaction; raises TokenUsed or TokenInvalid."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim a submit token inside the transaction that creates the job")
    mine = SubmitToken.objects.filter(key=key or "", user=user, scope=scope)
    # The conditional update takes the row lock: a concurrent claim waits here, then finds
    # the token used (count 0) and reads the job the first one recorded.
    if mine.filter(used_at__isnull=True).update(used_at=timezone.now()) == 1:
        return mine.get()
    token = mine.first()
    if token is None:
        raise TokenInvalid()
    raise TokenUsed(token.job_id)


def submit_token_spent(*, token: SubmitToken, job_id: int) -> None:
    SubmitToken.objects.filter(pk=token.pk).update(job_id=job_id)


def submit_token_take(*, key: str | None, user, scope: str, model, refused, already):
    """`submit_token_claim` as a feature's submit uses it: None without a key; a token
    already used raises `already(job)` with the job of `model` it made (`refused` with a
    message when that job is gone); an invalid one raises `refused(message)`."""
    if key is None:
        return None
    try:
        return submit_token_claim(key=key, user=user, scope=scope)
    except TokenUsed as used:
        job = model.objects.filter(pk=used.job_id).first() if used.job_id else None
        if job is None:
            raise refused("This form was already submitted; check the cost again.") from None
        raise already(job) from None
    except TokenInvalid as exc:
        raise refused(str(exc)) from None
