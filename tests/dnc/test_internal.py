"""The team's internal do-not-call list: adding (one phone, a pasted list, a CSV or XLSX
upload), removing with undo, who may change it, team scoping, search, and the list page."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dnc.internal import InternalRefused, internal_dnc_add, internal_dnc_remove
from dnc.models import InternalDnc, PhoneStatus
from leadops.accounts.models import Role
from leadops.phones import dnc_statuses
from tests.dnc.conftest import e164, phone
from tests.factories import MembershipFactory, UserFactory
from tests.support.pager import pager_link
from tests.support.rows import csv_upload, xlsx_upload

pytestmark = pytest.mark.django_db

URL = "/dnc/internal/"


def listed(team) -> dict[str, str]:
    """The team's internal list as {E.164: reason}."""
    return dict(InternalDnc.objects.filter(team=team).values_list("phone", "reason"))


def add(client, **data):
    return client.post(reverse("dnc:internal"), data, follow=True)


def table_of(response) -> str:
    """The list's table only (the add form's placeholder is a phone too)."""
    html = response.content.decode()
    return html.split('data-testid="internal-table"', 1)[1].split("</table>", 1)[0]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_url_names_the_lead_links_to():
    assert reverse("dnc:internal") == URL
    assert reverse("dnc:internal_remove", args=[7]) == "/dnc/internal/7/remove/"
    assert reverse("dnc:lookup") == "/dnc/lookup/"


# --- adding -----------------------------------------------------------------------------------


def test_one_phone_in_any_spelling_is_stored_in_e164_with_reason_and_adder(team_a, owner):
    report = internal_dnc_add(
        team=team_a, user=owner, reason="  Asked us to stop  ", text="1 (512) 555-0101"
    )
    assert report.summary() == "1 added, 0 already on the list, 0 invalid."
    entry = InternalDnc.objects.get()
    assert (entry.phone, entry.reason, entry.added_by) == (
        "+15125550101",
        "Asked us to stop",
        owner,
    )


def test_pasted_list_reports_added_already_listed_repeated_and_invalid(team_a, owner):
    internal_dnc_add(team=team_a, user=owner, reason="old", text=phone(1))
    text = f"{phone(1)}\n512.555.0102, 12 ; {phone(3)}\n+1 512 555 0103\nnot a phone\n\n"
    report = internal_dnc_add(team=team_a, user=owner, reason="Complaint", text=text)
    assert report.summary() == (
        "2 added, 1 already on the list, 2 invalid (line 2: “12” is not a valid US phone number; "
        "line 4: “not a phone” is not a phone number). 1 repeated entry was counted once."
    )
    # The phone already listed keeps its own reason.
    assert listed(team_a) == {e164(1): "old", e164(2): "Complaint", e164(3): "Complaint"}


def test_only_the_first_few_invalid_entries_are_named(team_a, owner):
    text = "\n".join([phone(1), *(f"bad{n}" for n in range(8))])
    report = internal_dnc_add(team=team_a, user=owner, reason="r", text=text)
    assert report.invalid == 8 and len(report.rejected) == 5
    assert report.summary().endswith("line 6: “bad4” is not a phone number; and 3 more).")


def test_an_invalid_entry_far_down_names_its_line_with_thousands_separators(team_a, owner):
    text = "\n".join([phone(1)] * 1_284 + ["12"])
    report = internal_dnc_add(team=team_a, user=owner, reason="r", text=text)
    assert "(line 1,285: “12” is not a valid US phone number)" in report.summary()


def test_a_list_without_any_valid_phone_is_refused_and_nothing_is_stored(owner_client, team_a):
    response = add(owner_client, phones="12\nabc", reason="r")
    html = unescape(response.content.decode())
    assert (
        "No valid US phone number was found in what you typed (line 1: “12” is not a valid "
        "US phone number; line 2: “abc” is not a phone number). Nothing was added." in html
    )
    assert listed(team_a) == {}


def test_the_reason_is_required_and_at_most_300_characters(owner_client, team_a):
    html = add(owner_client, phones=phone(1), reason="").content.decode()
    assert "Say why these phones must never be called." in html
    html = add(owner_client, phones=phone(1), reason="x" * 301).content.decode()
    assert "Ensure this value has at most 300 characters (it has 301)." in html
    html = add(owner_client, phones="", reason="r").content.decode()
    assert "Type or paste a phone number, or choose a spreadsheet." in html
    assert listed(team_a) == {}


def test_adding_from_the_page_reports_the_counts(owner_client, team_a):
    response = add(owner_client, phones=f"{phone(1)}, {phone(2)}, 99", reason="Do not call")
    assert response.redirect_chain == [(URL, 302)]
    assert messages_of(response) == [
        "2 added, 0 already on the list, 1 invalid (line 1: “99” is not a valid US phone number)."
    ]
    assert set(listed(team_a)) == {e164(1), e164(2)}
    assert "(512) 555-0101" in table_of(response)


