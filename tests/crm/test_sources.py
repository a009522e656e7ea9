"""What each source sends: lead-list rows and DNC scrubs mapped to contacts; the stable id."""

import pytest

from dnc import services as dnc_services
from leadops.crm import services
from leadops.crm.contacts import Address, SourceRecord, crm_id
from leadops.crm.models import Selection
from leadops.crm.sources import source_for
from leadops.jobs.models import JobStatus
from leadops.providers.crm import request_bytes, split_groups
from leadops.providers.errors import InvalidRequest
from tests.dnc.conftest import PHONE_HEADER, e164, phone
from tests.leadbuilder.factories import lead_build

pytestmark = pytest.mark.django_db


def record(**fields) -> SourceRecord:
    base = {
        "record_id": 1,
        "first_name": "John",
        "last_name": "Smith",
        "address": Address("12 Oak Street", "Austin", "TX", "78701"),
    }
    return SourceRecord(**{**base, **fields})


def test_the_crm_id_ignores_spelling_and_changes_with_owner_or_property():
    same = [
        record(),
        record(first_name="JOHN", last_name="  SMITH "),
        record(address=Address("12 OAK ST", "AUSTIN", "tx", "78701-1234")),
    ]
    assert len({crm_id(r) for r in same}) == 1
    assert crm_id(record()).startswith("lo_") and len(crm_id(record())) == 27
    assert crm_id(record(last_name="Smyth")) != crm_id(record())
    assert crm_id(record(address=Address("14 Oak St", "Austin", "TX", "78701"))) != crm_id(record())


def test_groups_are_split_under_the_limit_and_never_cut():
    groups = [
        [
            {"type": "create", "id": f"u{i}", "x": "y" * 300},
            {"type": "event", "id": f"u{i}", "event": "e"},
        ]
        for i in range(40)
    ]
    batches = list(split_groups(groups, max_bytes=3000))
    assert sum(count for _, count, _ in batches) == 40
    for items, count, size in batches:
        assert size == request_bytes(items) <= 3000
        assert len(items) == 2 * count
    with pytest.raises(InvalidRequest, match="more than a request may hold"):
        list(split_groups(groups, max_bytes=200))


def test_a_lead_list_sends_its_owners_phones_and_filtered_rows(team_a, staff):
    build = lead_build(team=team_a, user=staff, rows=30)
    source = source_for(kind="leads", pk=build.pk, team=team_a)
    records = list(source.records(selection=Selection.ALL))
    assert len(records) == 30
    rows = {row.pk: row for row in build.rows.all()}
    first = records[0]
    row = rows[first.record_id]
    assert first.address.street == row.address and first.address.zip_code == row.zip_code
    assert first.name and (first.company or first.last_name == row.data["owner_1_last_name"])
    assert first.mailing.street == row.data["mail_address"]
    if row.primary_phone:
        assert first.phones[0][0] == row.primary_phone

    filtered = list(source.records(selection=Selection.FILTERED, filter_query="owner_type=company"))
    companies = [r for r in rows.values() if r.owner_type == "company"]
    assert {r.record_id for r in filtered} == {r.pk for r in companies}
    assert all(r.company and not r.first_name for r in filtered)
    assert f"leadops-leads-{build.pk}" in source.tags


def test_a_dnc_scrub_of_an_upload_groups_phones_by_row(team_a, staff, phone_batch):
    batch = phone_batch(
        [
            ["Ann Lee", phone(1), phone(2), "", ""],
            ["Bob Roe", phone(3), "", "", ""],
            ["", phone(4), "", "", ""],
        ],
        header=PHONE_HEADER,
    )
    scrub = dnc_services.dnc_draft_from_import(batch=batch, user=staff)
    source = source_for(kind="dnc", pk=scrub.pk, team=team_a)
    assert "has not finished" in source.refusal()
    scrub.status = JobStatus.COMPLETE
    scrub.save()
    source = source_for(kind="dnc", pk=scrub.pk, team=team_a)
    assert source.refusal() == ""

    records = list(source.records(selection=Selection.ALL))
    assert [(r.name, [p for p, _ in r.phones]) for r in records] == [
        ("Ann Lee", [e164(1), e164(2)]),
        ("Bob Roe", [e164(3)]),
        ("", [e164(4)]),
    ]
    plan = services.crm_push_plan(source=source, clean_only=False)
    # No property address in a phone list: refused as such; the nameless row for its name.
    assert plan.contacts == 0
    assert dict(plan.refused) == {"no_address": 2, "no_name": 1}


