"""Saved searches: save the build form by name (unique per team), list, open into the form,
rename and delete; another team sees none of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leadbuilder.models import SavedSearch
from leadbuilder.spec import BuildSpec
from tests.leadbuilder.form_support import CITY

pytestmark = pytest.mark.django_db


SEARCH = {
    **CITY,
    "strategies": ["tired_landlord"],
    "f_years_owned_min": "12",
    "f_pool": "true",
    "pf_sell_min": "70",
    "requested_count": "250",
}


def save(client, name="Phoenix landlords", data=None):
    return client.post(
        reverse("leadbuilder:search_save"), {**(data or SEARCH), "search_name": name}
    )


@pytest.fixture
def saved(staff, team_a):
    return SavedSearch.objects.create(
        team=team_a,
        name="Mesa vacants",
        created_by=staff,
        spec=BuildSpec(
            strategies=("vacant",),
            geography={"mode": "city", "cities": ["Mesa"], "states": ["AZ"]},
            overrides={"beds_min": 3},
        ).to_json(),
    )


def test_save_the_form_and_open_it_again(staff_client, staff, team_a, strategies):
    response = save(staff_client)
    search = SavedSearch.objects.get(team=team_a)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('leadbuilder:new')}?search={search.pk}"
    assert (search.name, search.created_by) == ("Phoenix landlords", staff)
    assert search.build_spec == BuildSpec(
        strategies=("tired_landlord",),
        geography={"mode": "city", "cities": ["Phoenix"], "states": ["AZ"]},
        overrides={"years_owned_min": 12, "pool": True},
        requested_count=250,
        post_filters={"sell_min": 70},
    )
    html = staff_client.get(response["Location"]).content.decode()
    assert "from the saved search “Phoenix landlords”" in html
    assert 'value="tired_landlord" id="strategy-tired_landlord" checked' in html
    assert 'name="geo_cities" value="Phoenix"' in html
    assert 'name="f_years_owned_min" value="12"' in html
    assert 'id="id_f_pool_1" value="true" autocomplete="off" checked' in html
    assert 'name="pf_sell_min" value="70"' in html
    assert 'name="requested_count" value="250"' in html
    assert 'data-testid="merged-tired_landlord-years_owned_min" data-status="overridden"' in html
    assert "is-invalid" not in html


def test_a_name_is_unique_per_team(staff_client, team_a, strategies):
    save(staff_client)
    response = save(staff_client, name="phoenix LANDLORDS")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Your team already has a saved search named “phoenix LANDLORDS”" in html
    assert 'data-testid="save-error"' in html
    assert SavedSearch.objects.filter(team=team_a).count() == 1
    # The form keeps what the user set.
    assert 'name="f_years_owned_min" value="12"' in html


def test_an_invalid_form_is_not_saved(staff_client, team_a, strategies):
    response = save(staff_client, data={**SEARCH, "f_beds_min": "5", "f_beds_max": "1"})
    assert response.status_code == 400
    assert 'data-testid="error-f_beds_min"' in response.content.decode()
    assert not SavedSearch.objects.exists()
    response = save(staff_client, name="")
    assert response.status_code == 400 and not SavedSearch.objects.exists()


def test_the_list(staff_client, saved, strategies):
    html = staff_client.get(reverse("leadbuilder:searches")).content.decode()
    assert f'href="{reverse("leadbuilder:new")}?search={saved.pk}"' in html
    assert "Mesa vacants" in html and "Vacant Homes" in html and "Mesa (AZ)" in html
    assert reverse("leadbuilder:search_rename", args=[saved.pk]) in html
    assert reverse("leadbuilder:search_delete", args=[saved.pk]) in html


def test_the_empty_list(staff_client):
    html = staff_client.get(reverse("leadbuilder:searches")).content.decode()
    assert "No saved searches yet." in html


def test_rename(staff_client, saved, staff, team_a):
    url = reverse("leadbuilder:search_rename", args=[saved.pk])
    assert 'value="Mesa vacants"' in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"name": "Mesa, vacant 3+ beds"})
    assert response.status_code == 302
    saved.refresh_from_db()
    assert saved.name == "Mesa, vacant 3+ beds"
    SavedSearch.objects.create(team=team_a, name="Taken", created_by=staff, spec={})
    html = staff_client.post(url, {"name": "taken"}).content.decode()
    assert 'data-testid="rename-error"' in html and "already has a saved search" in html
    saved.refresh_from_db()
    assert saved.name == "Mesa, vacant 3+ beds"


def test_delete_asks_first(staff_client, saved):
    url = reverse("leadbuilder:search_delete", args=[saved.pk])
    html = staff_client.get(url).content.decode()
    assert "Delete the saved search “Mesa vacants”?" in html
    assert SavedSearch.objects.filter(pk=saved.pk).exists()
    response = staff_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("leadbuilder:searches")
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()


def test_another_team_sees_none_of_it(client, saved, outsider, team_b, lb_sandbox):
    client.force_login(outsider)
    assert "Mesa vacants" not in client.get(reverse("leadbuilder:searches")).content.decode()
    assert client.get(f"{reverse('leadbuilder:new')}?search={saved.pk}").status_code == 404
    for name in ("search_rename", "search_delete"):
        url = reverse(f"leadbuilder:{name}", args=[saved.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Mine now"}).status_code == 404
    saved.refresh_from_db()
    assert saved.name == "Mesa vacants"
    # The same name is free in another team.
    response = save(client, name="Mesa vacants")
    assert response.status_code == 302
    assert SavedSearch.objects.filter(name="Mesa vacants").count() == 2
    assert SavedSearch.objects.get(team=team_b).created_by == outsider
