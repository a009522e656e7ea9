"""CRM pushes end to end: services → RQ worker → the sandbox's CRM, read back from its
received-data endpoint (`GET /_sandbox/crm/received`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dnc.models import PhoneStatus
from leadops.crm import services
from leadops.crm.models import BatchState, CrmContact, CrmPush, CrmRefusal, Selection
from leadops.crm.sources import source_for
from leadops.crm.steps import CrmSteps
from leadops.jobs.models import JobStatus
from leadops.jobs.tokens import submit_token_issue
from tests.support.crm import phone
from tests.support.jobs import run_until_done

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 100 * 1024


def push_trace(job, user, **kwargs):
    source = source_for(kind="trace", pk=job.pk, team=job.team)
    kwargs.setdefault("clean_only", False)
    return services.crm_push_create(source=source, user=user, **kwargs)


def received(sandbox) -> list[dict]:
    return sandbox.control.crm_received()["batches"]


def people(batches, kind=None) -> list[dict]:
    return [
        item
        for batch in batches
        for item in batch["data"]
        if item["type"] != "event" and (kind is None or item["type"] == kind)
    ]


def test_a_trace_push_arrives_in_bodies_under_100_kb(crm_sandbox, hits_trace, staff, run_worker):
    trace = hits_trace(300)
    push = run_until_done(push_trace(trace, staff), run_worker)

    assert push.status == JobStatus.COMPLETE, push.error_message
    batches = received(crm_sandbox)
    assert len(batches) == push.batches_total > 1
    assert all(batch["bytes"] < LIMIT for batch in batches)
    assert all(not batch["problems"] for batch in batches)
    stored = list(push.batches.order_by("number"))
    assert [b["bytes"] for b in batches] == [b.size_bytes for b in stored]
    creates = people(batches, "create")
    assert len(creates) == len({c["id"] for c in creates}) == 300 == push.contacts
    events = [item for batch in batches for item in batch["data"] if item["type"] == "event"]
    assert {e["id"] for e in events} == {c["id"] for c in creates}
    assert {e["event"] for e in events} == {f"LeadOps: Trace #{trace.pk} (owners-1.csv)"}
    # A user's create and its event travel in the same body.
    for batch in batches:
        ids = [item["id"] for item in batch["data"]]
        assert all(ids.count(i) == 2 for i in ids)
    first = next(c for c in creates if c["last_name"] == "Owner0")
    assert first["first_name"] == "Pat"
    assert first["email"] == "owner0@example.com"
    assert first["phone"] == "+1" + phone(0)
    assert first["meta"]["property_address"] == "100 OAK AVE"
    assert first["meta"]["mailing_city"] == "Springfield"
    assert [p["number"] for p in first["meta"]["phones"]] == [
        "+1" + phone(0),
        "+1" + phone(1),
    ]
    assert first["meta"]["phones"][0]["dnc"] == "not_scrubbed"
    assert f"leadops-trace-{trace.pk}" in first["meta"]["tags"]
    assert push.rows_done == 300 and push.progress_percent == 100
    assert CrmContact.objects.filter(team=trace.team).count() == 300


def test_pushing_the_same_records_again_updates_the_same_ids(
    crm_sandbox, hits_trace, staff, run_worker
):
    trace = hits_trace(8)
    first = run_until_done(push_trace(trace, staff), run_worker)
    created = {item["id"] for item in people(received(crm_sandbox), "create")}
    crm_sandbox.control.reset()

    second = run_until_done(push_trace(trace, staff), run_worker)

    assert (first.creates, first.updates) == (8, 0)
    assert (second.creates, second.updates) == (0, 8)
    again = people(received(crm_sandbox))
    assert {item["type"] for item in again} == {"update"}
    assert {item["id"] for item in again} == created
    contacts = CrmContact.objects.filter(team=trace.team)
    assert contacts.count() == 8
    assert set(contacts.values_list("pushes", flat=True)) == {2}
    assert set(contacts.values_list("last_push", flat=True)) == {second.pk}


def _status(team, number: str, *, days_ago: int = 1, **flags) -> None:
    PhoneStatus.objects.create(
        team=team,
        phone="+1" + number,
        checked_at=timezone.now() - timedelta(days=days_ago),
        source="test",
        **flags,
    )


@pytest.fixture
def scrubbed_trace(hits_trace):
    """Four owners: 0 has a clean mobile and a federal-DNC landline; 1 has both phones
    flagged; 2 was checked clean 90 days ago (stale); 3 was never scrubbed."""
    trace = hits_trace(4)
    team = trace.team
    _status(team, phone(0), is_clean=True)
    _status(team, phone(1), national_dnc=True)
    _status(team, phone(2), state_dnc=True)
    _status(team, phone(3), litigator=True)
    _status(team, phone(4), is_clean=True, days_ago=90)
    return trace


def test_clean_only_sends_clean_fresh_phones_and_lists_the_rest_as_refused(
    crm_sandbox, scrubbed_trace, staff, run_worker
):
    push = run_until_done(push_trace(scrubbed_trace, staff, clean_only=True), run_worker)

    assert push.status == JobStatus.COMPLETE
    sent = people(received(crm_sandbox))
    assert [item["last_name"] for item in sent] == ["Owner0"]
    assert [p["number"] for p in sent[0]["meta"]["phones"]] == ["+1" + phone(0)]
    assert sent[0]["meta"]["phones"][0]["dnc"] == "clean"
    refused = {r.name: r for r in CrmRefusal.objects.filter(push=push)}
    assert set(refused) == {"Pat Owner1", "Pat Owner2", "Pat Owner3"}
    assert {r.reason for r in refused.values()} == {"dnc_blocked"}
    assert "State DNC" in refused["Pat Owner1"].detail
    assert "Stale" in refused["Pat Owner2"].detail
    assert "Not scrubbed" in refused["Pat Owner3"].detail
    assert (push.contacts, push.refused, push.records_selected) == (1, 3, 4)


def test_blocked_phones_are_left_out_unless_the_team_sends_them(
    crm_sandbox, scrubbed_trace, staff, owner, run_worker
):
    run_until_done(push_trace(scrubbed_trace, staff), run_worker)
    phones = {item["last_name"]: item["meta"]["phones"] for item in people(received(crm_sandbox))}
    # Owner1's two phones are blocked, but the email still reaches the CRM.
    assert phones["Owner1"] == []
    assert [p["dnc"] for p in phones["Owner0"]] == ["clean"]
    assert [p["dnc"] for p in phones["Owner2"]] == ["stale", "not_scrubbed"]

    crm_sandbox.control.reset()
    with pytest.raises(services.NotAllowed):
        services.crm_settings_update(
            team=scrubbed_trace.team, user=staff, default_tags=[], send_blocked_phones=True
        )
    services.crm_settings_update(
        team=scrubbed_trace.team,
        user=owner,
        default_tags=[" spring ", "spring"],
        send_blocked_phones=True,
    )
    run_until_done(push_trace(scrubbed_trace, staff), run_worker)
    sent = {item["last_name"]: item["meta"] for item in people(received(crm_sandbox))}
    assert [p["dnc"] for p in sent["Owner0"]["phones"]] == ["clean", "federal"]
    assert [p["dnc"] for p in sent["Owner1"]["phones"]] == ["state", "litigator"]
    assert sent["Owner0"]["tags"][0] == "spring"


def test_records_the_crm_could_not_use_are_refused_with_reasons(
    crm_sandbox, hits_trace, staff, run_worker
):
    trace = hits_trace(5)
    results = list(trace.results.order_by("id"))
    # No owner in the result nor in the uploaded row.
    results[0].first_name = results[0].last_name = ""
    results[0].save()
    nameless = results[0].record
    nameless.values = {k: v for k, v in nameless.values.items() if not k.startswith("owner_")}
    nameless.save()
    results[1].phones, results[1].emails = [], []
    results[1].save()
    # Record 4 is record 3's owner at record 3's property, spelled differently.
    results[3].first_name, results[3].last_name = "PAT", "OWNER2"
    results[3].save()
    record = results[3].record
    record.values = {**record.values, "property_address": "102 OAK AVENUE"}
    record.save()
    results[2].first_name, results[2].last_name = "Pat", "Owner2"
    results[2].save()

    push = run_until_done(push_trace(trace, staff), run_worker)

    assert push.status == JobStatus.COMPLETE
    reasons = dict(CrmRefusal.objects.filter(push=push).values_list("record_id", "reason"))
    assert reasons == {
        results[0].pk: "no_name",
        results[1].pk: "no_contact",
        results[3].pk: "duplicate",
    }
    sent_ids = {item["id"] for item in people(received(crm_sandbox))}
    assert len(sent_ids) == 2 == push.contacts
    assert push.refused == 3


def test_failed_batches_are_retried_alone(crm_sandbox, hits_trace, staff, run_worker):
    trace = hits_trace(300)
    push = services.crm_push_prepare(push=push_trace(trace, staff))
    sizes = list(push.batches.order_by("number").values_list("size_bytes", flat=True))
    assert len(sizes) >= 3 and sizes[-1] < sizes[0]
    # The CRM refuses (413) every body bigger than the last one.
    crm_sandbox.control.settings(crm_max_bytes=sizes[-1])
    push = run_until_done(push, run_worker)

    states = list(push.batches.order_by("number").values_list("state", flat=True))
    assert states == [BatchState.FAILED] * (len(sizes) - 1) + [BatchState.SENT]
    assert push.status == JobStatus.PARTIAL
    failed = list(push.batches.filter(state=BatchState.FAILED))
    assert all("Request too large" in batch.error for batch in failed)
    assert "may not have reached the CRM" in push.error_message
    assert len(received(crm_sandbox)) == 1
    crm_sandbox.control.reset()

    token = submit_token_issue(user=staff, scope=services.retry_scope(push=push))
    source = source_for(kind="trace", pk=trace.pk, team=trace.team)
    retry = services.crm_push_retry(push=push, source=source, user=staff, token=token)
    with pytest.raises(services.AlreadySubmitted):
        services.crm_push_retry(push=push, source=source, user=staff, token=token)
    retry = run_until_done(retry, run_worker)

    assert retry.status == JobStatus.COMPLETE
    assert retry.selection == Selection.RETRY and retry.retry_of_id == push.pk
    resent = people(received(crm_sandbox))
    assert {item["id"] for item in resent} == {i for batch in failed for i in batch.crm_ids}
    assert {item["type"] for item in resent} == {"create"}
    assert retry.contacts == sum(batch.contacts for batch in failed)
    assert CrmContact.objects.filter(team=trace.team).count() == 300
    assert services.retry_refusal(push=retry) != ""


def test_a_lost_answer_is_never_resent_on_its_own(crm_sandbox, hits_trace, staff, run_worker):
    trace = hits_trace(300)
    crm_sandbox.control.faults(
        processed_error_rate=1.0,
        processed_error_status=500,
        paths=["/crm/v1/batch"],
        fault_budget=1,
    )
    push = run_until_done(push_trace(trace, staff), run_worker)

    assert push.status == JobStatus.PARTIAL
    first = push.batches.get(number=1)
    assert first.state == BatchState.UNKNOWN and first.attempts == 1
    assert "may have" in first.error
    # The CRM kept it: every batch arrived exactly once.
    assert len(received(crm_sandbox)) == push.batches_total
    assert "the answer to 1 batch was lost (the CRM may have it)" in push.error_message


def test_unavailable_and_rate_limited_batches_wait_and_are_sent_later(
    crm_sandbox, hits_trace, staff, run_worker
):
    trace = hits_trace(300)
    crm_sandbox.control.fault_rules(
        {
            "paths": ["/crm/v1/batch"],
            "error_rate": 0.5,
            "error_status": 503,
            "rate_limit_rate": 0.3,
            "retry_after_seconds": 1,
        },
    )
    crm_sandbox.control.faults(fault_budget=4)
    push = run_until_done(push_trace(trace, staff), run_worker, resubmit=True, timeout=60)

    assert push.status == JobStatus.COMPLETE, push.error_message
    assert set(push.batches.values_list("state", flat=True)) == {BatchState.SENT}
    assert len(received(crm_sandbox)) == push.batches_total
    assert (
        crm_sandbox.control.fault_count("error") + crm_sandbox.control.fault_count("rate_limit")
        == 4
    )


def test_refused_credentials_fail_the_push_and_keep_the_batches(
    crm_sandbox, hits_trace, staff, run_worker, settings
):
    settings.CRM_API_SECRET = "wrong"
    push = run_until_done(push_trace(hits_trace(3), staff), run_worker)

    assert push.status == JobStatus.FAILED
    assert "Unauthorized" in push.error_message or "credentials" in push.error_message.lower()
    assert set(push.batches.values_list("state", flat=True)) == {BatchState.FAILED}
    assert received(crm_sandbox) == []


def test_a_worker_that_died_mid_batch_leaves_it_unknown_and_sends_the_rest(
    crm_sandbox, hits_trace, staff, run_worker
):
    from leadops.jobs import services as job_services

    push = services.crm_push_prepare(push=push_trace(hits_trace(300), staff))
    job_services.job_transition(job=push, to=JobStatus.SUBMITTING, detail="worker took it")
    push.batches.filter(number=1).update(state=BatchState.SENDING, attempts=1)

    push = run_until_done(push, run_worker, reconcile=True)

    assert push.status == JobStatus.PARTIAL
    assert push.batches.get(number=1).state == BatchState.UNKNOWN
    assert len(received(crm_sandbox)) == push.batches_total - 1


def test_one_form_makes_one_push(crm_sandbox, hits_trace, staff):
    trace = hits_trace(2)
    source = source_for(kind="trace", pk=trace.pk, team=trace.team)
    token = submit_token_issue(user=staff, scope=services.submit_scope(source=source))
    push = services.crm_push_create(source=source, user=staff, clean_only=False, token=token)
    with pytest.raises(services.AlreadySubmitted) as again:
        services.crm_push_create(source=source, user=staff, clean_only=False, token=token)
    assert again.value.job == push
    assert CrmPush.objects.count() == 1


def test_nothing_to_send_fails_the_push_with_its_refusals_listed(
    crm_sandbox, hits_trace, staff, run_worker
):
    trace = hits_trace(2)
    trace.results.update(phones=[], emails=[])
    push = run_until_done(push_trace(trace, staff), run_worker)
    assert push.status == JobStatus.FAILED
    assert "none of the 2 selected records" in push.error_message
    assert set(push.refusals.values_list("reason", flat=True)) == {"no_contact"}
    assert push.batches.count() == 0
    assert received(crm_sandbox) == []


def test_a_push_returns_at_once_and_the_worker_prepares_it(crm_sandbox, hits_trace, staff):
    push = push_trace(hits_trace(3), staff)
    assert push.status == JobStatus.QUEUED and push.prepared_at is None
    assert push.batches.count() == 0
    assert CrmSteps().find_submission(push) is None  # not prepared: submit again


def test_an_unfinished_source_is_refused(crm_sandbox, hits_trace, staff):
    trace = hits_trace(2)
    trace.status = JobStatus.SUBMITTED
    trace.save()
    with pytest.raises(services.PushRefused, match="has not finished"):
        push_trace(trace, staff)


def test_the_connection_test_creates_nothing(crm_sandbox, team_a, settings):
    result = services.crm_connection_test(team=team_a)
    assert result.ok, result.message
    assert crm_sandbox.control.crm_received()["items"] == []

    settings.CRM_API_SECRET = "wrong"
    result = services.crm_connection_test(team=team_a)
    assert not result.ok
    assert "Unauthorized" in result.message
    stored = services.crm_settings_for(team=team_a)
    assert stored.last_test_ok is False and stored.last_test_message == result.message


def test_only_the_pusher_or_a_manager_may_retry(crm_sandbox, hits_trace, staff, team_a):
    from tests.factories import MembershipFactory, UserFactory

    trace = hits_trace(2)
    push = services.crm_push_prepare(push=push_trace(trace, staff))
    push.batches.update(state=BatchState.FAILED)
    push.status = JobStatus.PARTIAL
    push.save()
    other = UserFactory(username="other-staff")
    MembershipFactory(user=other, team=team_a)
    source = source_for(kind="trace", pk=trace.pk, team=team_a)
    with pytest.raises(services.NotAllowed, match="can retry this job"):
        services.crm_push_retry(push=push, source=source, user=other)
    assert CrmPush.objects.count() == 1


def test_a_crm_turned_off_is_said_and_sends_nothing(
    crm_sandbox, hits_trace, staff, settings, run_worker
):
    trace = hits_trace(2)
    push = push_trace(trace, staff)
    settings.CRM_ENABLED = False
    with pytest.raises(services.PushRefused, match="CRM is turned off"):
        push_trace(trace, staff)
    # A push made before it was turned off fails with the same sentence, nothing sent.
    push = run_until_done(push, run_worker)
    assert push.status == JobStatus.FAILED and "CRM is turned off" in push.error_message
    assert received(crm_sandbox) == []
    assert not services.crm_connection_test(team=trace.team).ok


def test_a_finished_push_is_searchable_and_listed_on_the_record_page(
    crm_sandbox, hits_trace, staff, team_a, run_worker, client
):
    from django.urls import reverse

    from leadops.search import selectors

    trace = hits_trace(3)
    push = run_until_done(push_trace(trace, staff), run_worker)
    assert push.status == JobStatus.COMPLETE, push.error_message
    run_worker()  # the indexing queued when the push completed
    (found,) = selectors.search(team=team_a, text="Pat Owner1").records
    assert [seen.title for seen in found.seen] == ["CRM pushes"]  # the trace was never indexed
    assert found.seen[0].note == "Created"
    client.force_login(staff)
    page = client.get(reverse("search:record", args=[found.record_key])).content.decode()
    assert push.get_absolute_url() in page
