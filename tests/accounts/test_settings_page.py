"""Settings: the installation-wide webhook token is for LeadOps administrators only."""

import pytest
from django.urls import reverse

from leadops.accounts.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "test-webhook-token"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.STAFF])
def test_team_roles_without_site_admin_rights_never_see_the_token(client, team_a, role):
    user = UserFactory(username=f"team-{role}")
    MembershipFactory(user=user, team=team_a, role=role)
    client.force_login(user)
    html = client.get(reverse("settings")).content.decode()
    assert TOKEN not in html
    assert "/webhooks/" not in html
    assert 'data-testid="webhooks-admins-only"' in html


@pytest.mark.parametrize(
    ("is_staff", "is_superuser"), [(True, False), (False, True)], ids=["staff", "superuser"]
)
def test_site_admins_see_the_webhook_urls(client, team_a, is_staff, is_superuser):
    user = UserFactory(username="site-admin", is_staff=is_staff, is_superuser=is_superuser)
    MembershipFactory(user=user, team=team_a, role=Role.STAFF)
    client.force_login(user)
    html = client.get(reverse("settings")).content.decode()
    assert f"/webhooks/tracerfy/{TOKEN}/" in html
    assert f"/webhooks/reapi/{TOKEN}/" in html
    assert "onclick" not in html
    assert "data-copy-previous" in html
