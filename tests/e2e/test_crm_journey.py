"""Journey: a manager sets the team's CRM tags and tests the connection → uploads owners →
traces them → "Send to CRM" on the finished trace → the preview shows the contacts (and
reloads when "only clean, fresh phones" is ticked) → send → the push page reaches Complete
while the worker sends the batches → the sandbox's CRM holds exactly those contacts.
Real sandbox (Tracerfy and the CRM), webhooks and RQ worker."""

from playwright.sync_api import expect

from leadops.accounts.models import Membership, Role
from leadops.crm.models import CrmPush
from tests.support.crm import finished_trace, point_crm_at
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces.models import TraceJob, TraceResult

ROWS = 10


def test_crm_journey(page, tracing_app, trace_member, sandbox, settings, screenshot):
    point_crm_at(sandbox, settings)
    Membership.objects.filter(user=trace_member).update(role=Role.MANAGER)

    # The team's CRM settings: a default tag, then a connection test.
    page.get_by_role("link", name="Settings").click()
    page.get_by_test_id("crm-settings-link").click()
    expect(page.get_by_role("heading", name="CRM settings")).to_be_visible()
    page.get_by_label("Default tags").fill("spring-campaign, absentee")
    expect(page.get_by_label("Send phones that are on a DNC list")).not_to_be_checked()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The CRM settings are saved.")).to_be_visible()
    expect(page.get_by_label("Default tags")).to_have_value("spring-campaign, absentee")
    page.get_by_role("button", name="Test connection").click()
    result = page.get_by_test_id("connection-result")
    expect(result).to_contain_text("Connected: the CRM answered “queued” with your credentials.")
    expect(result.get_by_test_id("connection-when")).to_contain_text("Last tested")
    screenshot("settings")

    # Upload and trace some owners.
    page.get_by_role("link", name="Skip Trace").click()
    page.get_by_role("link", name="New skip trace").click()
    body = table_csv([OWNER_HEADER, *owner_rows(ROWS)])
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "oak-avenue.csv", "mimeType": "text/csv", "buffer": body}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("button", name="Save mapping and preview").click()
    page.get_by_test_id("continue").click()
    page.get_by_role("button", name=f"Submit trace ({ROWS} credits held)").click()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    trace = TraceJob.objects.get()
    assert trace.hits > 0

    # "Send to CRM" appears on the finished trace; the push screen previews the contacts.
    page.get_by_test_id("send-to-crm").click()
    expect(page.get_by_role("heading", name="Send to the CRM")).to_be_visible()
    expect(page.get_by_test_id("plan-records")).to_have_text(str(trace.hits))
    expect(page.get_by_test_id("plan-contacts")).to_have_text(str(trace.hits))
    expect(page.get_by_test_id("plan-split")).to_have_text(f"{trace.hits} new + 0 updates")
    sample = page.get_by_test_id("plan-sample")
    expect(sample.locator("tbody tr")).to_have_count(trace.hits)
    expect(sample.locator("tbody tr").first).to_contain_text("100 OAK AVE, SPRINGFIELD, IL 62701")
    expect(sample.locator("tbody tr").first).to_contain_text("spring-campaign")
    expect(sample.locator(".dnc-badge").first).to_have_text("Not scrubbed")
    # No phone was scrubbed: clean-only refuses every record, and the button goes.
    page.get_by_label("Only clean, fresh phones").check()
    expect(page.get_by_test_id("plan-contacts")).to_have_text("0")
    expect(page.get_by_test_id("plan-refused")).to_have_text(str(trace.hits))
    expect(page.get_by_test_id("nothing-to-send")).to_be_visible()
    page.get_by_label("Only clean, fresh phones").uncheck()
    send = page.get_by_role("button", name=f"Send {trace.hits} contacts to the CRM")
    expect(send).to_be_visible()
    screenshot("push-screen")

    send.click()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    push = CrmPush.objects.get()
    expect(page.get_by_test_id("push-sent")).to_contain_text(
        f"{trace.hits} / {trace.hits} contacts sent"
    )
    expect(page.get_by_test_id("batches-table").locator("[data-testid=batch-sent]")).to_have_count(
        push.batches_total
    )
    expect(page.get_by_test_id("fact-creates")).to_have_text(str(trace.hits))
    screenshot("push-complete")

    received = sandbox.control.crm_received()
    creates = [item for item in received["items"] if item["type"] == "create"]
    events = [item for item in received["items"] if item["type"] == "event"]
    assert len(creates) == len(events) == trace.hits
    assert all(not batch["problems"] for batch in received["batches"])
    assert all("spring-campaign" in item["meta"]["tags"] for item in creates)
    assert {item["last_name"] for item in creates} <= {f"Owner{i}" for i in range(ROWS)}

    # Back on the pushes list, the push links to its source.
    page.locator("#mainnav").get_by_role("link", name="CRM", exact=True).click()
    row = page.get_by_test_id("pushes-table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=push.source_name)).to_have_attribute(
        "href", f"/traces/{trace.pk}/"
    )
    # And the trace's page links its latest push.
    row.get_by_role("link", name=push.source_name).click()
    expect(page.get_by_test_id("last-crm-push")).to_have_text(
        f"Last CRM push #{push.pk}: complete, {trace.hits} contacts"
    )
    screenshot("trace-after-push")


