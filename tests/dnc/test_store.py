"""Storing results: phones the provider left out, a disagreeing clean list, the status store's
"newest wins" upsert. Edge cases the sandbox never produces, on the real database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dnc import services
from dnc.models import DncPhone, PhoneOutcome, PhoneStatus
from tests.dnc.conftest import e164, phone

pytestmark = pytest.mark.django_db


def _row(n: int, **flags) -> dict:
    base = {
        "national_dnc": "false",
        "state_dnc": "false",
        "dma": "false",
        "litigator": "false",
        "is_clean": "true",
        "phone_type": "Mobile",
        "label": "",
    }
    return {**base, "phone": e164(n)[2:], **{k: str(v).lower() for k, v in flags.items()}}


def _sent_scrub(user, numbers):
    draft = services.dnc_draft_from_list(
        team=user.wallet.team, user=user, text="\n".join(phone(n) for n in numbers)
    )
    return services.dnc_scrub_submit(job=draft, user=user, seen_credits=len(numbers))


def test_phones_left_out_get_no_result_and_a_rerun_replaces(funded):
    job = _sent_scrub(funded, [1, 2, 3])
    stored = services.dnc_results_store(
        job=job, rows=[_row(1), _row(2, national_dnc=True, is_clean=False), _row(77)]
    )
    assert (stored.rows, stored.clean, stored.no_result, stored.unknown) == (2, 1, 1, 1)
    outcomes = dict(DncPhone.objects.filter(job=job).values_list("phone", "outcome"))
    assert outcomes == {
        e164(1): PhoneOutcome.CLEAN,
        e164(2): PhoneOutcome.FEDERAL,
        e164(3): PhoneOutcome.NO_RESULT,
    }
    assert set(PhoneStatus.objects.values_list("phone", flat=True)) == {e164(1), e164(2)}
    # Run again with every phone: replaced, never duplicated.
    services.dnc_results_store(job=job, rows=[_row(1), _row(2), _row(3, litigator=True)])
    assert DncPhone.objects.filter(job=job).count() == 3
    assert DncPhone.objects.get(job=job, phone=e164(3)).outcome == PhoneOutcome.LITIGATOR
    assert PhoneStatus.objects.count() == 3


def test_a_phone_missing_from_the_clean_list_is_not_clean(funded):
    job = _sent_scrub(funded, [5, 6])
    services.dnc_results_store(job=job, rows=[_row(5), _row(6)], clean_phones={e164(5)})
    assert DncPhone.objects.get(job=job, phone=e164(6)).outcome != PhoneOutcome.CLEAN
    assert not PhoneStatus.objects.get(phone=e164(6)).is_clean


def test_an_older_result_never_replaces_a_newer_one(funded):
    team = funded.wallet.team
    now = timezone.now()
    flags = {
        "national_dnc": False,
        "state_dnc": False,
        "dma": False,
        "litigator": False,
        "is_clean": True,
    }
    services.phone_status_store(team_id=team.pk, rows=[(e164(9), flags, "Mobile", now, "a")])
    flagged = {**flags, "national_dnc": True, "is_clean": False}
    older = now - timedelta(days=1)
    services.phone_status_store(team_id=team.pk, rows=[(e164(9), flagged, "", older, "b")])
    status = PhoneStatus.objects.get(team=team, phone=e164(9))
    assert (status.is_clean, status.source) == (True, "a")
    newer = now + timedelta(minutes=1)
    services.phone_status_store(team_id=team.pk, rows=[(e164(9), flagged, "", newer, "c")])
    status.refresh_from_db()
    assert (status.national_dnc, status.source, status.checked_at) == (True, "c", newer)
