"""APN results attach by parcel number + county + state, exactly, or are kept aside."""

import pytest

from tests.support.rows import parcel_rows
from traces.models import MatchStatus, TraceJob
from traces.parcel_steps import result_fields
from traces.services import parcel_match_key, trace_results_store

pytestmark = pytest.mark.django_db


def csv_row(parcel_id, *, county="Palm Beach", state="FL", hit="true", **extra):
    row = {"parcel_id": parcel_id, "county": county, "state": state, "hit": hit}
    if hit == "true":
        row.update(
            first_name="Ann",
            last_name="Lee",
            mail_address="1 Main St",
            mail_city="Jupiter",
            mail_state="FL",
            phone_1="5615550101",
            phone_1_type="Landline",
            phone_1_dnc="true",
            phone_1_carrier="AT&T",
            phone_2="5615550102",
            phone_2_type="Mobile",
            phone_2_dnc="false",
            phone_2_carrier="",
            phone_3="",
            phone_3_type="",
            email_1="ann@example.com",
            email_2="",
            litigator="false",
            property_address="9 Palm Way",
        )
    row.update(extra)
    return row


def test_key_ignores_hash_punctuation_case_and_the_word_county():
    key = parcel_match_key(apn="#00-4241 09.1", county="palm beach county", state=" fl")
    assert key == "apn|004241091|PALM BEACH|FL"
    assert parcel_match_key(apn="00424109-1", county="PALM BEACH", state="FL") == key
    assert parcel_match_key(apn="00424109-1", county="Broward", state="FL") != key
    assert parcel_match_key(apn="##--", county="Palm Beach", state="FL") == ""


def test_result_fields_read_every_documented_column():
    fields = result_fields(csv_row("#1"))
    assert fields["hit"] is True
    assert [p["number"] for p in fields["phones"]] == ["5615550101", "5615550102"]
    assert fields["phones"][0] == {
        "number": "5615550101",
        "type": "Landline",
        "dnc": True,
        "carrier": "AT&T",
    }
    assert fields["has_mobile"] is True and fields["litigator"] is False
    assert fields["emails"] == ["ann@example.com"] and fields["has_email"] is True
    assert fields["raw"]["property_address"] == "9 Palm Way"
    miss = result_fields(csv_row("#2", hit="false"))
    assert (miss["hit"], miss["phones"], miss["primary_phone"]) == (False, [], "")


@pytest.fixture
def job(stored_parcels, staff, team_a):
    rows = parcel_rows(3)
    rows.append(["00-4241-0900001", "Palm Beach", "FL", "same digits as row 2"])
    batch = stored_parcels(rows)
    return TraceJob.objects.create(
        team=team_a, created_by=staff, batch=batch, trace_type="parcel", provider="tracerfy"
    )


def test_parcel_rows_attach_exactly_and_the_rest_is_kept_aside(job):
    stored, hits, unmatched = trace_results_store(
        job=job,
        rows=[
            result_fields(csv_row("0042410900000")),  # Tracerfy's own format: attaches
            result_fields(csv_row("#00-4241-09-00002", county="Broward")),  # other county
            result_fields(csv_row("00424109-00001")),  # two uploaded parcels share it
            result_fields(csv_row("#99-0000", hit="false")),  # never sent
        ],
    )
    first = job.results.get(
        match_key=parcel_match_key(apn="0042410900000", county="Palm Beach", state="FL")
    )
    assert first.record.values["apn"] == "00-4241-09-00000"
    assert first.status == MatchStatus.HIT and first.last_name == "Lee"
    aside = job.results.filter(record__isnull=True)
    assert aside.count() == 3 and set(aside.values_list("status", flat=True)) == {"unmatched"}
    # The twins and the Broward-less parcel get no guessed owner: they are misses.
    misses = job.results.filter(record__isnull=False, status=MatchStatus.MISS)
    assert misses.count() == 3
    assert not misses.exclude(last_name="").exists()
    assert (stored, hits, unmatched) == (7, 1, 3)