def test_csv_upload_takes_every_phone_cell_in_any_column(owner_client, team_a):
    body = (
        "Name,Mobile,Zip,Home phone,Notes\n"
        f"Pat,{phone(1)},78701,512-555-0102,called 2024-01-05\n"
        f"Sam,5125550103,78702-1234,{phone(1)},\n"
        "Lee,(512) 555-01,78703,,no phone\n"
        "Kim,1234567890,78704,,\n"
    )
    response = add(owner_client, file=csv_upload(body, "phones.csv"), reason="Bought list")
    assert messages_of(response) == [
        "3 added, 0 already on the list, 1 invalid (line 5, column “Mobile”: “1234567890” is "
        "not a valid US phone number). 1 repeated entry was counted once."
    ]
    assert listed(team_a) == {e164(n): "Bought list" for n in (1, 2, 3)}


def test_xlsx_upload_reads_numbers_stored_as_numbers(owner_client, team_a):
    upload = xlsx_upload(
        {"Sheet1": [["Owner", "Cell", "Landline"], ["Pat", 5125550104, "(512) 555-0105"]]}
    )
    response = add(owner_client, file=upload, reason="Litigation")
    assert messages_of(response) == ["2 added, 0 already on the list, 0 invalid."]
    assert set(listed(team_a)) == {e164(4), e164(5)}


def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(owner_client, team_a):
    pdf = SimpleUploadedFile("phones.csv", b"%PDF-1.7\n...", content_type="text/csv")
    html = unescape(add(owner_client, file=pdf, reason="r").content.decode())
    assert "This file is a PDF document, not a spreadsheet. Upload a CSV or XLSX file." in html
    headerless = csv_upload(f"{phone(1)}\n{phone(2)}\n", "bare.csv")
    html = unescape(add(owner_client, file=headerless, reason="r").content.decode())
    assert (
        "“bare.csv” has no header row. Put a column name such as “Phone” in the first row" in html
    )
    assert listed(team_a) == {}


def test_a_spreadsheet_without_phones_is_refused(owner_client, team_a):
    upload = csv_upload("Name,Zip\nPat,78701\n", "names.csv")
    html = unescape(add(owner_client, file=upload, reason="r").content.decode())
    assert "No valid US phone number was found in “names.csv”. Nothing was added." in html
    assert listed(team_a) == {}


def test_an_add_is_all_or_nothing(owner_client, team_a):
    """Valid pasted phones and a file that fails on a later line: nothing is stored."""
    ragged = csv_upload(f"Phone\n{phone(2)}\n{phone(3)},extra,cells\n", "ragged.csv")
    html = unescape(add(owner_client, phones=phone(1), file=ragged, reason="r").content.decode())
    assert "Line 3 has 3 cells but the header (line 1) has only 1 columns." in html
    assert listed(team_a) == {}


def test_a_listed_phone_is_internal_wherever_phones_are_shown(team_a, owner):
    flags = dict(national_dnc=False, state_dnc=False, dma=False, litigator=False, is_clean=True)
    PhoneStatus.objects.create(team=team_a, phone=e164(1), checked_at=timezone.now(), **flags)
    assert dnc_statuses(team=team_a, numbers=[phone(1)])[phone(1)].outcome == "clean"
    internal_dnc_add(team=team_a, user=owner, reason="r", text=phone(1))
    status = dnc_statuses(team=team_a, numbers=[phone(1)])[phone(1)]
    assert (status.outcome, status.label, status.dialable) == ("internal", "Internal DNC", False)


# --- who may change the list ------------------------------------------------------------------


def test_a_manager_may_change_the_list(team_a, client):
    manager = UserFactory(username="manny")
    MembershipFactory(user=manager, team=team_a, role=Role.MANAGER)
    client.force_login(manager)
    add(client, phones=phone(1), reason="r")
    assert set(listed(team_a)) == {e164(1)}


def test_staff_see_the_list_and_who_may_change_it_but_cannot_change_it(
    staff_client, staff, owner, team_a
):
    internal_dnc_add(team=team_a, user=owner, reason="Complaint", text=phone(1))
    entry = InternalDnc.objects.get()
    html = staff_client.get(URL).content.decode()
    assert "(512) 555-0101" in html and "Complaint" in html
    assert (
        "Only your team&#x27;s admins and managers (owner) can add or remove phones on this list."
        in html
    )
    assert 'data-testid="internal-add"' not in html and "Remove" not in html

    response = add(staff_client, phones=phone(2), reason="r")
    assert messages_of(response) == [
        "Only your team's admins and managers (owner) can add or remove phones on this list."
    ]
    response = staff_client.post(reverse("dnc:internal_remove", args=[entry.pk]), follow=True)
    assert response.status_code == 200
    assert "can add or remove phones" in messages_of(response)[0]
    assert set(listed(team_a)) == {e164(1)}
    # The services refuse too, whoever calls them.
    with pytest.raises(InternalRefused):
        internal_dnc_add(team=team_a, user=staff, reason="r", text=phone(3))
    with pytest.raises(InternalRefused):
        internal_dnc_remove(entry=entry, user=staff)
    assert set(listed(team_a)) == {e164(1)}


