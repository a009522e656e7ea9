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


def test_the_sql_condition_sorts_phones_as_the_statuses_do(staff, team_a, team_b, outsider):
    """leadops.phones.dnc_condition (what a list filtered by DNC status runs in SQL) keeps
    exactly the phones that dnc_kind(dnc_statuses(...)) puts in each kind."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from dnc.models import DncLookup, InternalDnc
    from dnc.services import phone_status_store
    from leadops.phones import DNC_KINDS, dnc_condition, dnc_kind, dnc_statuses

    now = timezone.now()
    old = now - timedelta(days=settings.DNC_FRESH_DAYS + 3)
    clean = {"national_dnc": False, "state_dnc": False, "dma": False, "litigator": False}
    cases = {
        "+15125550101": ({**clean, "is_clean": True}, now),
        "+15125550102": ({**clean, "national_dnc": True, "is_clean": False}, now),
        "+15125550103": ({**clean, "dma": True, "is_clean": True}, now),
        "+15125550104": ({**clean, "is_clean": False}, now),
        "+15125550105": ({**clean, "is_clean": True}, old),
        "+15125550106": ({**clean, "litigator": True, "is_clean": False}, old),
        "+15125550107": ({**clean, "is_clean": True}, now),  # also internal
    }
    phone_status_store(
        team_id=team_a.pk,
        rows=[(p, flags, "Mobile", when, "test") for p, (flags, when) in cases.items()],
    )
    # Another team's results and list say nothing about ours.
    phone_status_store(
        team_id=team_b.pk, rows=[("+15125550108", {**clean, "is_clean": True}, "", now, "t")]
    )
    InternalDnc.objects.create(team=team_a, phone="+15125550107", reason="r", added_by=staff)
    InternalDnc.objects.create(team=team_a, phone="+15125550109", reason="r", added_by=staff)
    InternalDnc.objects.create(team=team_b, phone="+15125550110", reason="r", added_by=outsider)
    phones = [*cases, "+15125550108", "+15125550109", "+15125550110", "+15125550111"]
    for number in phones:
        DncLookup.objects.create(team=team_a, created_by=staff, phone=number)
    statuses = dnc_statuses(team=team_a, numbers=phones)
    lookups = DncLookup.objects.filter(team=team_a)
    seen = set()
    for kind in DNC_KINDS:
        kept = set(
            lookups.filter(dnc_condition(team=team_a, kind=kind, field="phone")).values_list(
                "phone", flat=True
            )
        )
        assert kept == {p for p in phones if dnc_kind(statuses[p]) == kind}, kind
        assert kept, kind  # every kind is exercised
        seen |= kept
    assert seen == set(phones)
