"""Admin → Credits → Spend report, and the ledger's CSV export."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from leadops.credits import services as credits
from leadops.credits.models import CreditEntry
from leadops.credits.reports import period_bounds, reference_label, spend_report
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:credits_creditentry_spend_report")
EXPORT = reverse("admin:credits_creditentry_export")
CHANGELIST = reverse("admin:credits_creditentry_changelist")


def _grant(wallet, amount, key, reason="allowance"):
    return credits.grant(
        wallet=wallet, amount=amount, actor=None, reason=reason, idempotency_key=key
    )


def _charge(wallet, *, reference, held, charged):
    hold = credits.hold(
        wallet=wallet, amount=held, reference=reference, actor=None, reason=f"hold {reference}"
    )
    credits.settle(hold=hold, charged=charged, actor=None, reason=f"charged {reference}")
    return hold


def _move(entries, when):
    """Back-date entries (the ledger's save() refuses changes; the test needs old lines)."""
    CreditEntry.objects.filter(pk__in=[e.pk for e in entries]).update(created_at=when)


@pytest.fixture
def ledger(team_a, team_b, staff, outsider):
    """Three users in two teams, with known figures in the last week and older lines.

    staffer (A):   granted 5,000; trace:1 held 1,500 charged 1,285; lookup:abc held 300
                   charged 12; leads:3 held 200 (open). Before the period: granted 100,
                   trace:99 charged 50.            spent 1,297, available 3,553, held 200
    second (A):    granted 300; ai-assist:x charged 5.     spent 5, available 295
    outsider (B):  granted 2,000; dnc:7 held 600 charged 580; refund 80 on dnc:7;
                   adjusted -100.                   spent 500, available 1,400, held 0
    """
    staff_wallet = staff.wallet
    old_before = set(CreditEntry.objects.values_list("pk", flat=True))
    _grant(staff_wallet, 100, "old-grant")
    _charge(staff_wallet, reference="trace:99", held=50, charged=50)
    old = CreditEntry.objects.exclude(pk__in=old_before)
    _move(list(old), timezone.now() - dt.timedelta(days=40))

    _grant(staff_wallet, 5000, "g-staff")
    _charge(staff_wallet, reference="trace:1", held=1500, charged=1285)
    with credits.paid_call(
        wallet=staff_wallet, amount=300, reference="lookup:abc", actor=staff, reason="lookup"
    ) as paid:
        paid.settle(charged=12)
    credits.hold(wallet=staff_wallet, amount=200, reference="leads:3", actor=staff, reason="h")

    second = UserFactory(username="second")
    MembershipFactory(user=second, team=team_a)
    second_wallet = credits.wallet_for(user=second, team=team_a)
    _grant(second_wallet, 300, "g-second")
    _charge(second_wallet, reference="ai-assist:x", held=5, charged=5)

    out_wallet = credits.wallet_for(user=outsider, team=team_b)
    _grant(out_wallet, 2000, "g-out")
    _charge(out_wallet, reference="dnc:7", held=600, charged=580)
    credits.refund(
        wallet=out_wallet,
        amount=80,
        reference="dnc:7",
        actor=None,
        reason="provider refunded",
        idempotency_key="r-out",
    )
    credits.adjust(
        wallet=out_wallet, amount=-100, actor=None, reason="correction", idempotency_key="a-out"
    )
    return {"staffer": staff_wallet, "second": second_wallet, "outsider": out_wallet}


def _week():
    today = timezone.localdate()
    return today - dt.timedelta(days=6), today


def test_report_figures_per_user_team_and_feature(ledger, team_a, team_b):
    start, end = _week()
    report = spend_report(start=start, end=end)

    users = {
        line.wallet.user.username: (
            line.figures.spent,
            line.figures.granted,
            line.figures.adjusted,
            line.figures.available,
            line.figures.held,
            line.figures.by_feature,
        )
        for line in report.users
    }
    assert users == {
        "staffer": (1297, 5000, 0, 3553, 200, {"trace": 1285, "lookup": 12}),
        "outsider": (500, 2000, -100, 1400, 0, {"dnc": 500}),
        "second": (5, 300, 0, 295, 0, {"ai-assist": 5}),
    }
    # Sorted by spend, biggest first.
    assert [line.wallet.user.username for line in report.users] == [
        "staffer",
        "outsider",
        "second",
    ]
    teams = [(t.team, t.users, t.figures.spent, t.figures.available) for t in report.teams]
    assert teams == [(team_a, 2, 1302, 3848), (team_b, 1, 500, 1400)]
    assert [(f.prefix, f.label, f.spent) for f in report.features] == [
        ("trace", "Trace job", 1285),
        ("dnc", "DNC scrub", 500),
        ("lookup", "Instant trace lookup", 12),  # named by the traces app
        ("ai-assist", "AI assist", 5),
    ]
    total = report.total
    assert (total.spent, total.granted, total.adjusted, total.available, total.held) == (
        1802,
        7300,
        -100,
        5248,
        200,
    )
    assert report.total_feature_cells == [1285, 500, 12, 5]
    assert report.users[0].feature_cells == [1285, 0, 12, 0]
    # The ledger agrees: the wallets' balances are what the report says.
    for wallet in ledger.values():
        wallet.refresh_from_db()
    assert sum(w.available for w in ledger.values()) == total.available


def test_entries_outside_the_period_are_left_out(ledger):
    today = timezone.localdate()
    old = today - dt.timedelta(days=40)
    report = spend_report(start=old, end=old)
    figures = {
        line.wallet.user.username: (line.figures.spent, line.figures.granted)
        for line in report.users
    }
    # Wallets with a balance now are listed; only the staffer had entries that day.
    assert figures == {"staffer": (50, 100), "outsider": (0, 0), "second": (0, 0)}
    assert report.users[0].figures.by_feature == {"trace": 50}
    # Wallets with money but no entry in the period still show their balances now.
    later = spend_report(start=today + dt.timedelta(days=1), end=today + dt.timedelta(days=2))
    assert later.total.spent == 0 and later.total.available == 5248
    assert {line.wallet.user.username for line in later.users} == {
        "staffer",
        "outsider",
        "second",
    }


def test_period_is_whole_local_days_both_included(staff):
    wallet = staff.wallet
    day = timezone.localdate() - dt.timedelta(days=3)
    since, until = period_bounds(day, day)
    first = _grant(wallet, 10, "first")
    last = _grant(wallet, 20, "last")
    after = _grant(wallet, 40, "after")
    _move([first], since)
    _move([last], until - dt.timedelta(microseconds=1))
    _move([after], until)
    assert spend_report(start=day, end=day).total.granted == 30


def test_team_filter_narrows_the_report(ledger, team_b):
    start, end = _week()
    report = spend_report(start=start, end=end, team=team_b)
    assert [line.wallet.user.username for line in report.users] == ["outsider"]
    assert report.total.spent == 500


def test_report_is_two_queries_whatever_the_number_of_users(
    ledger, team_a, django_assert_num_queries
):
    for n in range(15):
        user = UserFactory(username=f"extra{n}")
        MembershipFactory(user=user, team=team_a)
        wallet = credits.wallet_for(user=user, team=team_a)
        _grant(wallet, 10 + n, f"extra-{n}")
        _charge(wallet, reference=f"trace:{100 + n}", held=5, charged=3)
    start, end = _week()
    with django_assert_num_queries(2):
        report = spend_report(start=start, end=end)
        [line.wallet.user.username + line.wallet.team.name for line in report.users]
    assert len(report.users) == 18
    assert report.total.spent == 1802 + 15 * 3


def test_reference_labels():
    assert reference_label("trace") == "Trace job"
    assert reference_label("dnc-lookup") == "DNC lookup"
    assert reference_label("property-lookup") == "Property lookup"
    assert reference_label("") == "No reference"


# The page -----------------------------------------------------------------------------


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_report_page_defaults_to_the_last_30_days(owner_client, ledger):
    response = owner_client.get(REPORT)
    assert response.status_code == 200
    form = response.context["form"]
    today = timezone.localdate()
    assert form.cleaned_data["start"] == today - dt.timedelta(days=29)
    assert form.cleaned_data["end"] == today
    html = _text(response)
    assert "1,802 credits spent" in html
    assert "<strong>1,297</strong>" in html  # staffer
    assert '<td class="numeric" style="text-align:right">1,285</td>' in html
    assert "Trace job" in html and "DNC scrub" in html and "AI assist" in html
    assert "3,553" in html and "5,248" in html  # available now: staffer, total


def test_report_page_query_count(owner_client, ledger, django_assert_max_num_queries):
    start, end = _week()
    # Session, user, the header's membership and wallet, the team choices, the two report
    # queries: none per user.
    with django_assert_max_num_queries(7):
        response = owner_client.get(REPORT, {"start": start, "end": end})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "is after “To”"),
        ({"start": "yesterday", "end": "2026-03-01"}, "Enter a valid date."),
        ({"start": "2026-03-01"}, "This field is required."),
        ({"start": "0001-01-01", "end": "9999-12-31"}, "Pick a date between 2000-01-01"),
        ({"start": "2026-03-01", "end": "2026-03-02", "team": "999999"}, "Select a valid choice"),
        ({"start": "2026-03-01", "end": "2026-02-30"}, "Enter a valid date."),
    ],
)
def test_bad_dates_are_form_errors(owner_client, params, message):
    response = owner_client.get(REPORT, params)
    assert response.status_code == 200
    assert response.context["report"] is None
    assert message in response.content.decode()


