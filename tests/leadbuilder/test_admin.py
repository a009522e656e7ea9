"""The lead-builder admin: builds, conversations and lookups read-only, saved searches
editable, all filterable by team."""

import pytest

from leadbuilder.models import AiConversation, AiTurn, LeadBuild, PropertyLookup, SavedSearch

pytestmark = pytest.mark.django_db


def test_changelists_filter_by_team_and_results_are_read_only(owner_client, owner, team_a, team_b):
    LeadBuild.objects.create(team=team_a, created_by=owner, provider="tracerfy", name="Ours")
    LeadBuild.objects.create(team=team_b, created_by=owner, provider="tracerfy", name="Theirs")
    conversation = AiConversation.objects.create(team=team_a, created_by=owner)
    AiTurn.objects.create(conversation=conversation, prompt="vacant homes in Austin")
    PropertyLookup.objects.create(
        team=team_a, created_by=owner, address="1 Main St", city="Austin", state="TX"
    )
    SavedSearch.objects.create(team=team_a, created_by=owner, name="Austin vacant")
    for name in ("leadbuild", "aiconversation", "propertylookup", "savedsearch"):
        response = owner_client.get(f"/admin/leadbuilder/{name}/", {"team__id__exact": team_a.pk})
        assert response.status_code == 200, name
    html = owner_client.get("/admin/leadbuilder/leadbuild/", {"team__id__exact": team_a.pk})
    assert "Ours" in html.content.decode() and "Theirs" not in html.content.decode()
    page = owner_client.get(f"/admin/leadbuilder/aiconversation/{conversation.pk}/change/")
    assert "vacant homes in Austin" in page.content.decode()
    for name in ("leadbuild", "aiconversation", "propertylookup"):
        assert owner_client.get(f"/admin/leadbuilder/{name}/add/").status_code == 403, name
    assert owner_client.get("/admin/leadbuilder/savedsearch/add/").status_code == 200
