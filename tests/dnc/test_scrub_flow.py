"""DNC scrubs from each source to stored results, against the sandbox with real webhooks."""

import pytest

from dnc import services
from dnc.models import DncPhone, PhoneOrigin, PhoneOutcome, PhoneStatus
from leadops.jobs.models import JobStatus as S
from tests.dnc.conftest import e164, phone
from tests.support.jobs import assert_credits_balance, run_until_done

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_with_three_phone_columns_scrubs_each_phone_once(
    live_sandbox, phone_batch, funded, run_worker
):
    batch = phone_batch(
        [
            ["Pat Doe", phone(1), phone(2), "", "a"],
            ["Sam Roe", phone(3), phone(1), "12", "b"],  # phone 1 again, one invalid
            ["Lee Poe", "", "", "", "c"],  # blank
            ["Kim Moe", phone(4), phone(5), phone(6), "d"],
        ]
    )
    draft = services.dnc_draft_from_import(batch=batch, user=funded)
    assert (draft.phones_unique, draft.phones_duplicate, draft.phones_invalid) == (6, 1, 1)
    estimate = services.dnc_estimate(job=draft, user=funded)
    assert (estimate.to_send, estimate.total_credits, estimate.reused) == (6, 6, 0)

    job = services.dnc_scrub_submit(job=draft, user=funded, seen_credits=6)
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE, done.error_message
    sent = DncPhone.objects.filter(job=done, origin=PhoneOrigin.SENT)
    assert sorted(sent.values_list("phone", flat=True)) == sorted(e164(n) for n in range(1, 7))
    assert not sent.filter(outcome__in=[PhoneOutcome.PENDING, PhoneOutcome.NO_RESULT]).exists()
    assert done.charged_credits == 6
    assert PhoneStatus.objects.filter(team=batch.team).count() == 6
    # The provider saw one CSV with the three phone columns and the owner name as label.
    paid = live_sandbox.control.paid_requests()
    assert [(p["path"], p["count"]) for p in paid] == [("/tracerfy/v1/api/dnc/scrub/", 6)]
    funded.wallet.refresh_from_db()
    assert funded.wallet.available == 500 - 6
    assert_credits_balance(funded.wallet)
