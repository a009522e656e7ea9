"""Journey: every main page under the Content-Security-Policy, in Chromium, with nothing
refused: no inline script, no inline <style>, htmx (the cost preview's radios, the job page's
live progress) and Chart.js (the dashboard) all working."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from leadops.imports import services as imports
from tests.support.browser import log_in, make_member
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces import services as trace_services


@pytest.fixture
def site_admin(transactional_db):
    user = make_member(
        "csp-admin", "CSP Team", credits_granted=500, reason="Welcome credits", key="e2e-csp"
    )
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def stored_batch(site_admin):
    upload = SimpleUploadedFile(
        "leads.csv", table_csv([OWNER_HEADER, *owner_rows(4)]), content_type="text/csv"
    )
    team = site_admin.membership.team
    batch = imports.import_upload(
        team=team, user=site_admin, uploaded_file=upload, job_type="trace_normal"
    )
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    return imports.import_store(batch=batch)


def test_main_pages_run_under_the_csp_without_a_violation(
    page, live_server, site_admin, stored_batch, screenshot
):
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{msg.text} ({msg.location.get('url')} on {page.url})")
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    base = live_server.url

    page.goto(f"{base}/login/")
    screenshot("login")
    log_in(page, base, site_admin.username)
    expect(page.locator("#balance-chart")).to_be_visible()
    # Chart.js drew something: the canvas is no longer blank.
    page.wait_for_function(
        "() => { const c = document.getElementById('balance-chart');"
        " return c && c.toDataURL() !== document.createElement('canvas').toDataURL(); }"
    )
    screenshot("dashboard")

    for path, heading in [
        ("/settings/", "Settings"),
        ("/traces/", None),
        ("/traces/lookup/", None),
        ("/traces/queues/", None),
        ("/dnc/", None),
        ("/leads/", None),
        ("/imports/", None),
        (f"/imports/{stored_batch.pk}/", None),
        (f"/imports/{stored_batch.pk}/mapping/", None),
        ("/admin/", None),
    ]:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        if heading:
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
        screenshot(path.strip("/").replace("/", "-") or "root")

    # Settings' Copy button works through static JS (no onclick).
    page.goto(f"{base}/settings/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").first.click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()

    # The cost preview re-renders through htmx when a radio changes.
    page.goto(f"{base}/traces/new/{stored_batch.pk}/")
    radios = page.locator("input[type=radio][name=trace_type]")
    expect(radios.first).to_be_visible()
    with page.expect_request(lambda r: "trace_type=" in r.url and r.method == "GET"):
        radios.nth(1).check()
    expect(page.get_by_test_id("estimate")).to_be_visible()
    screenshot("cost-preview")

    # A queued job's page polls its progress through htmx.
    job = trace_services.trace_job_create(batch=stored_batch, trace_type="normal", user=site_admin)
    with page.expect_response(lambda r: f"/traces/{job.pk}/progress/" in r.url) as polled:
        page.goto(f"{base}/traces/{job.pk}/")
    assert polled.value.status == 200
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    screenshot("job")

    assert not problems, problems
