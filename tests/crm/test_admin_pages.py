"""The CRM admin: pushes read-only with their batches inline, contacts read-only, each
team's settings editable."""

import pytest
from django.utils import timezone

from leadops.crm.models import CrmBatch, CrmContact, CrmPush, CrmSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def push(team_a, owner):
    found = CrmPush.objects.create(
        team=team_a,
        created_by=owner,
        provider="crm",
        source_kind="trace",
        source_id=1,
        source_name="Trace #1 (owners.csv)",
        selection="all",
        status="partial",
    )
    CrmBatch.objects.create(
        push=found, number=1, state="failed", contacts=3, size_bytes=2048, error="HTTP 413"
    )
    return found


def test_a_push_is_read_only_with_its_batches_inline(owner_client, push):
    page = owner_client.get(f"/admin/crm/crmpush/{push.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "HTTP 413" in html and "Trace #1 (owners.csv)" in html
    assert 'name="source_name"' not in html  # no editable field
    assert owner_client.get("/admin/crm/crmpush/add/").status_code == 403
    assert owner_client.get("/admin/crm/crmpush/").status_code == 200


def test_contacts_are_read_only(owner_client, team_a, push):
    now = timezone.now()
    contact = CrmContact.objects.create(
        team=team_a, crm_id="lo_abc", name="Pat Owner", first_pushed_at=now, last_pushed_at=now
    )
    assert "lo_abc" in owner_client.get("/admin/crm/crmcontact/").content.decode()
    assert owner_client.get("/admin/crm/crmcontact/add/").status_code == 403
    change = owner_client.get(f"/admin/crm/crmcontact/{contact.pk}/change/").content.decode()
    assert 'name="name"' not in change


def test_settings_are_editable(owner_client, team_a):
    found = CrmSettings.objects.create(team=team_a)
    response = owner_client.post(
        f"/admin/crm/crmsettings/{found.pk}/change/",
        {"team": team_a.pk, "default_tags": '["hot", "absentee"]', "send_blocked_phones": "on"},
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert (found.default_tags, found.send_blocked_phones) == (["hot", "absentee"], True)
