"""Who may act on work another team member started.

Seeing a team's objects is team scoping (`leadops.accounts.scoping`). Stopping work or spending
credits on it (cancelling a job, re-tracing a partial one) is narrower: the work's creator, or
an admin or manager of its team.

    if not may_control(user=request.user, work=job): ...
"""

from django.contrib.auth.models import AbstractBaseUser

from leadops.accounts.models import Membership


def may_control(*, user: AbstractBaseUser | None, work) -> bool:
    """Whether `user` may stop `work` or spend on it. `work` is any team-owned object with a
    `created_by` (every `PaidJob`)."""
    if user is None or not user.is_authenticated:
        return False
    if work.created_by_id == user.pk:
        return True
    membership = Membership.objects.filter(user=user, team_id=work.team_id).first()
    return bool(membership and membership.can_manage)


def control_refusal(*, work, action: str) -> str:
    """The sentence shown to a member who may not `action` (e.g. "cancel") `work`."""
    return (
        f"Only {work.created_by}, who started it, or a team admin or manager can {action} this job."
    )
