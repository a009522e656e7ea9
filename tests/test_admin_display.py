"""Admin lists show counts and credit amounts with thousands separators (1,285), still
sorted by the stored numbers (leadops.admin_display.number)."""

import re

import pytest
from django.utils import timezone

from dnc.models import DncLookup, DncScrub
from leadbuilder.models import LeadBuild, PropertyLookup
from leadops.admin_display import number, thousands
from leadops.credits import services as credits
from leadops.credits.models import CreditHold
from leadops.crm.models import CrmContact, CrmPush
from leadops.imports.models import ImportBatch
from leadops.webhooks.models import WebhookEvent
from traces.models import TraceJob, TraceLookup

pytestmark = pytest.mark.django_db


def _cells(html: str, field: str) -> list[str]:
    return re.findall(rf'<td class="field-{field}[^"]*">([^<]*)</td>', html)


def _page(client, url, **query) -> str:
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def test_thousands():
    assert [thousands(v) for v in (1285, 12_500_000, 0, -1500, 2.5)] == [
        "1,285",
        "12,500,000",
        "0",
        "-1,500",
        "2.5",
    ]
    assert [thousands(v) for v in (None, "—", True)] == [None, "—", True]


def test_number_keeps_the_field_name_header_and_sorting():
    show = number("charged_credits")
    assert (show.__name__, show.admin_order_field) == ("charged_credits", "charged_credits")
    assert not hasattr(show, "short_description")  # Django words the name: "Charged credits"
    assert number("amount", "Credits").short_description == "Credits"


def test_wallets_show_balances_with_separators_and_sort_by_them(owner_client, owner, staff):
    credits.wallet_for(user=owner, team=staff.wallet.team)
    credits.grant(wallet=staff.wallet, amount=12_500, actor=owner, reason="x", idempotency_key="a")
    credits.grant(wallet=owner.wallet, amount=900, actor=owner, reason="x", idempotency_key="b")
    credits.hold(wallet=staff.wallet, amount=1_285, reference="trace:1", reason="x", actor=None)
    html = _page(owner_client, "/admin/credits/wallet/")
    assert '<td class="field-available">11,215</td>' in html
    assert '<td class="field-held">1,285</td>' in html
    assert '<th scope="col" class="sortable column-available">' in html
    # o=3 is available (the action checkbox, user, team, available), ascending then
    # descending: by the number, not the text.
    assert _cells(_page(owner_client, "/admin/credits/wallet/", o="3"), "available") == [
        "900",
        "11,215",
    ]
    assert _cells(_page(owner_client, "/admin/credits/wallet/", o="-3"), "available") == [
        "11,215",
        "900",
    ]


def test_credit_holds_show_amounts_with_separators(owner_client, staff):
    credits.grant(wallet=staff.wallet, amount=20_000, actor=None, reason="x", idempotency_key="g")
    hold = credits.hold(
        wallet=staff.wallet, amount=12_500, reference="leads:7", actor=None, reason="x"
    )
    credits.capture(hold=hold, amount=10_000, actor=None, reason="x")
    credits.release(hold=hold, actor=None, reason="x")
    assert CreditHold.objects.get().released == 2_500
    html = _page(owner_client, "/admin/credits/credithold/")
    assert '<td class="field-amount">12,500</td>' in html
    assert '<td class="field-captured">10,000</td>' in html
    assert '<td class="field-released">2,500</td>' in html


@pytest.fixture
def batch(team_a, staff):
    return ImportBatch.objects.create(
        team=team_a,
        created_by=staff,
        filename="owners.csv",
        kind="csv",
        job_type="trace_normal",
        rows_read=128_500,
        rows_unusable=1_285,
        duplicates=2_000,
        unique_records=125_215,
    )


def test_import_batches_show_row_counts_with_separators(owner_client, batch):
    html = _page(owner_client, "/admin/imports/importbatch/")
    for field, shown in [
        ("rows_read", "128,500"),
        ("rows_unusable", "1,285"),
        ("duplicates", "2,000"),
        ("unique_records", "125,215"),
    ]:
        assert _cells(html, field) == [shown], field


