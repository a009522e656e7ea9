"""Every table page survives any page size or page number in its query string.

`?per_page=-1` was a 500 on every table (django-tables2 hands it to Django's Paginator as
is) and 10**9 rendered whole tables. leadops.tables.table_configure clamps both; the last
test makes sure every view pages its table through it, so a new table is covered too.
"""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dnc.models import DncLookup, DncPhone, DncScrub, InternalDnc
from leadbuilder.models import LeadBuild, PropertyLookup, SavedSearch
from leadops.credits import services as credits
from leadops.crm.models import CrmBatch, CrmPush, CrmRefusal
from leadops.imports import services as imports
from leadops.imports.models import MappingPreset
from leadops.tables import MAX_PER_PAGE, page_size
from tests.support.rows import OWNER_HEADER, owner_rows, table_csv
from traces.models import MatchStatus, TraceJob, TraceResult

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
ROWS = 30
HOSTILE = ["-1", "0", str(10**9), "abc", "1e3", "", "-99999999999999999999", "2.5"]


@pytest.fixture
def table_pages(staff, team_a, staff_client):
    """One page per table view, each with ROWS rows in its table."""
    for n in range(ROWS):
        credits.grant(
            wallet=staff.wallet, amount=1, actor=None, reason=f"g{n}", idempotency_key=f"g{n}"
        )
    # Half the rows lack a street address: the import preview lists them as unusable.
    rows = owner_rows(ROWS * 2)
    for row in rows[:ROWS]:
        row[0] = ""
    upload = SimpleUploadedFile("t.csv", table_csv([OWNER_HEADER, *rows]), content_type="text/csv")
    batch = imports.import_upload(
        team=team_a, user=staff, uploaded_file=upload, job_type="trace_normal"
    )
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")
    batch = imports.import_store(batch=batch)
    jobs = [
        TraceJob.objects.create(
            team=team_a, created_by=staff, batch=batch, trace_type="normal", provider="tracerfy"
        )
        for _ in range(ROWS)
    ]
    TraceResult.objects.bulk_create(
        TraceResult(team=team_a, job=jobs[0], match_key=f"k{n}", status=MatchStatus.MISS)
        for n in range(ROWS)
    )
    InternalDnc.objects.bulk_create(
        InternalDnc(team=team_a, phone=f"+1512555{n:04d}", reason="r", added_by=staff)
        for n in range(ROWS)
    )
    DncLookup.objects.bulk_create(
        DncLookup(team=team_a, created_by=staff, phone=f"+1512555{n:04d}", is_clean=True)
        for n in range(ROWS)
    )
    scrubs = [
        DncScrub.objects.create(
            team=team_a,
            created_by=staff,
            provider="tracerfy",
            source="list",
            name=f"s{n}",
            status="complete",
        )
        for n in range(ROWS)
    ]
    SavedSearch.objects.bulk_create(
        SavedSearch(team=team_a, name=f"search {n:02d}", created_by=staff, spec={})
        for n in range(ROWS)
    )
    DncPhone.objects.bulk_create(
        DncPhone(job=scrubs[0], phone=f"+1512555{n:04d}", origin="sent", outcome="clean")
        for n in range(ROWS)
    )
    LeadBuild.objects.bulk_create(  # the build with rows below is the ROWS-th
        LeadBuild(team=team_a, created_by=staff, provider="tracerfy", name=f"b{n}")
        for n in range(ROWS - 1)
    )
    PropertyLookup.objects.bulk_create(
        PropertyLookup(
            team=team_a, created_by=staff, address=f"{n} Elm St", city="Austin", state="TX"
        )
        for n in range(ROWS)
    )
    pushes = CrmPush.objects.bulk_create(
        CrmPush(
            team=team_a,
            created_by=staff,
            provider="crm",
            source_kind="trace",
            source_id=jobs[0].pk,
            source_name=f"Trace #{jobs[0].pk}",
            selection="all",
            status="complete",
        )
        for _ in range(ROWS)
    )
    CrmBatch.objects.bulk_create(
        CrmBatch(push=pushes[0], number=n + 1, state="sent", contacts=2, size_bytes=900)
        for n in range(ROWS)
    )
    CrmRefusal.objects.bulk_create(
        CrmRefusal(push=pushes[0], record_id=n, name=f"Owner {n}", reason="no_contact")
        for n in range(ROWS)
    )
    MappingPreset.objects.bulk_create(
        MappingPreset(team=team_a, name=f"preset {n:02d}", created_by=staff, mapping={})
        for n in range(ROWS)
    )
    from tests.leadbuilder.factories import lead_build

    build = lead_build(team=team_a, user=staff, rows=ROWS)
    return {
        "dashboard": reverse("dashboard"),
        "lead list rows": reverse("leadbuilder:rows", args=[build.pk]),
        "dnc scrubs": reverse("dnc:index"),
        "dnc scrub phones": reverse("dnc:detail", args=[scrubs[0].pk]),
        "trace jobs": reverse("traces:index"),
        "trace results": reverse("traces:detail", args=[jobs[0].pk]),
        "unusable rows": reverse("imports:preview", args=[batch.pk]),
        "internal do-not-call list": reverse("dnc:internal"),
        "dnc lookups": reverse("dnc:lookup"),
        "lead lists": reverse("leadbuilder:index"),
        "property lookups": reverse("leadbuilder:lookup"),
        "saved searches": reverse("leadbuilder:searches"),
        "mapping presets": reverse("imports:presets"),
        "crm pushes": reverse("crm:index"),
        "crm push batches": reverse("crm:detail", args=[pushes[0].pk]),
        "crm refused records": reverse("crm:refused", args=[pushes[0].pk]),
    }


