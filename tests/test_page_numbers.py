"""Pages show counts, credits and row numbers with thousands separators ("1,285", not
"1285"), and an empty figure as a dash, never as "None"."""

import re

import pytest
from django.urls import reverse

from dnc.models import DncScrub
from leadbuilder.models import LeadBuild
from leadops.credits import services as credits
from leadops.imports.models import ImportBatch
from tests.leadbuilder.factories import lead_build
from traces.models import TraceJob, TraceLookup

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_lead_lists_page_shows_its_figures_with_separators(staff_client, staff, team_a):
    build = lead_build(team=team_a, user=staff, rows=1, status="submitted")
    LeadBuild.objects.filter(pk=build.pk).update(
        requested_count=12_850, preview_count=None, estimated_credits=64_250
    )
    page = _text(staff_client.get(reverse("leadbuilder:detail", args=[build.pk])))
    assert "None" not in page
    assert '<dd class="col-5 text-end">12,850</dd>' in page
    assert '<dd class="col-5 text-end">64,250</dd>' in page
    assert '<dt class="col-7">Matches at preview</dt><dd class="col-5 text-end">—</dd>' in page
    assert '<dd class="col-5 text-end" data-testid="fact-charged">—</dd>' in page
    LeadBuild.objects.filter(pk=build.pk).update(preview_count=20_000, charged_credits=21_605)
    page = _text(staff_client.get(reverse("leadbuilder:detail", args=[build.pk])))
    assert '<dt class="col-7">Matches at preview</dt><dd class="col-5 text-end">20,000</dd>' in page
    assert '<dd class="col-5 text-end" data-testid="fact-charged">21,605</dd>' in page


def test_a_lead_rows_page_names_its_row_number_with_separators(staff_client, staff, team_a):
    build = lead_build(team=team_a, user=staff, rows=1)
    row = build.rows.get()
    build.rows.update(position=1_285)
    page = _text(staff_client.get(reverse("leadbuilder:row", args=[build.pk, row.pk])))
    assert '<li class="breadcrumb-item active">Row 1,285</li>' in page


def test_the_ai_panel_shows_the_balance_with_separators(staff_client, staff):
    credits.grant(wallet=staff.wallet, amount=12_500, actor=None, reason="t", idempotency_key="g")
    panel = _text(staff_client.get(reverse("leadbuilder:ai_panel")))
    assert "credit per answer · you have 12,500" in panel


@pytest.fixture
def batch(team_a, staff):
    return ImportBatch.objects.create(
        team=team_a,
        created_by=staff,
        filename="owners.csv",
        kind="csv",
        job_type="trace_normal",
        status="stored",
    )


def test_a_trace_and_a_scrub_show_credits_charged_with_separators(
    staff_client, staff, team_a, batch
):
    job = TraceJob.objects.create(
        team=team_a,
        created_by=staff,
        batch=batch,
        trace_type="normal",
        provider="tracerfy",
        status="complete",
        records_sent=2_500,
        estimated_credits=12_500,
        charged_credits=1_285,
    )
    facts = _text(staff_client.get(reverse("traces:detail", args=[job.pk])))
    assert '<dt class="col-7">Credits charged</dt><dd class="col-5 text-end">1,285</dd>' in facts
    scrub = DncScrub.objects.create(
        team=team_a,
        created_by=staff,
        provider="tracerfy",
        source="list",
        name="pasted",
        status="complete",
        charged_credits=4_096,
    )
    page = _text(staff_client.get(reverse("dnc:detail", args=[scrub.pk])))
    assert '<dd class="col-4 text-end" data-testid="fact-charged">4,096</dd>' in page


def test_the_lookup_history_shows_credits_with_separators(staff_client, staff, team_a):
    TraceLookup.objects.create(
        team=team_a, created_by=staff, kind="owner", hit=True, credits_charged=1_500
    )
    page = _text(staff_client.get(reverse("traces:lookup")))
    assert '<td class="num">1,500</td>' in page


def test_the_admins_credit_page_shows_balances_and_entries_with_separators(owner_client, staff):
    credits.grant(wallet=staff.wallet, amount=12_500, actor=None, reason="t", idempotency_key="g")
    url = reverse("admin:credits_wallet_credit_change", args=[staff.wallet.pk])
    page = _text(owner_client.get(url))
    assert "<strong>12,500</strong> available, 0 held." in page
    assert "<td>12,500</td> <td>12,500</td>" in page  # the grant: amount, balance after


def test_the_headers_held_credits_and_unread_notices_have_separators(staff_client, staff, team_a):
    from django.contrib.contenttypes.models import ContentType

    from leadops.jobs.models import JobNotice

    credits.grant(wallet=staff.wallet, amount=25_000, actor=None, reason="t", idempotency_key="n")
    credits.hold(wallet=staff.wallet, amount=12_500, reference="x:9", actor=None, reason="t")
    page = _text(staff_client.get(reverse("dashboard")))
    assert "(12,500 held by running jobs)" in page
    assert "<strong>12,500</strong> credits" in page
    JobNotice.objects.bulk_create(
        JobNotice(
            user=staff,
            team=team_a,
            content_type=ContentType.objects.get_for_model(DncScrub),
            object_id=n,
            level="success",
            text=f"done {n}",
        )
        for n in range(1_203)
    )
    badge = _text(staff_client.get(reverse("notices_badge")))
    assert ">1,203</span>" in badge
