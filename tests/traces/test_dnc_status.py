"""What the team knows of each traced phone's Do-Not-Call status, wherever a trace shows its
phones: a badge per phone in the results table (looked up once per page), the job page's DNC
box with the scrub form, and the exports' DNC columns with the clean-only option. Statuses
come from the DNC app (set up here through its store); a phone checked longer ago than
DNC_FRESH_DAYS is stale, and the internal list wins over any provider answer."""

import csv
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dnc.models import DncScrub, InternalDnc, PhoneTypes
from dnc.services import phone_status_store
from tests.support.rows import owner_rows
from traces import selectors
from traces.forms import ScrubPhonesForm
from traces.models import MatchStatus, TraceJob, TraceResult

pytestmark = pytest.mark.django_db

RECENT = timezone.now() - timedelta(days=2)
OLD = timezone.now() - timedelta(days=settings.DNC_FRESH_DAYS + 9)
DAY = f"{RECENT:%Y-%m-%d}"
OLD_DAY = f"{OLD:%Y-%m-%d}"

# One phone per status, in the spellings providers use.
CLEAN, FEDERAL, STATE, DMA = "5125550101", "+15125550102", "(512) 555-0103", "512-555-0104"
LITIGATOR, INTERNAL, STALE, NEVER = "5125550105", "5125550106", "5125550107", "5125550108"
STALE_FEDERAL = "5125550109"


def e164(number: str) -> str:
    return "+1" + "".join(ch for ch in number if ch.isdigit())[-10:]


def store(team, number: str, *, when=RECENT, **flags) -> None:
    """The team's latest DNC result for `number` (clean unless a flag is given)."""
    values = {"national_dnc": False, "state_dnc": False, "dma": False, "litigator": False}
    values.update(flags)
    values["is_clean"] = not any(flags.values())
    phone_status_store(team_id=team.pk, rows=[(e164(number), values, "Mobile", when, "test")])


def statuses_of_every_kind(team) -> None:
    store(team, CLEAN)
    store(team, FEDERAL, national_dnc=True)
    store(team, STATE, state_dnc=True)
    store(team, DMA, dma=True)
    store(team, LITIGATOR, litigator=True)
    # Clean at the provider, but on the team's own list: the list wins.
    store(team, INTERNAL)
    InternalDnc.objects.create(team=team, phone=e164(INTERNAL), reason="asked us not to call")
    store(team, STALE, when=OLD)
    store(team, STALE_FEDERAL, when=OLD, national_dnc=True)


def mobile(number: str, **extra) -> dict:
    return {"number": number, "type": "Mobile", **extra}


@pytest.fixture
def make_trace(stored_batch, staff, team_a):
    """A trace of one uploaded row per entry of `rows`: a hit with those phones (a miss when
    the entry is empty)."""

    def make(rows: list[list[dict]], *, status: str = "complete") -> TraceJob:
        batch = stored_batch(owner_rows(len(rows)))
        job = TraceJob.objects.create(
            team=team_a,
            created_by=staff,
            batch=batch,
            trace_type="normal",
            provider="tracerfy",
            status=status,
        )
        records = batch.records.order_by("line")
        TraceResult.objects.bulk_create(
            TraceResult(
                team=team_a,
                job=job,
                record=record,
                match_key=str(record.pk),
                status=MatchStatus.HIT if phones else MatchStatus.MISS,
                first_name="Pat",
                phones=phones,
            )
            for record, phones in zip(records, rows, strict=True)
        )
        return job

    return make


def badge(colour: str, title: str, key: str, label: str) -> str:
    return (
        f'<span class="badge text-bg-{colour} dnc-badge" title="{title}" data-dnc="{key}">'
        f"{label}</span>"
    )


def cell(shown: str, status_badge: str) -> str:
    """One phone in the results table: the number, its type, its DNC badge."""
    return f"{shown} <small class='text-secondary'>Mobile</small> {status_badge}"