def test_a_pasted_list_makes_one_record_per_phone(team_a, staff):
    scrub = dnc_services.dnc_draft_from_list(
        team=team_a, user=staff, text=f"{phone(7)}\n{phone(8)}"
    )
    scrub.status = JobStatus.COMPLETE
    scrub.save()
    source = source_for(kind="dnc", pk=scrub.pk, team=team_a)
    records = list(source.records(selection=Selection.ALL))
    assert [[p for p, _ in r.phones] for r in records] == [[e164(7)], [e164(8)]]
    only = list(source.records(selection=Selection.ALL, record_ids=[records[1].record_id]))
    assert [r.record_id for r in only] == [records[1].record_id]


def test_another_teams_source_is_not_found(team_b, staff, team_a):
    build = lead_build(team=team_a, user=staff, rows=1)
    with pytest.raises(LookupError):
        source_for(kind="leads", pk=build.pk, team=team_b)
    with pytest.raises(LookupError):
        source_for(kind="nope", pk=build.pk, team=team_a)


def test_the_plan_counts_every_record_and_keeps_a_sample(team_a, staff, settings):
    build = lead_build(team=team_a, user=staff, rows=40)
    source = source_for(kind="leads", pk=build.pk, team=team_a)
    plan = services.crm_push_plan(source=source, clean_only=False, sample=5)
    assert plan.records == 40 == plan.contacts + plan.refused_total
    assert len(plan.sample) == min(5, plan.contacts)
    assert plan.creates == plan.contacts and plan.updates == 0


def test_a_dnc_scrub_of_a_trace_sends_the_traced_owners_with_their_scrubbed_phones(team_a, staff):
    from dnc.models import PhoneTypes
    from tests.support.crm import finished_trace
    from tests.support.crm import phone as traced

    trace = finished_trace(team_a, staff, 3, email_every=1)
    scrub = dnc_services.dnc_draft_from_trace(
        trace=trace, user=staff, phone_types=PhoneTypes.MOBILE
    )
    scrub.status = JobStatus.COMPLETE
    scrub.save()
    source = source_for(kind="dnc", pk=scrub.pk, team=team_a)
    records = list(source.records(selection=Selection.ALL))
    assert [(r.name, r.address.street, r.emails) for r in records] == [
        (f"Pat Owner{i}", f"{100 + i} OAK AVE", (f"owner{i}@example.com",)) for i in range(3)
    ]
    # Only the mobiles were scrubbed: only they go with the contact.
    assert [[number for number, _ in r.phones] for r in records] == [
        [f"+1{traced(2 * i)}"] for i in range(3)
    ]
    plan = services.crm_push_plan(source=source, clean_only=False)
    assert (plan.contacts, plan.refused_total) == (3, 0)


def test_a_parcel_trace_takes_the_property_the_provider_found(team_a, staff):
    from tests.support.crm import finished_trace

    trace = finished_trace(team_a, staff, 2, email_every=1)
    trace.trace_type = "parcel"
    trace.save()
    for result in trace.results.all():
        result.record.values = {}  # an APN upload has no street address
        result.record.save()
    first = trace.results.order_by("id").first()
    first.raw = {
        "property_address": "7 ELM ST",
        "property_city": "Austin",
        "property_state": "TX",
        "property_zip": "78701",
    }
    first.save()
    source = source_for(kind="trace", pk=trace.pk, team=team_a)
    records = list(source.records(selection=Selection.ALL))
    assert records[0].address == Address("7 ELM ST", "Austin", "TX", "78701")
    assert not records[1].address and records[1].mailing  # keyed on the mailing address
    assert records[0].name == "Pat Owner0"