def test_report_and_export_are_for_site_staff_only(client, staff_client, ledger):
    for url in (REPORT, EXPORT):
        assert client.get(url).status_code == 302
        response = staff_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_report_is_linked_from_the_ledger_and_the_credits_index(owner_client):
    assert REPORT in owner_client.get(CHANGELIST).content.decode()
    assert REPORT in owner_client.get(reverse("admin:app_list", args=["credits"])).content.decode()


# CSV ----------------------------------------------------------------------------------


def _csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


HEADERS = [
    "When",
    "User",
    "Team",
    "Kind",
    "Change",
    "Available change",
    "Held change",
    "Available after",
    "Reference",
    "Reason",
    "Actor",
]


def test_download_csv_respects_filters_and_search(owner_client, ledger):
    rows = _csv(owner_client.get(EXPORT, {"kind__exact": "capture", "q": "trace:1"}))
    assert rows[0] == HEADERS
    assert [r[1:] for r in rows[1:]] == [
        [
            "staffer",
            "Acme Investing",
            "Capture",
            "1,285 charged",
            "0",
            "-1285",
            "3550",
            "trace:1",
            "charged trace:1",
            "system",
        ]
    ]
    when = dt.datetime.fromisoformat(rows[1][0])
    assert when.utcoffset() == timezone.localtime().utcoffset()

    everything = _csv(owner_client.get(EXPORT))
    assert len(everything) - 1 == CreditEntry.objects.count()
    team_b = _csv(owner_client.get(EXPORT, {"wallet__team__id__exact": ledger["outsider"].team_id}))
    assert {r[1] for r in team_b[1:]} == {"outsider"}
    assert [r[3] for r in team_b[1:]].count("Refund") == 1


