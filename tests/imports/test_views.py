"""The import pages: access, upload errors, the mapping/preset flow, preview and download."""

import pytest
from django.urls import reverse

from leadops.imports import registry, services
from leadops.imports.models import ImportBatch, ImportStatus, MappingPreset
from tests.factories import MappingPresetFactory
from tests.support.pager import pager_link
from tests.support.rows import csv_upload, stored_files, stored_uploads

pytestmark = pytest.mark.django_db

DATA = (
    "Lead export\n"
    "Site,City,State,Zip,Owner Name,Phone,Notes\n"
    '1 Main St,Boston,MA,2134,"SMITH, JOHN",617-555-0100,=1+2\n'
    '1 Main Street,Boston,MA,02134,"SMITH, JOHN",617-555-0100,dup\n'
    ',Austin,TX,78701,"DOE, JANE",12345,no address\n'
)
FIXED = {
    "Site": "property_address",
    "City": "property_city",
    "State": "property_state",
    "Zip": "property_zip",
    "Owner Name": "owner_full_name",
    "Phone": "phone_1",
    "Notes": "extra",
}


def make_batch(team, user, data=DATA, job_type="trace_advanced"):
    return services.import_upload(
        team=team, user=user, uploaded_file=csv_upload(data), job_type=job_type
    )


def mapping_post(batch, mapping, job_type="trace_advanced", preset=""):
    data = {"job_type": job_type, "save_preset_as": preset}
    for index, header in enumerate(batch.headers):
        data[f"col_{index}"] = mapping.get(header, "extra")
    return data


@pytest.fixture
def batch(team_a, staff):
    return make_batch(team_a, staff)


@pytest.fixture
def stored_batch(batch):
    services.import_set_mapping(batch=batch, mapping=FIXED, job_type="trace_advanced")
    return services.import_store(batch=batch)


@pytest.fixture
def continuation(monkeypatch):
    """Continue to the mapping page (any URL name taking the batch id will do)."""
    monkeypatch.setattr(registry, "_CONTINUATIONS", {})
    registry.register_continuation(["trace_advanced"], "imports:mapping", "Set up the trace")


BATCH_PAGES = ["imports:mapping", "imports:preview", "imports:rejects_csv"]


# --------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["imports:upload", *BATCH_PAGES])
def test_anonymous_is_sent_to_login(client, stored_batch, name):
    args = [] if name == "imports:upload" else [stored_batch.pk]
    response = client.get(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [*BATCH_PAGES, "imports:mapping_check", "imports:sheet"])
def test_other_team_gets_404(client, outsider, stored_batch, name):
    client.force_login(outsider)
    url = reverse(name, args=[stored_batch.pk])
    response = (
        client.post(url) if name in ("imports:mapping_check", "imports:sheet") else client.get(url)
    )

    assert response.status_code == 404


def test_other_teams_preset_cannot_be_applied(staff_client, batch, team_b):
    preset = MappingPresetFactory(team=team_b)

    response = staff_client.get(reverse("imports:mapping", args=[batch.pk]), {"preset": preset.pk})

    assert response.status_code == 404


@pytest.mark.parametrize("name", BATCH_PAGES)
def test_owner_of_the_same_team_sees_the_batch(owner_client, stored_batch, name):
    assert owner_client.get(reverse(name, args=[stored_batch.pk])).status_code == 200


# --------------------------------------------------------------------------------------
# Upload page
# --------------------------------------------------------------------------------------


