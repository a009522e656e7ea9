"""Journey: a trace's page shows each phone's DNC status (clean, flagged, internal, stale,
not scrubbed); the DNC box arrives when the trace finishes → the "Clean, fresh phones only"
switch changes the downloads → the clean CSV holds only clean, fresh phones → "Scrub phones…"
opens the DNC cost preview with nothing charged."""

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from dnc.models import InternalDnc
from dnc.services import phone_status_store
from leadops.imports import services as imports
from tests.support.rows import OWNER_HEADER, csv_upload, owner_rows, table_csv
from traces.models import MatchStatus, TraceJob, TraceResult

PHONES = [
    [("5125550101", "Mobile"), ("5125550102", "Landline"), ("5125550103", "Mobile")],
    [("5125550104", "Mobile"), ("5125550105", "Mobile")],
    [("5125550106", "Landline")],
    [("5125550107", "Mobile"), ("5125550108", "Mobile")],
    [],
]
FLAGS = {  # phone → (flag set, days since the check)
    "5125550101": ("", 3),
    "5125550102": ("national_dnc", 3),
    "5125550103": ("", 3),
    "5125550104": ("litigator", 5),
    "5125550105": ("", settings.DNC_FRESH_DAYS + 20),  # stale
    "5125550106": ("state_dnc", 1),
    "5125550107": ("dma", 2),
}


def finished_trace(user) -> TraceJob:
    team = user.membership.team
    upload = csv_upload(table_csv([OWNER_HEADER, *owner_rows(len(PHONES))]), "owners.csv")
    batch = imports.import_upload(
        team=team, user=user, uploaded_file=upload, job_type="trace_normal"
    )
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type=batch.job_type)
    batch = imports.import_store(batch=batch)
    job = TraceJob.objects.create(
        team=team,
        created_by=user,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        status="submitted",
        records_sent=len(PHONES),
        hits=4,
    )
    TraceResult.objects.bulk_create(
        TraceResult(
            team=team,
            job=job,
            record=record,
            match_key=str(record.pk),
            status=MatchStatus.HIT if phones else MatchStatus.MISS,
            first_name="Pat",
            last_name=f"Owner{n}",
            phones=[{"number": number, "type": kind} for number, kind in phones],
        )
        for n, (record, phones) in enumerate(
            zip(batch.records.order_by("line"), PHONES, strict=True)
        )
    )
    now = timezone.now()
    phone_status_store(
        team_id=team.pk,
        rows=[
            (
                f"+1{phone}",
                {
                    "national_dnc": flag == "national_dnc",
                    "state_dnc": flag == "state_dnc",
                    "dma": flag == "dma",
                    "litigator": flag == "litigator",
                    "is_clean": not flag,
                },
                "Mobile",
                now - timedelta(days=days),
                "test",
            )
            for phone, (flag, days) in FLAGS.items()
        ],
    )
    # Clean at the provider, but the team never calls it.
    InternalDnc.objects.create(team=team, phone="+15125550103", reason="asked us not to call")
    return job


def test_trace_dnc_journey(page, tracing_app, trace_member, screenshot):
    job = finished_trace(trace_member)
    page.goto(f"{tracing_app}/traces/{job.pk}/")
    results = page.locator("#job-results")
    # (the internal one is the third phone of its row: under "+1 more", so not visible)
    for label in ["Clean", "Federal DNC", "Internal DNC", "TCPA litigator", "Stale", "DMA"]:
        expect(results.locator(".dnc-badge", has_text=label)).to_have_count(1)
    expect(results.locator('.dnc-badge[data-dnc="none"]')).to_have_text("Not scrubbed")
    stale = results.locator('.dnc-badge[data-dnc="stale"]')
    expect(stale).to_have_attribute(
        "title",
        f"Clean on {timezone.now() - timedelta(days=settings.DNC_FRESH_DAYS + 20):%Y-%m-%d}"
        f", older than {settings.DNC_FRESH_DAYS} days: scrub again",
    )
    box = page.get_by_test_id("dnc-box")
    expect(page.get_by_test_id("job-stage")).to_contain_text("Submitted")
    expect(box).to_have_count(0)
    # The trace finishes: the next progress refresh brings the box, which loads its counts.
    TraceJob.objects.filter(pk=job.pk).update(status="complete")
    expect(page.get_by_test_id("job-stage")).to_contain_text("Complete", timeout=10_000)
    expect(box.get_by_test_id("dnc-clean")).to_have_text("1")
    expect(box.get_by_test_id("dnc-flagged")).to_have_text("5")
    expect(box.get_by_test_id("dnc-stale")).to_have_text("1")
    expect(box.get_by_test_id("dnc-not-scrubbed")).to_have_text("1")
    screenshot("trace-page")

    csv_link = page.get_by_role("link", name="CSV")
    expect(csv_link).to_have_attribute("href", f"/traces/{job.pk}/export.csv?")
    page.get_by_label("Clean, fresh phones only").check()
    expect(csv_link).to_have_attribute("href", f"/traces/{job.pk}/export.csv?phones=clean")
    with page.expect_download() as download_info:
        csv_link.click()
    download = download_info.value
    assert download.suggested_filename == f"trace-{job.pk}-owners-clean.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert [r["Result: Phone 1"] for r in rows] == ["5125550101"]
    assert rows[0]["Result: Phone 2"] == ""
    page.get_by_label("Clean, fresh phones only").uncheck()
    expect(csv_link).to_have_attribute("href", f"/traces/{job.pk}/export.csv")

    box.get_by_label("Which phones").select_option("mobile")
    box.get_by_role("button", name="Scrub phones…").click()
    expect(page.get_by_role("heading", name="Cost preview")).to_be_visible()
    expect(page.get_by_test_id("est-unique")).to_have_text("6")  # the mobile phones
    screenshot("scrub-preview")
    expect(page.get_by_test_id("header-credits")).to_contain_text("200 credits")