def page(client, job, **query) -> str:
    response = client.get(reverse("traces:detail", args=[job.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def box(client, job) -> str:
    """The job page's DNC box, as htmx loads it after the page."""
    response = client.get(reverse("traces:dnc_summary", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def export(client, job, fmt: str = "csv", **query):
    response = client.get(reverse("traces:export", args=[job.pk, fmt]), query)
    assert response.status_code == 200
    return response


def export_rows(client, job, **query) -> list[dict[str, str]]:
    body = b"".join(export(client, job, **query).streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


# --- the results table ------------------------------------------------------------------------


def test_each_phone_shows_its_dnc_status_and_when_it_was_checked(staff_client, make_trace, team_a):
    statuses_of_every_kind(team_a)
    numbers = [CLEAN, FEDERAL, STATE, DMA, LITIGATOR, INTERNAL, STALE, STALE_FEDERAL, NEVER]
    job = make_trace([[mobile(n)] for n in numbers])
    html = page(staff_client, job)
    stale = f"older than {settings.DNC_FRESH_DAYS} days: scrub again"
    for shown, expected in [
        ("(512) 555-0101", badge("success", f"Clean on {DAY}", "clean", "Clean")),
        ("(512) 555-0102", badge("danger", f"Federal DNC on {DAY}", "federal", "Federal DNC")),
        ("(512) 555-0103", badge("danger", f"State DNC on {DAY}", "state", "State DNC")),
        ("(512) 555-0104", badge("danger", f"DMA on {DAY}", "dma", "DMA")),
        (
            "(512) 555-0105",
            badge("danger", f"TCPA litigator on {DAY}", "litigator", "TCPA litigator"),
        ),
        (
            "(512) 555-0106",
            badge(
                "danger",
                "On your team&#x27;s internal do-not-call list: never dial it",
                "internal",
                "Internal DNC",
            ),
        ),
        ("(512) 555-0107", badge("secondary", f"Clean on {OLD_DAY}, {stale}", "stale", "Stale")),
        # A stale flag is still red: it was on a list when last checked.
        ("(512) 555-0109", badge("danger", f"Federal DNC on {OLD_DAY}, {stale}", "stale", "Stale")),
        (
            "(512) 555-0108",
            badge(
                "secondary",
                "Never scrubbed for DNC by your team: scrub it before dialling",
                "none",
                "Not scrubbed",
            ),
        ),
    ]:
        assert cell(shown, expected) in html, shown
    assert html.count("dnc-badge") == len(numbers)


def test_our_status_is_shown_and_the_provider_flag_is_only_a_hint(staff_client, make_trace, team_a):
    store(team_a, CLEAN)
    job = make_trace([[mobile(CLEAN, dnc=True), mobile(NEVER, dnc=False)]])
    html = page(staff_client, job)
    clean = badge("success", f"Clean on {DAY}", "clean", "Clean")
    assert cell("(512) 555-0101", clean) + ' <small class="text-danger"' in html
    assert html.count(">provider: DNC</small>") == 1
    assert 'data-dnc="none">Not scrubbed</span><' in html


def test_the_live_refresh_brings_the_badges_too(staff_client, make_trace, team_a):
    store(team_a, FEDERAL, national_dnc=True)
    job = make_trace([[mobile(FEDERAL)]], status="submitted")
    html = staff_client.get(
        reverse("traces:progress", args=[job.pk]), {"results_shown": "0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="job-results" class="card-body p-0" hx-swap-oob="true"' in html
    assert badge("danger", f"Federal DNC on {DAY}", "federal", "Federal DNC") in html


def test_one_status_lookup_per_page_however_many_results_and_phones(
    staff_client, make_trace, team_a, django_assert_max_num_queries
):
    def phones(row: int, count: int) -> list[dict]:
        return [mobile(f"51{row % 8 + 2}555{row:02d}{n}{n}") for n in range(count)]

    small = make_trace([phones(row, 2) for row in range(5)])
    large = make_trace([phones(row, 6) for row in range(50)])
    for result in TraceResult.objects.filter(job=large):
        for phone in result.phones[::2]:
            store(team_a, phone["number"])
    page(staff_client, small)  # the first request of a session does some one-off reads

    def status_reads(queries) -> int:
        return sum("dnc_phonestatus" in q["sql"] for q in queries)

    cache.clear()  # both pages count their finished job's results (then keep the counts)
    with CaptureQueriesContext(connection) as at_five:
        html = page(staff_client, small)
    assert html.count("dnc-badge") == 10
    cache.clear()
    with django_assert_max_num_queries(len(at_five)) as at_fifty:
        html = page(staff_client, large)
    assert html.count("dnc-badge") == 300  # 50 rows of 6 phones (4 of them under "+4 more")
    assert html.count('data-dnc="clean"') == 150
    # One read of the statuses for the whole page, with 10 phones or 300.
    assert status_reads(at_five.captured_queries) == status_reads(at_fifty.captured_queries) == 1
    # The DNC box (loaded after the page) reads the job's phones once and looks them up once.
    with CaptureQueriesContext(connection) as small_box:
        box(staff_client, small)
    with django_assert_max_num_queries(len(small_box)) as large_box:
        assert 'data-testid="dnc-clean">150</dd>' in box(staff_client, large)
    assert status_reads(large_box.captured_queries) == 1


# --- the job page's DNC box -------------------------------------------------------------------


def test_the_dnc_box_counts_the_traces_phones_by_status_once_each(staff_client, make_trace, team_a):
    statuses_of_every_kind(team_a)
    job = make_trace(
        [
            [mobile(CLEAN), mobile(FEDERAL), mobile(STATE)],
            [mobile("(512) 555-0101"), mobile(DMA), mobile(LITIGATOR)],  # the clean one again
            [],  # a miss
            [mobile(INTERNAL), mobile(STALE), mobile(STALE_FEDERAL)],
            [mobile(NEVER), mobile("12345")],
        ],
        status="partial",
    )
    assert selectors.trace_dnc_counts(job=job) == selectors.DncCounts(
        clean=1, flagged=5, stale=2, not_scrubbed=1, invalid=1
    )
    # The page loads the box afterwards: counting a big trace's phones takes a moment.
    summary = reverse("traces:dnc_summary", args=[job.pk])
    assert (
        f'<div id="job-dnc" hx-get="{summary}" hx-trigger="load" hx-swap="outerHTML" '
        'data-testid="dnc-loading">' in page(staff_client, job)
    )
    html = box(staff_client, job)
    assert 'data-testid="dnc-box"' in html and "10 phones</small>" in html
    for key, count in [
        ("clean", 1),
        ("flagged", 5),
        ("stale", 2),
        ("not-scrubbed", 1),
        ("invalid", 1),
    ]:
        assert f'data-testid="dnc-{key}">{count}</dd>' in html, key
    assert f"checked over {settings.DNC_FRESH_DAYS} days ago" in html


def test_the_scrub_form_posts_the_phone_types_to_the_dnc_cost_preview(
    staff_client, make_trace, team_a, staff
):
    job = make_trace([[mobile(CLEAN), {"number": FEDERAL, "type": "Landline"}]])
    html = box(staff_client, job)
    action = reverse("dnc:from_trace", args=[job.pk])
    form = html[html.index(f'<form method="post" action="{action}" data-testid="dnc-scrub">') :]
    form = form[: form.index("</form>")]
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<select name="phone_types" class="form-select form-select-sm"' in form
    for value, label in [("all", "All phones"), ("mobile", "Mobile phones")]:
        assert f'value="{value}"' in form and f">{label}</option>" in form
    assert '<option value="landline">Landlines</option>' in form
    assert ">Scrub phones…</button>" in form
    # The choices are the DNC app's, so its view takes them as they are.
    assert ScrubPhonesForm.base_fields["phone_types"].choices == PhoneTypes.choices

    staff.wallet.refresh_from_db()
    before = (staff.wallet.available, staff.wallet.held)
    response = staff_client.post(action, {"phone_types": "landline"})
    draft = DncScrub.objects.get(trace=job)
    assert response["Location"] == reverse("dnc:detail", args=[draft.pk])
    assert (draft.phone_types, draft.phones_unique) == ("landline", 1)
    staff.wallet.refresh_from_db()
    assert (staff.wallet.available, staff.wallet.held) == before  # the preview comes first


def test_no_dnc_box_before_the_trace_finishes_or_without_phones(staff_client, make_trace):
    running = make_trace([[mobile(CLEAN)]], status="submitted")
    assert '<div id="job-dnc"></div>' in page(staff_client, running)  # where it will land
    assert box(staff_client, running) == '<div id="job-dnc"></div>\n'
    failed = make_trace([[mobile(CLEAN)]], status="failed")
    assert '<div id="job-dnc"></div>' in page(staff_client, failed)
    assert box(staff_client, failed) == '<div id="job-dnc"></div>\n'
    misses = make_trace([[], []])
    html = box(staff_client, misses)
    assert 'data-testid="dnc-box"' not in html and "Scrub phones…" not in html


def test_the_box_loads_after_the_last_progress_refresh(staff_client, make_trace):
    job = make_trace([[mobile(CLEAN)]], status="submitted")
    url = reverse("traces:progress", args=[job.pk])
    running = staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert '<div id="job-dnc" hx-swap-oob="true"></div>' in running
    TraceJob.objects.filter(pk=job.pk).update(status="complete")
    done = staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    summary = reverse("traces:dnc_summary", args=[job.pk])
    assert (
        f'<div id="job-dnc" hx-get="{summary}" hx-trigger="load" hx-swap="outerHTML" '
        'hx-swap-oob="true"' in done
    )
    assert 'data-testid="dnc-not-scrubbed">1</dd>' in box(staff_client, job)


# --- exports ----------------------------------------------------------------------------------

PHONE_COLUMNS = [f"Result: Phone {n}" for n in range(1, 6)]
DNC_COLUMNS = [f"Result: Phone {n} DNC" for n in range(1, 6)]


@pytest.fixture
def mixed_trace(make_trace, team_a):
    """Row 2: seven phones of every status (three of them clean and fresh, the last two beyond
    the five an export holds); row 3: a federal DNC phone only; row 4: a miss."""
    statuses_of_every_kind(team_a)
    for extra in ("5125550111", "5125550112"):
        store(team_a, extra)
    return make_trace(
        [
            [
                mobile(FEDERAL),
                mobile(CLEAN),
                mobile(STALE),
                mobile(NEVER),
                mobile(INTERNAL),
                mobile("5125550111"),
                mobile("5125550112"),
            ],
            [mobile(STATE)],
            [],
        ]
    )


def test_the_export_says_each_phones_dnc_status_and_its_date(staff_client, mixed_trace):
    rows = export_rows(staff_client, mixed_trace)
    assert len(rows) == 3
    first, second, miss = rows
    # (A leading "+" is neutralised like any cell that could start a formula.)
    assert [first[c] for c in PHONE_COLUMNS] == [f"'{FEDERAL}", CLEAN, STALE, NEVER, INTERNAL]
    assert [first[c] for c in DNC_COLUMNS] == [
        f"Federal DNC ({DAY})",
        f"Clean ({DAY})",
        f"Stale: Clean ({OLD_DAY})",
        "Not scrubbed",
        "Internal DNC",
    ]
    assert [second[c] for c in DNC_COLUMNS] == [f"State DNC ({DAY})", "", "", "", ""]
    assert [miss[c] for c in DNC_COLUMNS] == [""] * 5


def test_the_clean_export_keeps_only_clean_fresh_phones_and_rows_with_one(
    staff_client, mixed_trace
):
    response = export(staff_client, mixed_trace, phones="clean")
    assert f'filename="trace-{mixed_trace.pk}-leads-clean.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert row["LeadOps line"] == "2"
    # The clean ones moved up, past the five the full export has room for.
    assert [row[c] for c in PHONE_COLUMNS] == [CLEAN, "5125550111", "5125550112", "", ""]
    assert [row[c] for c in DNC_COLUMNS] == [f"Clean ({DAY})"] * 3 + ["", ""]
    assert [row[f"Result: Phone {n} type"] for n in range(1, 4)] == ["Mobile"] * 3
    # The same with a filter, and as XLSX.
    assert len(export_rows(staff_client, mixed_trace, phones="clean", status="hit")) == 1
    xlsx = export(staff_client, mixed_trace, "xlsx", phones="clean")
    assert f"trace-{mixed_trace.pk}-leads-clean.xlsx" in xlsx["Content-Disposition"]


def test_an_unknown_phones_option_exports_everything(staff_client, mixed_trace):
    response = export(staff_client, mixed_trace, phones="dirty")
    assert f'filename="trace-{mixed_trace.pk}-leads.csv"' in response["Content-Disposition"]
    assert len(list(csv.reader(io.StringIO(b"".join(response).decode("utf-8-sig"))))) == 4


def test_the_export_looks_statuses_up_per_chunk_never_per_row(
    staff_client, make_trace, team_a, monkeypatch
):
    job = make_trace([[mobile(f"512555{n:04d}")] for n in range(50)])
    for n in range(0, 50, 2):
        store(team_a, f"512555{n:04d}")
    monkeypatch.setattr(selectors, "CHUNK", 20)
    with CaptureQueriesContext(connection) as queries:
        rows = export_rows(staff_client, job)
    assert sum("dnc_phonestatus" in q["sql"] for q in queries.captured_queries) == 3  # 50 / 20
    assert [r["Result: Phone 1 DNC"] for r in rows[:3]] == [
        f"Clean ({DAY})",
        "Not scrubbed",
        f"Clean ({DAY})",
    ]
    with CaptureQueriesContext(connection) as queries:
        clean = export_rows(staff_client, job, phones="clean")
    assert len(clean) == 25
    assert sum("dnc_phonestatus" in q["sql"] for q in queries.captured_queries) == 3


def test_the_page_offers_the_clean_export_and_remembers_it(staff_client, mixed_trace):
    html = page(staff_client, mixed_trace)
    assert '<label class="form-check-label small" for="export-clean">Clean, fresh phones' in html
    assert 'name="phones" value="clean" data-export-clean>' in html
    assert html.count("data-export-link") == 2
    chosen = page(staff_client, mixed_trace, phones="clean")
    assert "data-export-clean checked>" in chosen
    export_url = reverse("traces:export", args=[mixed_trace.pk, "csv"])
    assert f'href="{export_url}?phones=clean"' in chosen


# --- teams ------------------------------------------------------------------------------------


def test_another_teams_statuses_never_show(staff_client, make_trace, team_b):
    store(team_b, CLEAN)
    store(team_b, FEDERAL, national_dnc=True)
    InternalDnc.objects.create(team=team_b, phone=e164(STATE), reason="theirs")
    job = make_trace([[mobile(CLEAN), mobile(FEDERAL), mobile(STATE)]])
    html = page(staff_client, job)
    assert html.count('data-dnc="none">Not scrubbed</span>') == 3
    assert 'data-testid="dnc-not-scrubbed">3</dd>' in box(staff_client, job)
    (row,) = export_rows(staff_client, job)
    assert [row[c] for c in DNC_COLUMNS[:3]] == ["Not scrubbed"] * 3
    assert export_rows(staff_client, job, phones="clean") == []