def test_upload_page_preselects_job_type_and_keeps_next(staff_client):
    response = staff_client.get(
        reverse("imports:upload"), {"job_type": "dnc", "next": "traces:new"}
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "<title>Import a spreadsheet · LeadOps</title>" in html
    dnc_input = html.split('value="dnc"')[1].split(">")[0]
    assert "checked" in dnc_input
    assert 'name="next" value="traces:new"' in html
    assert "Needs at least one phone column" in html
    assert "Needs only property address, city and state" in html


def test_upload_redirects_to_mapping(staff_client, staff, continuation):
    response = staff_client.post(
        reverse("imports:upload"),
        {
            "file": csv_upload(DATA),
            "job_type": "trace_advanced",
            "next": "imports:mapping",
        },
    )
    batch = ImportBatch.objects.get()

    assert response.status_code == 302
    assert response["Location"] == reverse("imports:mapping", args=[batch.pk])
    assert batch.created_by == staff
    assert batch.continue_to == "imports:mapping"


def test_upload_ignores_a_next_that_is_not_a_registered_continuation(staff_client):
    staff_client.post(
        reverse("imports:upload"),
        {"file": csv_upload(DATA), "job_type": "trace_advanced", "next": "admin:index"},
    )
    assert ImportBatch.objects.get().continue_to == ""


def test_upload_reject_is_shown_on_the_upload_page_and_nothing_stored(staff_client, media_root):
    response = staff_client.post(
        reverse("imports:upload"),
        {"file": csv_upload("Address,City,State\n", "empty.csv"), "job_type": "trace_advanced"},
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-testid="upload-error"' in html
    assert "This file was not imported." in html
    assert "The file has a header row (line 1) but no data rows below it." in html
    assert not ImportBatch.objects.exists()
    assert stored_files(media_root) == [] and stored_uploads() == []


def test_upload_without_a_file(staff_client):
    response = staff_client.post(reverse("imports:upload"), {"job_type": "trace_advanced"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_user_without_team_cannot_upload(client, django_user_model):
    user = django_user_model.objects.create_user("lonely", password="x")
    client.force_login(user)
    response = client.post(
        reverse("imports:upload"), {"file": csv_upload(DATA), "job_type": "trace_advanced"}
    )

    # The team middleware answers before the view: one page for every team page.
    assert response.status_code == 403
    assert "You are not in a team yet" in response.content.decode()
    assert not ImportBatch.objects.exists()


# --------------------------------------------------------------------------------------
# Mapping page
# --------------------------------------------------------------------------------------


def test_mapping_page_shows_columns_samples_proposals_and_missing(staff_client, batch):
    response = staff_client.get(reverse("imports:mapping", args=[batch.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert f"<title>Map columns · {batch.filename} · LeadOps</title>" in html
    # every source column with its samples
    for header in batch.headers:
        assert f'data-column="{header}"' in html
    assert 'title="617-555-0100"' in html
    assert 'title="=1+2"' in html
    # the proposal: "Site" is unknown, so kept as extra; "Zip" is the property ZIP
    zip_select = html.split('name="col_3"')[1].split("</select>")[0]
    assert '<option value="property_zip" selected>' in zip_select
    site_select = html.split('name="col_0"')[1].split("</select>")[0]
    assert '<option value="extra" selected>' in site_select
    # missing for an advanced trace: the property address
    assert html.count('data-testid="requirement-missing"') == 1
    assert 'Property address <span class="fw-semibold">— not mapped</span>' in html
    assert html.count('data-testid="requirement-met"') == 2


def test_mapping_fix_save_preset_and_store(staff_client, batch, team_a):
    response = staff_client.post(
        reverse("imports:mapping", args=[batch.pk]),
        mapping_post(batch, FIXED, preset="Lead export"),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("imports:preview", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == ImportStatus.STORED
    assert batch.mapping == FIXED
    assert (batch.rows_read, batch.rows_unusable, batch.duplicates, batch.unique_records) == (
        3,
        1,
        1,
        1,
    )
    preset = MappingPreset.objects.get(team=team_a)
    assert preset.name == "Lead export"
    assert batch.preset == preset

    # The next file with these headers is mapped by the preset, and the page says so.
    second = make_batch(team_a, batch.created_by)
    assert second.mapping == FIXED
    html = staff_client.get(reverse("imports:mapping", args=[second.pk])).content.decode()
    assert "Mapped with your team's preset “Lead export”" in html
    assert html.count('data-testid="requirement-missing"') == 0


def test_mapping_missing_required_field_shows_the_error(staff_client, batch):
    response = staff_client.post(
        reverse("imports:mapping", args=[batch.pk]), mapping_post(batch, batch.mapping)
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-testid="mapping-error"' in html
    assert "No column is mapped to the property address, so there is nothing to trace." in html
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UPLOADED


def test_mapping_applies_a_chosen_preset(staff_client, batch, team_a):
    preset = MappingPresetFactory(team=team_a, name="Sites", mapping={"Site": "property_address"})

    html = staff_client.get(
        reverse("imports:mapping", args=[batch.pk]), {"preset": preset.pk}
    ).content.decode()

    site_select = html.split('name="col_0"')[1].split("</select>")[0]
    assert '<option value="property_address" selected>' in site_select
    assert f'<option value="{preset.pk}"' in html


def test_mapping_check_returns_the_requirements_for_the_current_choice(staff_client, batch):
    response = staff_client.post(
        reverse("imports:mapping_check", args=[batch.pk]),
        mapping_post(batch, FIXED, job_type="trace_normal"),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "<html" not in html
    assert html.count('data-testid="requirement-missing"') == 3  # mailing address/city/state
    assert "Mailing address" in html
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UPLOADED  # nothing saved


def test_mapping_of_a_rejected_batch_goes_back_to_upload(staff_client, batch):
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.REJECTED, reject_message="Gone."
    )
    response = staff_client.get(reverse("imports:mapping", args=[batch.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("imports:upload")
    assert "Gone." in response.content.decode()


def test_choose_sheet(staff_client, team_a, staff):
    from tests.support.rows import xlsx_upload

    batch = services.import_upload(
        team=team_a,
        user=staff,
        uploaded_file=xlsx_upload(
            {
                "A": [["Address", "City", "State"], ["1 Main St", "Austin", "TX"]],
                "B": [["Address", "City", "State", "Zip"], ["2 Oak Ave", "Dallas", "TX", 75201]],
            }
        ),
        job_type="trace_advanced",
    )
    page = staff_client.get(reverse("imports:mapping", args=[batch.pk])).content.decode()
    assert "Read sheet" in page

    response = staff_client.post(reverse("imports:sheet", args=[batch.pk]), {"sheet": "B"})

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.sheet, batch.headers[-1]) == ("B", "Zip")


# --------------------------------------------------------------------------------------
# Preview and download
# --------------------------------------------------------------------------------------


def test_preview_shows_totals_reasons_and_continue(staff_client, stored_batch, continuation):
    response = staff_client.get(reverse("imports:preview", args=[stored_batch.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert f"<title>Preview · {stored_batch.filename} · LeadOps</title>" in html
    assert 'data-testid="rows-read">3<' in html
    assert 'data-testid="rows-unusable">1<' in html
    assert 'data-testid="duplicates">1<' in html
    assert 'data-testid="unique-records">1<' in html
    assert "Site</span>: is empty; an advanced trace needs it" in html
    assert reverse("imports:rejects_csv", args=[stored_batch.pk]) in html
    continue_url = reverse("imports:mapping", args=[stored_batch.pk])
    assert f'href="{continue_url}" data-testid="continue"' in html
    assert "Set up the trace" in html
    assert "1 MAIN ST" in html  # the sample of cleaned records


def test_preview_without_a_registered_continuation_has_no_button(
    staff_client, stored_batch, monkeypatch
):
    monkeypatch.setattr(registry, "_CONTINUATIONS", {})
    html = staff_client.get(reverse("imports:preview", args=[stored_batch.pk])).content.decode()

    assert 'data-testid="continue"' not in html


def test_preview_of_an_unstored_batch_goes_to_mapping(staff_client, batch):
    response = staff_client.get(reverse("imports:preview", args=[batch.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("imports:mapping", args=[batch.pk])


def test_preview_queries_do_not_grow_with_rows(
    staff_client, team_a, staff, django_assert_max_num_queries
):
    bad_rows = "".join(f",Austin,TX,78701,Owner {n},,\n" for n in range(300))
    big = make_batch(team_a, staff, DATA + bad_rows)
    services.import_set_mapping(batch=big, mapping=FIXED, job_type="trace_advanced")
    services.import_store(batch=big)
    assert big.rows_unusable == 301

    url = reverse("imports:preview", args=[big.pk])
    with django_assert_max_num_queries(10):
        html = staff_client.get(url).content.decode()
    assert html.count("is empty; an advanced trace needs it</li>") == 25  # one page
    with django_assert_max_num_queries(10):
        page = staff_client.get(url + pager_link(html, "last")).content.decode()
    assert page.count("is empty; an advanced trace needs it</li>") == 25  # the last 25
    assert "Showing 277\u2013301 of 301" in page


def test_mapping_page_queries_do_not_grow_with_columns(
    staff_client, team_a, staff, django_assert_max_num_queries
):
    headers = ["Address", "City", "State", *(f"Extra {n}" for n in range(60))]
    data = ",".join(headers) + "\n" + ",".join(["1 Main St", "Austin", "TX", *["x"] * 60]) + "\n"
    wide = make_batch(team_a, staff, data)
    for n in range(5):
        MappingPresetFactory(team=team_a, name=f"P{n}")

    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("imports:mapping", args=[wide.pk]))
    assert response.status_code == 200


def test_rejects_csv_download_is_neutralized(staff_client, stored_batch):
    response = staff_client.get(reverse("imports:rejects_csv", args=[stored_batch.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="leads-rejected-rows.csv"' in response["Content-Disposition"]
    assert body.splitlines() == [
        "Line,Problems,Site,City,State,Zip,Owner Name,Phone,Notes",
        "5,Phone: “12345” is not a valid US phone number; Site: is empty; an advanced trace "
        'needs it,,Austin,TX,78701,"DOE, JANE",12345,no address',
    ]


def test_rejects_csv_neutralizes_formula_cells(staff_client, team_a, staff):
    data = 'Address,City,State,Notes\n,Austin,TX,=HYPERLINK("http://x")\n1 A St,Waco,TX,\n'
    batch = make_batch(team_a, staff, data)
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_advanced")
    services.import_store(batch=batch)

    response = staff_client.get(reverse("imports:rejects_csv", args=[batch.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert body.splitlines()[1].endswith(',"\'=HYPERLINK(""http://x"")"')


def test_rejects_csv_of_an_unstored_batch_is_404(staff_client, batch):
    response = staff_client.get(reverse("imports:rejects_csv", args=[batch.pk]))
    assert response.status_code == 404


def test_preview_marks_city_and_state_filled_from_the_zip(staff_client, team_a, staff):
    batch = make_batch(team_a, staff, "Address,City,State,Zip\n671 Quarrystone Way,,,01002\n")
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_advanced")
    services.import_store(batch=batch)

    response = staff_client.get(reverse("imports:preview", args=[batch.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="unique-records">1<' in page
    assert "1 usable row had no city or state; its ZIP code named them" in page
    assert page.count('data-testid="inferred">from ZIP<') == 2


def test_mapping_page_says_a_csv_named_xlsx_was_read_as_csv(staff_client, team_a, staff):
    named_xlsx = services.import_upload(
        team=team_a,
        user=staff,
        uploaded_file=csv_upload("Address,City,State\n1 Main St,Austin,TX\n", "leads.xlsx"),
        job_type="trace_advanced",
    )
    honest = make_batch(team_a, staff)

    page = staff_client.get(reverse("imports:mapping", args=[named_xlsx.pk])).content.decode()
    plain = staff_client.get(reverse("imports:mapping", args=[honest.pk])).content.decode()

    assert named_xlsx.kind == "csv"
    assert "This file is CSV text, although named .xlsx; it was read as CSV." in page
    assert 'data-testid="file-type-note"' not in plain


def test_mapping_page_suggests_advanced_when_a_normal_trace_file_has_no_mailing_columns(
    staff_client, team_a, staff
):
    batch = make_batch(
        team_a,
        staff,
        "Address,City,State,First Name,Last Name\n1 Main St,Austin,TX,Jane,Doe\n",
        job_type="trace_normal",
    )

    page = staff_client.get(
        reverse("imports:mapping", args=[batch.pk]) + "?job_type=trace_normal"
    ).content.decode()
    check = staff_client.post(
        reverse("imports:mapping_check", args=[batch.pk]),
        mapping_post(batch, batch.mapping, job_type="trace_normal"),
    ).content.decode()

    expected = (
        "This file has no column for Mailing address, Mailing city, Mailing state, which "
        "Skip trace — normal needs. Skip trace — advanced fits it: Needs only property "
        "address, city and state"
    )
    assert expected in page
    assert expected in check


PHONE_LIST = (
    "Name,phone_mobile,phone_home,phone_work,Phone DNC\n"
    "Ann,(512) 555-0100,512-555-0101,,Y\n"
    "Bob,,512.555.0102,512 555 0103,N\n"
    "Cy,,,,\n"
)


def test_a_phone_list_for_a_dnc_scrub_is_mapped_with_nothing_missing_and_previewed(
    staff_client, team_a, staff
):
    batch = make_batch(team_a, staff, PHONE_LIST, job_type="dnc")

    page = staff_client.get(reverse("imports:mapping", args=[batch.pk])).content.decode()

    for index, field in enumerate(["phone_1", "phone_2", "phone_3", "extra"], start=1):
        select = page.split(f'name="col_{index}"')[1].split("</select>")[0]
        assert f'<option value="{field}" selected>' in select
    assert page.count('data-testid="requirement-missing"') == 0
    assert page.count('data-testid="requirement-met"') == 1
    assert "At least one phone number" in page

    response = staff_client.post(
        reverse("imports:mapping", args=[batch.pk]),
        mapping_post(batch, batch.mapping, job_type="dnc"),
    )
    assert response.status_code == 302
    preview = staff_client.get(response["Location"]).content.decode()
    assert 'data-testid="rows-read">3<' in preview
    assert 'data-testid="rows-unusable">1<' in preview
    assert 'data-testid="unique-records">2<' in preview