def test_changelist_links_its_csv_with_the_current_filters(owner_client, ledger):
    html = owner_client.get(CHANGELIST, {"kind__exact": "grant"}).content.decode()
    assert f"{EXPORT}?kind__exact=grant" in html


def test_bad_filter_in_the_download_is_a_message_not_a_500(owner_client, ledger):
    response = owner_client.get(EXPORT, {"created_at__gte": "not-a-date"})
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST


def test_export_selected_action_and_formula_neutralization(owner_client, owner, staff):
    evil = credits.grant(
        wallet=staff.wallet,
        amount=1234,
        actor=owner,
        reason='=HYPERLINK("http://evil.example","x")',
        idempotency_key="evil",
    )
    other = _grant(staff.wallet, 1, "other")
    response = owner_client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [evil.pk], "index": 0}
    )
    rows = _csv(response)
    assert rows[0] == HEADERS
    assert len(rows) == 2
    row = rows[1]
    assert row[1:] == [
        "staffer",
        "Acme Investing",
        "Grant",
        "'+1,234",
        "1234",
        "0",
        "1234",
        "",
        '\'=HYPERLINK("http://evil.example","x")',
        "owner",
    ]
    assert str(other.pk) not in {r[0] for r in rows}


def test_csv_export_query_count(owner_client, ledger, django_assert_max_num_queries):
    # Session, user, membership, the changelist's team filter choices and counts (two each),
    # then one query for all the rows, however many.
    with django_assert_max_num_queries(8):
        rows = _csv(owner_client.get(EXPORT))
    assert len(rows) - 1 == CreditEntry.objects.count() > 10


def test_ledger_list_shows_numbers_with_separators(owner_client, ledger):
    html = _text(owner_client.get(CHANGELIST, {"q": "trace:1", "kind__exact": "hold"}))
    assert '<td class="field-held_change">+1,500</td>' in html
    assert '<td class="field-available_change">-1,500</td>' in html
    assert '<td class="field-available_after">3,550</td>' in html
    # The columns still sort, by the stored numbers (column 5: available change).
    by_amount = _text(owner_client.get(CHANGELIST, {"o": "5"}))
    cells = re.findall(r'<td class="field-available_change">([^<]*)</td>', by_amount)
    assert cells[0] == "-1,500" and cells[-1] == "+5,000"