def body_rows(html: str) -> int:
    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr")


@pytest.mark.parametrize("per_page", HOSTILE)
def test_any_page_size_shows_a_page(staff_client, table_pages, per_page):
    for name, url in table_pages.items():
        response = staff_client.get(url, {"per_page": per_page, "page": "2"})
        assert response.status_code == 200, name
        rows = body_rows(response.content.decode())
        assert 1 <= rows <= ROWS, (name, rows)


@pytest.mark.parametrize("page", ["-1", "0", "abc", str(10**12), "999"])
def test_any_page_number_shows_a_page(staff_client, table_pages, page):
    for name, url in table_pages.items():
        response = staff_client.get(url, {"per_page": "5", "page": page})
        assert response.status_code == 200, name
        assert body_rows(response.content.decode()) == 5, name


def test_a_large_page_size_is_capped(staff_client, table_pages, monkeypatch):
    monkeypatch.setattr("leadops.tables.MAX_PER_PAGE", 7)
    for name, url in table_pages.items():
        html = staff_client.get(url, {"per_page": str(10**9)}).content.decode()
        assert body_rows(html) == 7, name


def test_page_size_rules():
    assert page_size("40", default=25) == 40
    assert page_size(str(10**9), default=25) == MAX_PER_PAGE
    for raw in [None, "", "-1", "0", "abc", "2.5"]:
        assert page_size(raw, default=25) == 25


def test_every_table_view_pages_through_table_configure(table_pages):
    """django-tables2's RequestConfig trusts the query string; only leadops/tables.py may use
    it, and the pages above are every view that pages a table."""
    sources = [
        p
        for folder in ["leadops", "traces", "dnc", "leadbuilder"]
        for p in (ROOT / folder).rglob("*.py")
        if "sandbox" not in p.parts and p != ROOT / "leadops" / "tables.py"
    ]
    direct = [str(p.relative_to(ROOT)) for p in sources if "RequestConfig" in p.read_text()]
    assert direct == [], "page tables with leadops.tables.table_configure"
    calls = sum(len(re.findall(r"\btable_configure\(request", p.read_text())) for p in sources)
    assert calls == len(table_pages), "a new table view: add its page to table_pages above"
