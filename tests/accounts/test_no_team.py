"""A signed-in user who belongs to no team: one clear page on every team page, never a 500."""

import pytest
from django.urls import reverse

from leadops.credits.models import CreditHold
from tests.factories import UserFactory
from traces.models import TraceLookup

pytestmark = pytest.mark.django_db

TEAM_PAGES = [
    "dashboard",
    "settings",
    "traces:index",
    "traces:queues",
    "traces:lookup",
    "imports:upload",
    "dnc:index",
    "leadbuilder:index",
]


@pytest.fixture
def teamless(client):
    UserFactory(username="boss", first_name="Bo", last_name="Boss", is_superuser=True)
    user = UserFactory(username="drifter")
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", TEAM_PAGES)
def test_teamless_user_sees_the_no_team_page(teamless, name):
    response = teamless.get(reverse(name))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="no-team"' in html
    assert "You are not in a team yet" in html
    # Whom to ask: the installation's administrators, by name and address.
    assert "Bo Boss" in html and "boss@example.com" in html
    # The page's own explanation, not the generic banner on top of it.
    assert "Your account is not in a team yet" not in html


def test_teamless_lookup_post_charges_nothing(teamless):
    response = teamless.post(
        reverse("traces:lookup"),
        {
            "mode": "address",
            "find": "owner",
            "address": "1 Elm St",
            "city": "Austin",
            "state": "TX",
        },
    )
    assert response.status_code == 403
    assert not TraceLookup.objects.exists()
    assert not CreditHold.objects.exists()


@pytest.mark.parametrize("name", ["password_change", "password_change_done"])
def test_teamless_user_can_still_manage_their_account(teamless, name):
    assert teamless.get(reverse(name)).status_code == 200


def test_teamless_superuser_reaches_admin(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:index")).status_code == 200
    html = client.get(reverse("dashboard")).content.decode()
    assert "on your user's page" in html  # a staff user is told how to add themselves


def test_logout_works_without_a_team(teamless):
    response = teamless.post(reverse("logout"))
    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in teamless.session
