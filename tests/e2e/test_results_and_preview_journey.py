"""Journeys: the cost preview with its provider panel (lazy, cached, never blocking the page,
the chosen provider's own account, a way back to the mapping), and a running trace's page
whose results arrive while the user watches, each row short with "+N more" phones."""

import contextlib
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from leadops.imports import services as imports
from tests.support.browser import log_in
from tests.support.rows import OWNER_HEADER, csv_upload, owner_rows, table_csv
from traces.models import MatchStatus, TraceJob, TraceResult


def stored_import(user, rows: int):
    team = user.membership.team
    upload = csv_upload(table_csv([OWNER_HEADER, *owner_rows(rows)]), "owners.csv")
    batch = imports.import_upload(
        team=team, user=user, uploaded_file=upload, job_type="trace_normal"
    )
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type=batch.job_type)
    return imports.import_store(batch=batch)


@pytest.fixture
def fresh_cache():
    """Provider figures cached by this test (a failure too) must not reach the next one."""
    cache.clear()
    yield
    cache.clear()


def test_cost_preview_panel_is_lazy_cached_and_per_provider(
    page, tracing_app, sandbox, trace_member, settings, screenshot, fresh_cache
):
    batch = stored_import(trace_member, 12)
    # Logging in opened the dashboard, whose balance panel caches the account's figures: let
    # it finish, then start from an empty cache with the balance this test sets.
    page.wait_for_load_state("networkidle")
    sandbox.control.account(balance=4321)
    cache.clear()
    page.goto(f"{tracing_app}/traces/")
    expect(page.get_by_test_id("analytics")).to_contain_text("4,321")
    screenshot("overview")
    page.get_by_role("link", name="Queue history →").click()
    expect(page.get_by_test_id("queue-history")).to_contain_text("No queues you can see")
    screenshot("queue-history")
    page.goto(f"{tracing_app}/traces/new/{batch.pk}/")
    expect(page.get_by_test_id("estimate-total")).to_have_text("12")
    panel = page.get_by_test_id("provider-balance")
    expect(panel).to_have_text("Tracerfy balance: 4,321 credits")
    screenshot("tracerfy")

    sandbox.control.account(balance=9999)  # Tracerfy's figure moves on; the page's is cached
    page.get_by_label("RealEstateAPI").check()
    expect(page.get_by_role("heading", name="RealEstateAPI account")).to_be_visible()
    expect(panel).to_contain_text("RealEstateAPI does not report a balance")
    expect(page.get_by_text("Tracerfy balance")).to_have_count(0)
    screenshot("reapi")
    page.get_by_label("Tracerfy").check()
    page.get_by_label("Advanced (address only; finds the owner)").check()
    expect(page.get_by_test_id("estimate-total")).to_have_text("24")
    expect(panel).to_have_text("Tracerfy balance: 4,321 credits")  # no new provider call

    # Tracerfy stalls: the page still comes at once, and its panel gives up in a second.
    cache.clear()
    settings.PROVIDER_PAGE_TIMEOUT = 1
    sandbox.control.faults(latency_ms=8000, paths=["/tracerfy/v1/api/analytics"])
    started = time.monotonic()
    page.goto(f"{tracing_app}/traces/new/{batch.pk}/")
    expect(page.get_by_test_id("estimate-total")).to_have_text("12")
    assert time.monotonic() - started < 3
    expect(panel).to_contain_text("Tracerfy balance unavailable right now", timeout=5000)
    screenshot("tracerfy-down")

    page.get_by_role("link", name="Back to mapping").click()
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()


def test_a_second_choice_made_while_the_first_reloads_is_the_one_shown(
    page, tracing_app, sandbox, trace_member, fresh_cache
):
    """The preview's swap replaces the radios: an answer still on its way when the user clicks
    again must not land afterwards and undo the second click (seen once in CI)."""
    batch = stored_import(trace_member, 12)
    page.goto(f"{tracing_app}/traces/new/{batch.pk}/")
    expect(page.get_by_test_id("estimate-total")).to_have_text("12")
    held = []

    def hold(route):
        if route.request.headers.get("hx-request"):
            held.append(route)
        else:
            route.continue_()

    page.route(f"**/traces/new/{batch.pk}/?*", hold)
    page.get_by_label("Advanced (address only; finds the owner)").check()
    for _ in range(100):  # the page's event loop runs while the test waits
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    page.get_by_label("RealEstateAPI").check()
    page.wait_for_timeout(200)
    page.unroute(f"**/traces/new/{batch.pk}/?*")
    for route in held:  # the first answer, then the second if it was sent
        with contextlib.suppress(PlaywrightError):  # aborted by the second click
            route.continue_()
    expect(page.get_by_role("heading", name="RealEstateAPI account")).to_be_visible()
    expect(page.get_by_label("RealEstateAPI")).to_be_checked()
    page.wait_for_timeout(300)  # a late first answer would land here
    expect(page.get_by_label("RealEstateAPI")).to_be_checked()


def many_phones(n: int) -> list[dict]:
    return [
        {"number": f"+1212555{100 + k:04d}", "type": "Mobile" if k % 2 else "Landline"}
        for k in range(n)
    ]


def test_running_trace_page_shows_results_as_they_arrive_in_short_rows(
    page, live_server, trace_member, settings, tmp_path, screenshot
):
    batch = stored_import(trace_member, 30)
    job = TraceJob.objects.create(
        team=batch.team,
        created_by=trace_member,
        batch=batch,
        trace_type="normal",
        provider="reapi",
        status="submitted",
        records_sent=30,
        rows_total=30,
    )
    records = list(batch.records.order_by("line"))

    def arrive(chunk) -> None:
        TraceResult.objects.bulk_create(
            [
                TraceResult(
                    team=batch.team,
                    job=job,
                    record=record,
                    match_key=str(record.pk),
                    status=MatchStatus.HIT,
                    first_name="Pat",
                    last_name=f"Owner{record.line}",
                    phones=many_phones(6),
                    emails=[f"pat{record.line}@example.com", "other@example.org"],
                )
                for record in chunk
            ]
        )
        done = TraceResult.objects.filter(job=job).count()
        TraceJob.objects.filter(pk=job.pk).update(rows_done=done, hits=done)

    arrive(records[:4])
    log_in(page, live_server.url, trace_member.username)
    page.goto(f"{live_server.url}/traces/{job.pk}/")
    rows = page.locator("#job-results tbody tr")
    expect(rows).to_have_count(4)
    arrive(records[4:12])  # more webhooks come in while the user watches
    expect(rows).to_have_count(12, timeout=10_000)
    expect(page.locator("#progress")).to_contain_text("12 / 30 rows · 12 hits")

    first = rows.first
    expect(first.get_by_text("+4 more")).to_be_visible()
    expect(first.get_by_text("+1 more")).to_be_visible()
    screenshot("arriving")
    height = first.bounding_box()["height"]
    assert height < 70, f"a result row is {height:.0f} px tall"
    first.get_by_text("+4 more").click()
    expect(first.locator("details[open]")).to_have_count(1)
    screenshot("expanded")
