"""Tables show counts, credits, row numbers and dollars with thousands separators (1,285),
not the bare numbers; ids and percentages stay as they are."""

from decimal import Decimal

from django.test import RequestFactory

from dnc.models import DncPhone, PhoneOutcome
from dnc.tables import DncPhoneTable
from leadbuilder.models import LeadBuild, LeadRow, PropertyLookup
from leadbuilder.tables import LeadBuildTable, LeadRowCells
from leadbuilder.views_lookup import PropertyLookupTable
from leadops.crm.models import CrmBatch
from leadops.crm.tables import CrmBatchTable
from leadops.imports.models import ImportRecord, MappingPreset
from leadops.imports.tables import MappingPresetTable, UnusableRecordTable
from leadops.tables import NumberColumn
from traces.models import TraceResult
from traces.tables import TraceResultTable


def _cell(table, column: str):
    return str(table.rows[0].get_cell(column))


def test_number_column_groups_ints_floats_and_decimals():
    column = NumberColumn()
    assert [column.render(v) for v in (1285, 12_500_000, 1285.5, Decimal("1285000"))] == [
        "1,285",
        "12,500,000",
        "1,285.5",
        "1,285,000",
    ]
    assert [column.render(v) for v in (999, 0, "n/a", True)] == ["999", "0", "n/a", True]


def test_lead_list_table_shows_counts_and_credits_with_separators():
    build = LeadBuild(
        pk=7,
        name="Tampa",
        status="complete",
        requested_count=5_000,
        rows_done=4_321,
        hits=1_285,
        charged_credits=21_605,
    )
    table = LeadBuildTable([build])
    assert [_cell(table, c) for c in ("requested_count", "rows_done", "hits")] == [
        "5,000",
        "4,321",
        "1,285",
    ]
    assert _cell(table, "charged_credits") == "21,605"
    assert ">7</a>" in _cell(table, "id")  # the id is a link text, not a number to group
    running = LeadBuildTable([LeadBuild(pk=8, name="x", status="submitted", rows_done=5)])
    assert (_cell(running, "rows_done"), _cell(running, "charged_credits")) == ("—", "—")


def test_lead_rows_show_row_number_and_value_with_separators():
    row = LeadRow(
        pk=99,
        position=1_285,
        address="1 Main St",
        city="Tampa",
        state="FL",
        zip_code="33601",
        estimated_value=1_285_000,
        equity_percent=61.4,
    )
    cells = dict(
        zip(
            ["position", "address", "owner", "type", "value", "equity"],
            [html for _css, html in LeadRowCells(build_id=7, dnc={}).row(row)],
            strict=False,
        )
    )
    assert (cells["position"], cells["value"], cells["equity"]) == ("1,285", "$1,285,000", "61%")
    assert "33601" in cells["address"]  # a ZIP code is not a number to group


def test_line_numbers_show_with_separators():
    record = ImportRecord(line=12_850, errors=[{"column": "Address", "reason": "is empty"}])
    assert _cell(UnusableRecordTable([record]), "line") == "12,850"
    phone = DncPhone(phone="+15125550101", line=1_285, outcome=PhoneOutcome.CLEAN)
    assert _cell(DncPhoneTable([phone]), "line") == "1,285"
    assert _cell(DncPhoneTable([DncPhone(phone="+15125550102")]), "line") == "—"
    result = TraceResult(record=ImportRecord(line=1_285, values={}), status="hit")
    assert _cell(TraceResultTable([result]), "line") == "1,285"


def test_crm_batches_presets_and_lookups_show_numbers_with_separators():
    batch = CrmBatch(number=1_024, contacts=1_285, size_bytes=2048, state="sent")
    table = CrmBatchTable([batch])
    assert (_cell(table, "number"), _cell(table, "contacts")) == ("1,024", "1,285")
    preset = MappingPreset(name="big", mapping={f"h{n}": f"field{n}" for n in range(1_285)})
    assert _cell(MappingPresetTable([preset]), "columns") == "1,285"
    lookups = PropertyLookupTable([PropertyLookup(address="1 Main St", credits_charged=1_500)])
    lookups.request = RequestFactory().get("/")
    assert _cell(lookups, "credits_charged") == "1,500"
