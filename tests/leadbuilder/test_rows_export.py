"""The rows' export (CSV/XLSX, as filtered, injection-safe) and Send to DNC."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dnc.models import DncPhone, DncScrub
from leadbuilder import selectors
from leadops.sandbox import properties
from tests.leadbuilder.conftest import dnc_store, known_row, scores

pytestmark = pytest.mark.django_db


def export(client, build, fmt="csv", **query):
    url = reverse("leadbuilder:export", args=[build.pk])
    params = {"format": fmt, "filtered": "1", **query}
    response = client.get(url, params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_columns_follow_tracerfys_order():
    assert selectors.ROW_COLUMNS == properties.ROW_COLUMNS


def test_csv_export_has_every_column_the_filters_and_a_safe_cell(staff_client, make_build, team_a):
    build = make_build(
        [
            known_row(0, owner_1_last_name="=cmd|' /C calc'!A0", primary_phone="5125550101",
                      **scores(sell=80)),
            known_row(1, **scores(sell=10)),
            known_row(2, primary_phone="", extra_later="x", **scores(sell=90)),
        ]
    )  # fmt: skip
    dnc_store(team_a, "+15125550101")
    rows = csv_rows(export(staff_client, build, sell_min=50))
    headers = rows[0]
    assert headers[: len(properties.ROW_COLUMNS)] == list(properties.ROW_COLUMNS)
    assert headers[-2:] == ["extra_later", "leadops_dnc_status"]
    assert len(rows) == 3  # rows 1 and 3 (sell >= 50)
    first = dict(zip(headers, rows[1], strict=True))
    assert first["owner_1_last_name"] == "'=cmd|' /C calc'!A0"
    assert first["leadops_dnc_status"].startswith("Clean (")
    assert first["sell_propensity_score"] == "80"
    factors = first["roof_renovate_propensity_factors"]
    assert factors and ": " in factors and ("+" in factors or "-" in factors)
    third = dict(zip(headers, rows[2], strict=True))
    assert third["leadops_dnc_status"] == "No phone" and third["extra_later"] == "x"


def test_xlsx_export_matches(staff_client, make_build):
    build = make_build([known_row(0, lender_name="@SUM(A1)"), known_row(1)])
    sheet = load_workbook(io.BytesIO(export(staff_client, build, "xlsx"))).active
    values = list(sheet.values)
    headers = list(values[0])
    assert headers[0] == "address" and headers[-1] == "leadops_dnc_status"
    assert len(values) == 3
    assert dict(zip(headers, values[1], strict=True))["lender_name"] == "'@SUM(A1)"
    assert dict(zip(headers, values[1], strict=True))["leadops_dnc_status"] == "Not scrubbed"


def test_export_of_many_rows_is_chunked(staff_client, make_build, monkeypatch):
    monkeypatch.setattr(selectors, "CHUNK", 7)
    build = make_build(30)
    rows = csv_rows(export(staff_client, build))
    assert len(rows) == 31
    assert [r[0] for r in rows[1:]] == list(build.rows.order_by("position").values_list(
        "address", flat=True))  # fmt: skip


def test_unknown_export_format_is_404(staff_client, make_build):
    build = make_build(1)
    url = reverse("leadbuilder:export", args=[build.pk])
    assert staff_client.get(url, {"format": "pdf"}).status_code == 404


def test_send_to_dnc_makes_a_draft_of_the_filtered_phones(staff_client, make_build, staff):
    build = make_build(
        [
            known_row(0, primary_phone="5125550101", **scores(sell=80)),
            known_row(1, primary_phone="5125550102", **scores(sell=10)),
            known_row(2, primary_phone="5125550101", **scores(sell=85)),  # the same phone
            known_row(3, primary_phone="", **scores(sell=90)),
            known_row(4, primary_phone="5125550104", **scores(sell=75)),
        ]
    )
    url = reverse("leadbuilder:to_dnc", args=[build.pk]) + "?filtered=1&sell_min=50"
    response = staff_client.post(url)
    draft = DncScrub.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "dnc:detail", args=[draft.pk]
    )
    assert draft.status == "draft" and draft.created_by == staff
    assert f"Lead list #{build.pk}" in draft.name
    assert set(DncPhone.objects.filter(job=draft).values_list("phone", flat=True)) == {
        "+15125550101",
        "+15125550104",
    }
    # The cost preview opens.
    assert staff_client.get(response["Location"]).status_code == 200


def test_send_to_dnc_of_every_row_without_filters(staff_client, make_build):
    build = make_build([known_row(0, primary_phone="5125550101"), known_row(1, primary_phone="")])
    staff_client.post(reverse("leadbuilder:to_dnc", args=[build.pk]))
    assert list(DncPhone.objects.values_list("phone", flat=True)) == ["+15125550101"]


def test_send_to_dnc_without_phones_says_so(staff_client, make_build):
    build = make_build([known_row(0, primary_phone="", **scores(sell=80))])
    url = reverse("leadbuilder:to_dnc", args=[build.pk]) + "?filtered=1&sell_min=50"
    response = staff_client.post(url, follow=True)
    assert not DncScrub.objects.exists()
    assert "No row shown has a phone: nothing to scrub." in response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("leadbuilder:rows", args=[build.pk]))


def test_send_to_dnc_of_an_unfinished_build_is_refused(staff_client, make_build):
    build = make_build([known_row(0, primary_phone="5125550101")], status="submitted")
    response = staff_client.post(reverse("leadbuilder:to_dnc", args=[build.pk]), follow=True)
    assert not DncScrub.objects.exists()
    assert "has no rows yet" in response.content.decode()
