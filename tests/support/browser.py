"""The e2e side: members who log in and the log-in itself (Playwright)."""

from __future__ import annotations

from playwright.sync_api import expect

from leadops.accounts.models import Role
from leadops.credits import services as credits
from tests.factories import MembershipFactory, TeamFactory, UserFactory

PASSWORD = "pw-for-tests"  # every factory user's password


def make_member(
    username: str, team_name: str, *, credits_granted: int = 0, reason: str = "", key: str = ""
):
    """A staff member of a new team; with ``credits_granted``, a wallet holding that many."""
    team = TeamFactory(name=team_name)
    user = UserFactory(username=username)
    MembershipFactory(user=user, team=team, role=Role.STAFF)
    if credits_granted:
        credits.grant(
            wallet=credits.wallet_for(user=user, team=team),
            amount=credits_granted,
            actor=None,
            reason=reason,
            idempotency_key=key,
        )
    return user


def log_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