# --- removing and undo ------------------------------------------------------------------------


def test_remove_then_undo_puts_the_phone_back_with_its_reason(owner_client, owner, team_a):
    internal_dnc_add(team=team_a, user=owner, reason="Sued us in 2023", text=phone(1))
    entry = InternalDnc.objects.get()
    response = owner_client.post(reverse("dnc:internal_remove", args=[entry.pk]), follow=True)
    assert listed(team_a) == {}
    (message,) = messages_of(response)
    assert "(512) 555-0101 is off the internal do-not-call list." in message
    # The Undo button posts the removed phone and reason back (with a CSRF token).
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', unescape(message)))
    assert fields["phones"] == e164(1) and fields["reason"] == "Sued us in 2023"
    assert fields["undo"] == "1" and fields["csrfmiddlewaretoken"]
    assert 'data-testid="internal-undo"' in response.content.decode()

    response = add(owner_client, **fields)
    assert messages_of(response) == ["(512) 555-0101 is back on the list."]
    assert listed(team_a) == {e164(1): "Sued us in 2023"}


def test_remove_is_post_only(owner_client, owner, team_a):
    internal_dnc_add(team=team_a, user=owner, reason="r", text=phone(1))
    entry = InternalDnc.objects.get()
    assert owner_client.get(reverse("dnc:internal_remove", args=[entry.pk])).status_code == 405
    assert set(listed(team_a)) == {e164(1)}


# --- team isolation, search and the page -----------------------------------------------------


@pytest.fixture
def other_teams_entry(team_b, outsider):
    return InternalDnc.objects.create(
        team=team_b, phone=e164(9), reason="Their secret reason", added_by=outsider
    )


def test_another_teams_phones_are_neither_shown_nor_removable(
    owner_client, owner, team_a, other_teams_entry
):
    internal_dnc_add(team=team_a, user=owner, reason="ours", text=phone(1))
    html = owner_client.get(URL).content.decode()
    assert "(512) 555-0109" not in html and "Their secret reason" not in html
    assert "(512) 555-0109" not in table_of(owner_client.get(URL, {"q": "5550109"}))
    response = owner_client.post(reverse("dnc:internal_remove", args=[other_teams_entry.pk]))
    assert response.status_code == 404
    assert InternalDnc.objects.filter(pk=other_teams_entry.pk).exists()
    # The same phone may be on both teams' lists, each with its own reason.
    internal_dnc_add(team=team_a, user=owner, reason="ours too", text=phone(9))
    assert InternalDnc.objects.filter(phone=e164(9)).count() == 2


def test_search_matches_a_phone_in_any_spelling_a_reason_or_the_adder(owner_client, owner, team_a):
    internal_dnc_add(team=team_a, user=owner, reason="Complaint by letter", text=phone(1))
    internal_dnc_add(team=team_a, user=owner, reason="Litigator", text=phone(2))

    def found(q: str) -> set[str]:
        table = table_of(owner_client.get(URL, {"q": q}))
        return {p for p in ("(512) 555-0101", "(512) 555-0102") if p in table}

    assert found("512.555.0102") == {"(512) 555-0102"}
    assert found("1-512-555-0101") == {"(512) 555-0101"}
    assert found("+1 (512) 555-0101") == {"(512) 555-0101"}
    assert found("555-01") == {"(512) 555-0101", "(512) 555-0102"}
    assert found("letter") == {"(512) 555-0101"}
    assert found("owner") == {"(512) 555-0101", "(512) 555-0102"}
    html = owner_client.get(URL, {"q": "nothing like it"}).content.decode()
    assert "No phone on the list matches “nothing like it”." in unescape(html)


def test_the_page_is_newest_first_and_paged(owner_client, owner, team_a):
    for n in range(1, 56):
        internal_dnc_add(team=team_a, user=owner, reason=f"reason {n}", text=phone(n))
    response = owner_client.get(URL)
    assert "55 phones" in response.content.decode()
    table = table_of(response)
    assert table.count('data-testid="remove-') == 50
    assert table.index("(512) 555-0155") < table.index("(512) 555-0154")
    assert "(512) 555-0105" not in table  # the 51st newest is on page 2
    assert "(512) 555-0105" in table_of(owner_client.get(URL + pager_link(response, "next")))
    assert owner_client.get(URL, {"page": "x", "per_page": "-1"}).status_code == 200


def test_an_empty_list_and_a_fresh_form_open_without_errors(owner_client):
    html = owner_client.get(URL).content.decode()
    assert "No phone is on your team&#x27;s internal do-not-call list yet." in html
    assert "is-invalid" not in html and "alert-danger" not in html
    assert "This field is required." not in html


def test_the_list_page_query_count_does_not_grow_with_rows(
    owner_client, owner, team_a, django_assert_max_num_queries
):
    for n in range(1, 41):
        internal_dnc_add(team=team_a, user=owner, reason="r", text=phone(n))
    with django_assert_max_num_queries(7):
        response = owner_client.get(URL)
    assert response.content.decode().count('data-testid="remove-') == 40
