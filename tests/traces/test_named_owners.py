"""Company and trust owners count as named in a normal trace, and the rows a normal trace
still cannot take go, when the user asks on the cost preview, as an advanced trace in the
same submit (issue 13)."""

import csv
import io

import pytest
from django.urls import reverse

from leadops.jobs.models import JobStatus as S
from tests.support.forms import submit_token
from tests.support.jobs import assert_credits_balance, run_until_done
from tests.support.rows import owner_rows
from traces import services
from traces.models import RecordScope, TraceJob, TraceType
from traces.tracerfy_steps import build_csv

pytestmark = pytest.mark.django_db(transaction=True)


def _row(address, first, last, *, mailing="1 Mail Rd"):
    return [
        address,
        "Springfield",
        "IL",
        "62701",
        first,
        last,
        mailing,
        "Springfield",
        "IL",
        "62701",
        "n",
    ]


def mixed_rows():
    """4 people, a trust and an LLC in the last-name column, 2 rows without any owner name
    and 1 without a mailing address: a PropStream-like list."""
    return [
        *owner_rows(4),
        _row("7 Birch Ln", "", "SMITH FAMILY TRUST"),
        _row("8 Birch Ln", "", "Acme Holdings LLC"),
        _row("9 Birch Ln", "", ""),
        _row("10 Birch Ln", "", ""),
        _row("10 Birch Lane", "", ""),  # the same property again: one advanced record
        _row("11 Birch Ln", "Ann", "Lee", mailing=""),
    ]


def test_company_and_trust_owners_are_usable_and_sent_in_the_last_name(stored_batch, staff):
    batch = stored_batch(mixed_rows())

    assert batch.unique_records == 6
    trust = batch.records.get(line=6)
    assert trust.usable and trust.values["owner_company"] == "SMITH FAMILY TRUST"
    job = TraceJob.objects.create(
        team=batch.team, created_by=staff, batch=batch, trace_type=TraceType.NORMAL
    )
    sent = list(csv.DictReader(io.StringIO(build_csv(job).decode())))
    by_address = {row["address"]: row for row in sent}
    assert (by_address["7 BIRCH LN"]["first_name"], by_address["7 BIRCH LN"]["last_name"]) == (
        "",
        "SMITH FAMILY TRUST",
    )
    assert by_address["8 BIRCH LN"]["last_name"] == "ACME HOLDINGS LLC"
    assert by_address["100 OAK AVE"]["first_name"] == "Pat"
    assert len(sent) == 6


def test_rows_a_normal_trace_cannot_take_are_flagged_for_an_advanced_trace(stored_batch):
    batch = stored_batch(mixed_rows())

    flagged = services.scope_records(batch=batch, scope=RecordScope.ALTERNATIVE)
    assert list(flagged.values_list("line", flat=True)) == [8, 9, 11]
    assert batch.records.get(line=10).alternative_ok  # kept, as a duplicate of line 9
    assert batch.records.get(line=10).duplicate_of_line == 9


def test_cost_preview_offers_the_nameless_rows_with_the_combined_cost(
    live_sandbox, stored_batch, funded, client
):
    batch = stored_batch(mixed_rows())
    client.force_login(funded)
    url = reverse("traces:new", args=[batch.pk])

    plain = client.get(url + "?provider=tracerfy&trace_type=normal").content.decode()
    both = client.get(
        url + "?provider=tracerfy&trace_type=normal&include_alternative=on"
    ).content.decode()
    advanced = client.get(url + "?provider=tracerfy&trace_type=advanced").content.decode()

    assert "Also trace the <strong>3</strong> rows a normal trace cannot take" in plain
    assert 'data-testid="estimate-total">6<' in plain
    # 6 normal records at 1 credit, 3 advanced ones at 2.
    assert 'data-testid="alternative-total">6<' in both
    assert 'data-testid="estimate-total">12<' in both
    assert 'name="expected_credits" value="12"' in both
    assert "Submit both traces (12 credits held)" in both
    assert 'data-testid="alternative-offer"' not in advanced


def test_one_submit_creates_both_traces_each_holding_its_own_credits(
    live_sandbox, stored_batch, funded, client, run_worker
):
    batch = stored_batch(mixed_rows())
    client.force_login(funded)
    page = client.get(reverse("traces:new", args=[batch.pk])).content.decode()

    response = client.post(
        reverse("traces:new", args=[batch.pk]),
        {
            "provider": "tracerfy",
            "trace_type": "normal",
            "include_alternative": "on",
            "expected_credits": "12",
            "submit_token": submit_token(page),
        },
    )

    assert response.status_code == 302
    normal = TraceJob.objects.get(batch=batch, scope=RecordScope.USABLE)
    advanced = TraceJob.objects.get(batch=batch, scope=RecordScope.ALTERNATIVE)
    assert (normal.trace_type, normal.records_sent, normal.estimated_credits) == ("normal", 6, 6)
    assert (advanced.trace_type, advanced.records_sent, advanced.estimated_credits) == (
        "advanced",
        3,
        6,
    )
    funded.wallet.refresh_from_db()
    assert (funded.wallet.available, funded.wallet.held) == (500 - 12, 12)
    normal = run_until_done(normal, run_worker)
    advanced = run_until_done(advanced, run_worker)
    assert normal.status == advanced.status == S.COMPLETE
    assert sorted(advanced.results.values_list("record__line", flat=True)) == [8, 9, 11]
    funded.wallet.refresh_from_db()
    charged = normal.charged_credits + advanced.charged_credits
    assert (funded.wallet.available, funded.wallet.held) == (500 - charged, 0)
    assert_credits_balance(funded.wallet)


def test_a_stale_combined_cost_creates_nothing(live_sandbox, stored_batch, funded, client):
    batch = stored_batch(mixed_rows())
    client.force_login(funded)
    page = client.get(reverse("traces:new", args=[batch.pk])).content.decode()

    response = client.post(
        reverse("traces:new", args=[batch.pk]),
        {
            "provider": "tracerfy",
            "trace_type": "normal",
            "include_alternative": "on",
            "expected_credits": "6",  # the normal trace alone: not what was asked for
            "submit_token": submit_token(page),
        },
    )

    assert "The estimate changed since you looked" in response.content.decode()
    assert not TraceJob.objects.filter(batch=batch).exists()
    funded.wallet.refresh_from_db()
    assert funded.wallet.held == 0
