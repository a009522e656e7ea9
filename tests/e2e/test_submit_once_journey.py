"""Journeys: the lookup form's first view has no red field; a double-clicked submit on the
cost preview creates one trace and lands on its page."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from leadops.credits.models import CreditHold
from leadops.imports import services as imports
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces.models import TraceJob


def test_lookup_form_opens_clean(page, tracing_app, screenshot):
    page.get_by_role("link", name="Skip Trace").click()
    page.goto(f"{tracing_app}/traces/lookup/")
    expect(page.get_by_role("heading", name="Instant lookup")).to_be_visible()
    expect(page.get_by_label("Find the owner")).to_be_checked()
    expect(page.locator(".is-invalid")).to_have_count(0)
    expect(page.get_by_text("This field is required.")).to_have_count(0)
    screenshot("lookup-first-view")
    page.get_by_role("link", name="APN / parcel").click()
    expect(page.get_by_label("County")).to_be_visible()
    expect(page.locator(".is-invalid")).to_have_count(0)
    screenshot("lookup-apn-first-view")


def test_double_clicked_submit_creates_one_trace(page, tracing_app, trace_member, screenshot):
    team = trace_member.membership.team
    body = table_csv([OWNER_HEADER, *owner_rows(14)])
    upload = SimpleUploadedFile("twice.csv", body, content_type="text/csv")
    batch = imports.import_upload(
        team=team, user=trace_member, uploaded_file=upload, job_type="trace_normal"
    )
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    batch = imports.import_store(batch=batch)

    page.goto(f"{tracing_app}/traces/new/{batch.pk}/")
    expect(page.get_by_test_id("estimate-total")).to_have_text("14")
    screenshot("cost-preview")
    # What the form posts, to replay it as a second click that got through would.
    form = page.locator("form.card")
    fields = {
        name: form.locator(f'input[name="{name}"]').first.get_attribute("value")
        for name in ["csrfmiddlewaretoken", "expected_credits", "submit_token"]
    }
    page.get_by_role("button", name="Submit trace (14 credits held)").dblclick()

    expect(page.get_by_test_id("job-stage")).to_be_visible(timeout=15_000)
    job = TraceJob.objects.get()
    expect(page).to_have_url(f"{tracing_app}/traces/{job.pk}/")
    assert CreditHold.objects.filter(reference__startswith="trace:").count() == 1
    screenshot("job-page")
    replay = page.request.post(
        f"{tracing_app}/traces/new/{batch.pk}/",
        form={**fields, "provider": "tracerfy", "trace_type": "normal"},
        headers={"Referer": f"{tracing_app}/traces/new/{batch.pk}/"},
    )
    assert replay.ok and replay.url == f"{tracing_app}/traces/{job.pk}/"
    assert f"Trace #{job.pk} was already submitted from this page." in replay.text()

    # Back on the preview, the running trace is named and there is nothing to click twice.
    # (The trace may finish while the page loads: then the preview offers a new one.)
    page.goto(f"{tracing_app}/traces/new/{batch.pk}/")
    running = page.get_by_test_id("trace-running")
    expect(
        running.or_(page.get_by_role("button", name=re.compile("^Submit trace")))
    ).to_be_visible()
    if running.count():
        expect(running).to_contain_text(f"Trace #{job.pk}")
    screenshot("preview-after")
    assert TraceJob.objects.count() == 1
