"""Concurrent holds on one wallet never overdraw it (PostgreSQL row locks, real threads)."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from leadops.credits import services as credits
from leadops.credits.errors import InsufficientCredits
from leadops.credits.models import CreditEntry, Wallet
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_twenty_threads_holding_and_capturing_never_overdraw():
    team = TeamFactory(name="Concurrency")
    user = UserFactory(username="busy")
    MembershipFactory(user=user, team=team)
    wallet = credits.wallet_for(user=user, team=team)
    credits.grant(wallet=wallet, amount=1000, actor=None, reason="start", idempotency_key="c-g")

    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            start.wait()
            # Each wants 75: at most 13 of the 20 can be served from 1000.
            hold = credits.hold(
                wallet=wallet, amount=75, reference=f"c-job:{n}", actor=None, reason="t"
            )
            credits.capture(hold=hold, amount=50, actor=None, reason="charged")
            credits.release(hold=hold, actor=None, reason="rest")
            # A replay of the same hold from the same thread changes nothing.
            credits.hold(wallet=wallet, amount=75, reference=f"c-job:{n}", actor=None, reason="t")
            result = "ok"
        except InsufficientCredits:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(outcomes) == THREADS
    wallet.refresh_from_db()
    served = outcomes.count("ok")
    assert served >= 13  # holds are released after capture, so later threads can be served
    captures = CreditEntry.objects.filter(wallet=wallet, kind="capture").aggregate(
        s=Sum("held_delta")
    )
    assert wallet.available == 1000 + captures["s"]  # grants minus captures
    assert wallet.available == 1000 - 50 * served
    assert wallet.held == 0
    sums = CreditEntry.objects.filter(wallet=wallet).aggregate(a=Sum("amount"), h=Sum("held_delta"))
    assert sums["a"] == wallet.available
    assert sums["h"] == 0
    assert Wallet.objects.get(pk=wallet.pk).available >= 0
