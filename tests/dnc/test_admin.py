"""The DNC admin: the internal list editable (phones kept in E.164), results and lookups
read-only, all filterable by team."""

import pytest
from django.utils import timezone

from dnc.models import DncLookup, InternalDnc, PhoneStatus

pytestmark = pytest.mark.django_db


def test_changelists_filter_by_team(owner_client, owner, team_a, team_b, outsider):
    InternalDnc.objects.create(team=team_b, phone="+15125550101", reason="b", added_by=outsider)
    PhoneStatus.objects.create(team=team_a, phone="+15125550102", checked_at=timezone.now())
    DncLookup.objects.create(team=team_a, created_by=owner, phone="+15125550103")
    for name in ("internaldnc", "phonestatus", "dnclookup"):
        response = owner_client.get(f"/admin/dnc/{name}/", {"team__id__exact": team_a.pk})
        assert response.status_code == 200, name
    html = owner_client.get("/admin/dnc/internaldnc/", {"team__id__exact": team_a.pk})
    assert "+15125550101" not in html.content.decode()
    assert "+15125550101" in owner_client.get("/admin/dnc/internaldnc/").content.decode()


def test_results_and_lookups_are_read_only(owner_client):
    assert owner_client.get("/admin/dnc/phonestatus/add/").status_code == 403
    assert owner_client.get("/admin/dnc/dnclookup/add/").status_code == 403


def test_an_internal_phone_added_in_the_admin_is_normalised(owner_client, owner, team_a):
    response = owner_client.post(
        "/admin/dnc/internaldnc/add/",
        {"team": team_a.pk, "phone": "(512) 555-0104", "reason": "Asked", "added_by": owner.pk},
    )
    assert response.status_code == 302
    assert InternalDnc.objects.get().phone == "+15125550104"
    response = owner_client.post(
        "/admin/dnc/internaldnc/add/", {"team": team_a.pk, "phone": "12", "reason": "x"}
    )
    assert "is not a valid US phone number" in response.content.decode()
    assert InternalDnc.objects.count() == 1