def test_crm_retry_journey(page, tracing_app, trace_member, sandbox, settings, screenshot):
    """A push whose first batch lost its answer ends "Complete with errors"; its page offers
    a retry of exactly that batch's contacts and lists the refused record; the retry
    completes and the two pages link to each other."""
    point_crm_at(sandbox, settings)
    settings.CRM_BATCH_BYTES = 2500  # about two contacts a batch
    team = trace_member.membership.team
    trace = finished_trace(team, trace_member, 7)
    nameless = trace.results.order_by("pk").last()
    TraceResult.objects.filter(pk=nameless.pk).update(first_name="", last_name="")
    record = nameless.record
    record.values = {k: v for k, v in record.values.items() if not k.startswith("owner_")}
    record.save(update_fields=["values"])
    sandbox.control.faults(
        rules=[{"path": "/crm/v1/batch", "methods": ["POST"], "processed_error_rate": 1.0}],
        fault_budget=1,
    )

    page.goto(f"{tracing_app}/traces/{trace.pk}/")
    page.get_by_test_id("send-to-crm").click()
    expect(page.get_by_test_id("plan-refused")).to_have_text("1")
    expect(page.get_by_test_id("plan-refused-reasons")).to_have_text("No name: 1")
    page.get_by_role("button", name="Send 6 contacts to the CRM").click()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete with errors", timeout=30_000)
    push = CrmPush.objects.get()
    lost = push.batches.get(state="unknown")
    expect(page.get_by_test_id("batch-unknown")).to_have_text("Answer lost")
    expect(page.get_by_test_id("job-error")).to_contain_text("may not have reached the CRM")
    retry = page.get_by_role(
        "button", name=f"Retry the {lost.contacts} contacts of the 1 failed batch"
    )
    expect(retry).to_be_visible()
    screenshot("push-partial")

    page.get_by_test_id("fact-refused").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Refused records")).to_be_visible()
    expect(page.get_by_test_id("refused-table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("refusal-no_name")).to_be_visible()
    screenshot("refused")
    page.go_back()

    retry.click()
    expect(page.get_by_role("heading", name=f"CRM push #{push.pk + 1}")).to_be_visible()
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=30_000)
    again = CrmPush.objects.exclude(pk=push.pk).get()
    assert again.retry_of_id == push.pk and again.contacts == lost.contacts
    expect(page.get_by_test_id("retry-links")).to_contain_text(f"push #{push.pk}")
    screenshot("push-retry")
    sent_twice = {item["id"] for item in lost.items if item["type"] == "create"}
    received = sandbox.control.crm_received()["items"]
    again_ids = [i["id"] for i in received[-2 * lost.contacts :] if i["type"] == "create"]
    assert set(again_ids) == sent_twice