def test_paid_jobs_show_counts_and_credits_with_separators(owner_client, team_a, staff, batch):
    TraceJob.objects.create(
        team=team_a,
        created_by=staff,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        records_sent=1_285,
        hits=1_001,
        estimated_credits=6_425,
        charged_credits=None,
    )
    DncScrub.objects.create(
        team=team_a,
        created_by=staff,
        provider="tracerfy",
        source="list",
        name="pasted",
        phones_unique=4_000,
        phones_sent=3_500,
        hits=3_000,
        estimated_credits=7_000,
        charged_credits=7_000,
    )
    LeadBuild.objects.create(
        team=team_a,
        created_by=staff,
        provider="tracerfy",
        name="Tampa",
        requested_count=5_000,
        rows_done=4_321,
        estimated_credits=25_000,
        charged_credits=21_605,
    )
    trace = _page(owner_client, "/admin/traces/tracejob/")
    assert _cells(trace, "records_sent") == ["1,285"]
    assert _cells(trace, "hits") == ["1,001"]
    assert _cells(trace, "estimated_credits") == ["6,425"]
    assert _cells(trace, "charged_credits") == ["-"]  # nothing charged yet: the admin's dash
    assert ">Charged credits</a>" in trace  # the header Django gives the field
    dnc = _page(owner_client, "/admin/dnc/dncscrub/")
    assert [_cells(dnc, f) for f in ("phones_unique", "phones_sent", "hits")] == [
        ["4,000"],
        ["3,500"],
        ["3,000"],
    ]
    assert _cells(dnc, "charged_credits") == ["7,000"]
    leads = _page(owner_client, "/admin/leadbuilder/leadbuild/")
    assert [_cells(leads, f) for f in ("requested_count", "rows_done", "charged_credits")] == [
        ["5,000"],
        ["4,321"],
        ["21,605"],
    ]


def test_trace_jobs_sort_by_the_stored_count(owner_client, team_a, staff, batch):
    for sent in (999, 1_285, 20):
        TraceJob.objects.create(
            team=team_a,
            created_by=staff,
            batch=batch,
            trace_type="normal",
            provider="tracerfy",
            records_sent=sent,
        )
    # o counts list_display from 0, the action checkbox first: records_sent is 6.
    html = _page(owner_client, "/admin/traces/tracejob/", o="-6")
    assert _cells(html, "records_sent") == ["1,285", "999", "20"]


def test_lookups_pushes_contacts_and_webhooks_show_numbers_with_separators(
    owner_client, team_a, staff
):
    now = timezone.now()
    DncLookup.objects.create(
        team=team_a, created_by=staff, phone="+15125550101", credits_charged=1_500
    )
    TraceLookup.objects.create(team=team_a, created_by=staff, kind="owner", credits_charged=2_500)
    PropertyLookup.objects.create(
        team=team_a, created_by=staff, address="1 Main St", credits_charged=3_500
    )
    CrmPush.objects.create(
        team=team_a,
        created_by=staff,
        provider="crm",
        source_kind="trace",
        source_id=1,
        source_name="Trace #1",
        selection="all",
        contacts=1_285,
        creates=1_000,
        updates=285,
        refused=1_111,
        batches_total=1_024,
    )
    CrmContact.objects.create(
        team=team_a, crm_id="lo_1", pushes=1_234, first_pushed_at=now, last_pushed_at=now
    )
    WebhookEvent.objects.create(
        provider="tracerfy", kind="trace", dedupe_key="k", body="{}", duplicates=4_096
    )
    assert _cells(_page(owner_client, "/admin/dnc/dnclookup/"), "credits_charged") == ["1,500"]
    assert _cells(_page(owner_client, "/admin/traces/tracelookup/"), "credits_charged") == ["2,500"]
    assert _cells(_page(owner_client, "/admin/leadbuilder/propertylookup/"), "credits_charged") == [
        "3,500"
    ]
    push = _page(owner_client, "/admin/crm/crmpush/")
    assert [
        _cells(push, f) for f in ("contacts", "creates", "updates", "refused", "batches_total")
    ] == [["1,285"], ["1,000"], ["285"], ["1,111"], ["1,024"]]
    assert _cells(_page(owner_client, "/admin/crm/crmcontact/"), "pushes") == ["1,234"]
    assert _cells(_page(owner_client, "/admin/webhooks/webhookevent/"), "duplicates") == ["4,096"]
