"""Every page: anonymous visitors go to login; members see their own team's data only."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from leadops.accounts.scoping import get_for_team_or_404, scoped
from leadops.credits import services as credits
from leadops.credits.models import Wallet

pytestmark = pytest.mark.django_db

PAGES = ["dashboard", "settings", "traces:index", "dnc:index", "leadbuilder:index"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_member_sees_page_with_navigation_and_credits(staff_client, name):
    response = staff_client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ["Dashboard", "Skip Trace", "DNC", "Lead Builder", "Settings"]:
        assert f">{label}</a>" in html
    assert 'data-testid="header-credits"' in html
    assert "SANDBOX" in html


def test_scoped_helpers_hide_other_teams(staff, outsider, team_a, team_b):
    other_wallet = credits.wallet_for(user=outsider, team=team_b)
    request = RequestFactory().get("/")
    request.team = team_a
    assert list(scoped(Wallet, request)) == [staff.wallet]
    with pytest.raises(Http404):
        get_for_team_or_404(Wallet, request, pk=other_wallet.pk)
    assert get_for_team_or_404(Wallet, request, pk=staff.wallet.pk) == staff.wallet
    request.team = None
    assert not scoped(Wallet, request).exists()


def test_dashboard_shows_only_own_wallet_and_entries(client, staff, outsider, team_b):
    credits.grant(wallet=staff.wallet, amount=321, actor=None, reason="mine", idempotency_key="m")
    theirs = credits.wallet_for(user=outsider, team=team_b)
    credits.grant(wallet=theirs, amount=999, actor=None, reason="secret-grant", idempotency_key="t")
    client.force_login(staff)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="wallet-available">321<' in html
    assert "mine" in html
    assert "secret-grant" not in html
    assert "999" not in html


def test_dashboard_queries_do_not_grow_with_entries(
    staff_client, staff, django_assert_max_num_queries
):
    for i in range(40):
        credits.grant(
            wallet=staff.wallet, amount=1, actor=staff, reason=f"r{i}", idempotency_key=f"k{i}"
        )
    from leadops.jobs.registry import all_kinds

    # The wallet and its ledger page (10), then per kind of job: running, finished since
    # yesterday, needing attention; the recent job activity (one query: no job has an event
    # here); and whether the user is new. Never per entry or job.
    with django_assert_max_num_queries(10 + 3 * len(all_kinds()) + 1 + 1):
        response = staff_client.get(reverse("dashboard"))
    assert response.status_code == 200


def test_user_without_team_is_told_so(client, db):
    from tests.factories import UserFactory

    loner = UserFactory(username="loner")
    client.force_login(loner)
    html = client.get(reverse("dashboard")).content.decode()
    assert "not in a team yet" in html


def test_settings_lists_team_members_only(staff_client, owner, outsider):
    html = staff_client.get(reverse("settings")).content.decode()
    assert "owner" in html
    assert "staffer" in html
    assert "outsider" not in html


def test_login_and_logout(client, staff):
    response = client.post(reverse("login"), {"username": "staffer", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_bad_login_shows_error(client, staff):
    response = client.post(reverse("login"), {"username": "staffer", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
