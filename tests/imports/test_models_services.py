"""The import services: upload → mapping → store, every format, every reject, dedupe, presets."""

import codecs
import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from leadops.imports import registry, selectors, services
from leadops.imports.errors import BatchStateError, MappingInvalid
from leadops.imports.models import ImportBatch, ImportRecord, ImportStatus, MappingPreset
from leadops.imports.readers import ImportRejected, RejectCode
from tests.factories import MappingPresetFactory
from tests.support.rows import csv_upload, stored_files, stored_uploads, xlsx_upload

pytestmark = pytest.mark.django_db

MESSY = (
    "Motivated seller list - exported 2026-11-20\n"
    "\n"
    "Property Address,City,State,Zip,Owner Name,Mailing Address,Mailing City,Mailing State,"
    "Phone,Notes\n"
    '12 North Main Street,Boston,MA,2134,"SMITH, JOHN",PO Box 9,Boston,MA,(617) 555-0100,'
    '=HYPERLINK("x")\n'
    '12 N. Main St,Boston,ma,02134,"SMITH, JOHN",PO Box 9,Boston,MA,617-555-0100,dup\n'
    '40 Elm Rd,Austin,TX,78701,"DOE, JANE",40 Elm Rd,Austin,TX,12345,bad phone\n'
    ',Dallas,TX,75201,"ROE, RICH",1 Oak,Dallas,TX,,no address\n'
)


def upload(team, user, data, name="leads.csv", job_type="trace_advanced", **kwargs):
    file = data if isinstance(data, SimpleUploadedFile) else csv_upload(data, name)
    return services.import_upload(
        team=team, user=user, uploaded_file=file, job_type=job_type, **kwargs
    )


def stored(team, user, data, job_type="trace_advanced", **kwargs):
    batch = upload(team, user, data, job_type=job_type, **kwargs)
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type=job_type)
    return services.import_store(batch=batch)


def rejection(team, user, data, **kwargs) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        upload(team, user, data, **kwargs)
    return info.value


# --------------------------------------------------------------------------------------
# Upload
# --------------------------------------------------------------------------------------


def test_upload_keeps_the_file_under_a_generated_name_and_reads_headers(team_a, staff, media_root):
    batch = upload(team_a, staff, MESSY, name="../../etc/My List.csv")

    assert batch.status == ImportStatus.UPLOADED
    assert batch.filename == "My List.csv"
    assert batch.kind == "csv"
    assert batch.delimiter == ","
    assert batch.header_line == 3
    assert batch.headers[:5] == ["Property Address", "City", "State", "Zip", "Owner Name"]
    assert batch.rows_read == 4
    assert batch.created_by == staff
    assert batch.team == team_a
    # A generated name under imports/YYYY/MM/, nothing of the user's filename.
    assert batch.file.name.startswith("imports/20")
    assert batch.file.name.endswith(".csv")
    assert "List" not in batch.file.name
    # In the database every host shares, not on this host's disk.
    assert stored_uploads() == [batch.file.name]
    assert stored_files(media_root) == []
    assert batch.mapping == {
        "Property Address": "property_address",
        "City": "property_city",
        "State": "property_state",
        "Zip": "property_zip",
        "Owner Name": "owner_full_name",
        "Mailing Address": "mailing_address",
        "Mailing City": "mailing_city",
        "Mailing State": "mailing_state",
        "Phone": "phone_1",
        "Notes": "extra",
    }
    # Up to three distinct example values per column, in column order.
    assert batch.columns[3] == ("Zip", ["2134", "02134", "78701"])
    assert batch.columns[8] == ("Phone", ["(617) 555-0100", "617-555-0100", "12345"])


def test_store_cleans_dedupes_and_counts(team_a, staff):
    batch = stored(team_a, staff, MESSY)

    assert batch.status == ImportStatus.STORED
    assert (batch.rows_read, batch.rows_unusable, batch.duplicates, batch.unique_records) == (
        4,
        1,
        1,
        2,
    )
    assert batch.rows_with_warnings == 1
    first, duplicate, bad_phone, no_address = batch.records.all()
    assert first.line == 4
    assert first.values["property_address"] == "12 N MAIN ST"
    assert first.values["property_zip"] == "02134"  # leading zero restored
    assert first.values["owner_first_name"] == "John"  # "SMITH, JOHN" split
    assert first.values["owner_last_name"] == "Smith"
    assert first.values["phone_1"] == "+16175550100"
    assert first.extras == {"Notes": '=HYPERLINK("x")'}  # stored as text, as typed
    assert first.dedupe_key == "12 N MAIN ST|BOSTON|MA|02134"
    assert (duplicate.is_duplicate, duplicate.duplicate_of_line) == (True, 4)
    # The bad phone is flagged, not dropped: the row is kept, the value is not sent.
    assert bad_phone.usable
    assert "phone_1" not in bad_phone.values
    assert bad_phone.errors == [
        {"column": "Phone", "value": "12345", "reason": "“12345” is not a valid US phone number"}
    ]
    assert not no_address.usable
    assert no_address.errors == [
        {
            "column": "Property Address",
            "value": "",
            "reason": "is empty; an advanced trace needs it",
        }
    ]
    assert batch.problem_summary == [
        {"column": "Property Address", "reason": "Is empty; an advanced trace needs it", "rows": 1}
    ]
    assert [r.line for r in selectors.usable_records(batch=batch)] == [4, 6]
    assert [r.line for r in selectors.unusable_records(batch=batch)] == [7]


def test_normal_trace_rejects_rows_an_advanced_trace_keeps(team_a, staff):
    data = (
        "Address,City,State,Owner First Name,Owner Last Name,Mailing Address,Mailing City,"
        "Mailing State\n"
        "1 Main St,Austin,TX,John,Smith,1 Main St,Austin,TX\n"
        "2 Oak Ave,Austin,TX,,,,,\n"
    )
    normal = stored(team_a, staff, data, job_type="trace_normal")
    advanced = stored(team_a, staff, data, job_type="trace_advanced")

    assert (normal.rows_unusable, normal.unique_records) == (1, 1)
    reasons = [e["reason"] for e in selectors.unusable_records(batch=normal).get().errors]
    assert reasons == [
        "is empty; a normal trace needs it",
        "is empty; a normal trace needs it",
        "is empty; a normal trace needs it",
        "is empty; a normal trace needs it",
    ]
    assert (advanced.rows_unusable, advanced.unique_records) == (0, 2)


def test_dnc_list_dedupes_by_phone(team_a, staff):
    data = "Name,Phone\nA,(512) 555-0100\nB,512.555.0100\nC,512-555-0199\nD,not a phone\n"
    batch = stored(team_a, staff, data, job_type="dnc")

    assert (batch.rows_read, batch.rows_unusable, batch.duplicates, batch.unique_records) == (
        4,
        1,
        1,
        2,
    )
    assert selectors.usable_records(batch=batch).first().dedupe_key == "phones:+15125550100"


PHONE_LIST = (
    "Name,phone_mobile,phone_home,phone_work,Phone DNC,Fax\n"
    "Ann,(512) 555-0100,512-555-0101,,Y,512-555-0190\n"
    "Bob,,512.555.0102,512 555 0103,N,\n"
    "Cy,not a phone,,,,\n"
    "Di,,,5125550104,,\n"
)


def test_a_plain_phone_list_is_mapped_and_stored_for_a_dnc_scrub(team_a, staff):
    batch = upload(team_a, staff, PHONE_LIST, job_type="dnc")

    assert batch.mapping == {
        "Name": "owner_full_name",
        "phone_mobile": "phone_1",
        "phone_home": "phone_2",
        "phone_work": "phone_3",
        "Phone DNC": "extra",
        "Fax": "extra",
    }
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="dnc")
    batch = services.import_store(batch=batch)

    assert (batch.rows_read, batch.rows_unusable, batch.duplicates, batch.unique_records) == (
        4,
        1,
        0,
        3,
    )
    ann, bob, cy, di = batch.records.all()
    assert ann.values == {
        "owner_full_name": "Ann",
        "phone_1": "+15125550100",
        "phone_2": "+15125550101",
    }
    assert ann.extras == {"Phone DNC": "Y", "Fax": "512-555-0190"}
    assert (bob.values["phone_2"], bob.values["phone_3"]) == ("+15125550102", "+15125550103")
    assert di.values["phone_3"] == "+15125550104"
    assert not cy.usable
    assert [r.line for r in selectors.usable_records(batch=batch)] == [2, 3, 5]


def test_phone_columns_in_a_trace_file_are_mapped_but_never_required_or_refusing(team_a, staff):
    data = (
        "Address,City,State,Home Phone,Work Phone,Home Type\n"
        "1 Main St,Austin,TX,512-555-0100,call the office,Single Family\n"
        "2 Oak Ave,Austin,TX,,,Condo\n"
    )
    batch = stored(team_a, staff, data, job_type="trace_advanced")

    assert (batch.mapping["Home Phone"], batch.mapping["Work Phone"]) == ("phone_1", "phone_2")
    assert batch.mapping["Home Type"] == "extra"
    assert (batch.rows_unusable, batch.rows_with_warnings, batch.unique_records) == (0, 1, 2)
    first = batch.records.get(line=2)
    assert first.values["phone_1"] == "+15125550100"
    assert first.errors == [
        {
            "column": "Work Phone",
            "value": "call the office",
            "reason": "“call the office” is not a phone number",
        }
    ]


def test_apn_list_dedupes_by_parcel(team_a, staff):
    data = "APN,County,State\n123-45-678,Travis,TX\n123-45-678,Travis County,tx\n999,Travis,TX\n"
    batch = stored(team_a, staff, data, job_type="apn")

    assert (batch.duplicates, batch.unique_records) == (1, 2)


# --------------------------------------------------------------------------------------
# Formats and encodings
# --------------------------------------------------------------------------------------

ROWS = [
    ["Address", "City", "State", "Zip", "Owner Name"],
    ["1 Main St, Apt 4", "Austin", "TX", "78701", "Müller, José"],
    ["2 Oak Ave", "Dallas", "TX", "75201", "DOE, JANE"],
]


def _csv(delimiter=",", newline="\n") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(ROWS)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("comma-lf-utf8", _csv().encode()),
        ("crlf", _csv(newline="\r\n").encode()),
        ("utf8-bom", codecs.BOM_UTF8 + _csv().encode()),
        ("cp1252", _csv().encode("cp1252")),
        ("semicolon", _csv(";").encode()),
        ("tab", _csv("\t").encode()),
        ("pipe", _csv("|").encode()),
    ],
)
def test_csv_formats_and_encodings_store_the_same_records(team_a, staff, label, data):
    batch = stored(team_a, staff, data)

    assert batch.headers == ROWS[0], label
    assert batch.unique_records == 2
    first = batch.records.get(line=2)
    assert first.values["property_address"] == "1 MAIN ST APT 4"
    assert first.values["owner_full_name"] == "José Müller"


def test_xlsx_header_below_title_numbers_read_back_as_text(team_a, staff):
    file = xlsx_upload(
        {
            "Empty": [],
            "Leads": [
                ["Skip list November"],
                [],
                ["Address", "City", "State", "Zip", "Phone"],
                ["1 Main St", "Boston", "MA", 2134, 6175550100],
                ["2 Oak Ave", "Austin", "TX", 78701, 5125550100.0],
            ],
        }
    )
    batch = stored(team_a, staff, file)

    assert (batch.kind, batch.sheet, batch.header_line) == ("xlsx", "Leads", 3)
    assert batch.sheet_names == ["Empty", "Leads"]
    assert batch.file.name.endswith(".xlsx")
    record = batch.records.get(line=4)
    assert record.values["property_zip"] == "02134"
    assert record.values["phone_1"] == "+16175550100"
    assert batch.records.get(line=5).values["phone_1"] == "+15125550100"


def test_xlsx_other_sheet_can_be_chosen(team_a, staff):
    file = xlsx_upload(
        {
            "Owners": [["Address", "City", "State"], ["1 Main St", "Austin", "TX"]],
            "Phones": [["Name", "Phone"], ["A", "5125550100"], ["B", "5125550101"]],
        }
    )
    batch = upload(team_a, staff, file)
    assert batch.sheet == "Owners"

    services.import_choose_sheet(batch=batch, sheet="Phones")

    batch.refresh_from_db()
    assert (batch.sheet, batch.headers, batch.rows_read) == ("Phones", ["Name", "Phone"], 2)
    assert batch.mapping == {"Name": "owner_full_name", "Phone": "phone_1"}
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="dnc")
    assert services.import_store(batch=batch).unique_records == 2


# --------------------------------------------------------------------------------------
# Rejects: a specific message, and nothing stored
# --------------------------------------------------------------------------------------


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "code", "message"),
    [
        (b"", "leads.csv", RejectCode.EMPTY, "“leads.csv” is empty: there are no rows to import."),
        (
            b"Address,City,State\n",
            "leads.csv",
            RejectCode.HEADER_ONLY,
            "The file has a header row (line 1) but no data rows below it.",
        ),
        (
            b"%PDF-1.7\n...",
            "leads.csv",
            RejectCode.NOT_SPREADSHEET,
            "This file is a PDF document, not a spreadsheet. Upload a CSV or XLSX file.",
        ),
        (
            b"PK\x03\x04garbage" + b"\x00" * 100,
            "leads.xlsx",
            RejectCode.CORRUPT_WORKBOOK,
            "This Excel file is damaged and cannot be read (it is not a valid ZIP archive). "
            "Re-save it from Excel and upload it again.",
        ),
        (
            b"Address,City,State\n1 Main St,Austin,TX\n2 Oak,Dallas,TX,oops,extra\n",
            "leads.csv",
            RejectCode.RAGGED_ROW,
            "Line 3 has 5 cells but the header (line 1) has only 3 columns. Check that line "
            "for an unquoted comma or a missing quote mark.",
        ),
        (
            b"Address,City,State\n1 Main St,Austin," + b"x" * 10_001 + b"\n",
            "leads.csv",
            RejectCode.CELL_TOO_LARGE,
            "Line 2, column “State”: a cell has 10,001 characters; the limit is 10,000 "
            "characters per cell. An unclosed quote mark can make many lines look like one "
            "cell.",
        ),
        (
            b"Name,Notes,Score\nJohn Smith,likes dogs,12\nJane Roe,none,7\n",
            "owners.csv",
            RejectCode.NO_USABLE_COLUMNS,
            "No column in “owners.csv” looks like a property address; its columns are “Name”, "
            "“Notes”, “Score”. A skip trace needs the property's street address, city and "
            "state: add them to the file and upload it again.",
        ),
    ],
    ids=["empty", "header-only", "pdf", "invalid-xlsx", "ragged", "cell-too-large", "no-address"],
)
def test_rejects_have_a_human_message_and_store_nothing(
    team_a, staff, media_root, data, name, code, message
):
    error = rejection(team_a, staff, data, name=name)

    assert error.code == code
    assert error.message == message
    assert not ImportBatch.objects.exists()
    assert stored_files(media_root) == [] and stored_uploads() == []


def test_xlsx_bomb_is_refused_before_calamine(team_a, staff, media_root):
    error = rejection(team_a, staff, _bomb(), name="leads.xlsx")

    assert error.code == RejectCode.XLSX_BOMB
    assert error.message.startswith("This Excel file was not opened: its part xl/worksheets/")
    assert not ImportBatch.objects.exists()
    assert stored_files(media_root) == [] and stored_uploads() == []


def test_dnc_without_phone_columns(team_a, staff):
    error = rejection(team_a, staff, "Address,City,State\n1 Main St,Austin,TX\n", job_type="dnc")

    assert error.code == RejectCode.NO_USABLE_COLUMNS
    assert error.message == (
        "No column in “leads.csv” holds phone numbers; its columns are “Address”, “City”, "
        "“State”. A DNC scrub needs at least one phone column: add them to the file and "
        "upload it again."
    )


def test_unknown_header_with_address_values_is_accepted_for_mapping(team_a, staff):
    batch = upload(team_a, staff, "Situs Location,Town,ST\n12 Main St,Austin,TX\n")

    assert batch.mapping["Situs Location"] == "extra"


def test_too_many_rows(team_a, staff, settings, media_root):
    settings.IMPORT_MAX_ROWS = 3
    data = "Address,City,State\n" + "".join(f"{n} Main St,Austin,TX\n" for n in range(1, 6))
    error = rejection(team_a, staff, data)

    assert error.code == RejectCode.TOO_MANY_ROWS
    assert error.message == (
        "The file has more than 3 data rows, the most one import can take (the limit was "
        "passed at line 5). Split it into smaller files and upload them separately."
    )
    assert stored_files(media_root) == [] and stored_uploads() == []


def test_file_over_the_size_limit_is_refused_by_its_declared_size(team_a, staff, settings):
    settings.IMPORT_MAX_BYTES = 2048
    error = rejection(team_a, staff, "Address,City,State\n" + "1 Main St,Austin,TX\n" * 200)

    assert error.code == RejectCode.TOO_LARGE
    assert error.message == (
        "The file is 4 KB; the limit is 2 KB. Split it into smaller files and upload them "
        "separately."
    )


def test_file_over_the_size_limit_is_refused_while_streaming(team_a, staff, settings):
    settings.IMPORT_MAX_BYTES = 2048

    class Understated(SimpleUploadedFile):
        """A client can lie about the size; the running count still stops it."""

        def chunks(self, chunk_size=None):
            self.file.seek(0)
            while chunk := self.file.read(512):
                yield chunk

    file = Understated("big.csv", b"Address,City,State\n" + b"1 Main St,Austin,TX\n" * 200)
    file.size = 100
    error = rejection(team_a, staff, file)

    assert error.code == RejectCode.TOO_LARGE
    assert error.message == (
        "The file is larger than that; the limit is 2 KB. Split it into smaller files and "
        "upload them separately."
    )
    assert not ImportBatch.objects.exists()


# --------------------------------------------------------------------------------------
# Mapping and presets
# --------------------------------------------------------------------------------------


def test_set_mapping_refuses_a_job_without_its_address(team_a, staff):
    batch = upload(team_a, staff, MESSY)
    mapping = {**batch.mapping, "Property Address": "extra"}

    with pytest.raises(MappingInvalid) as info:
        services.import_set_mapping(batch=batch, mapping=mapping, job_type="trace_advanced")

    assert info.value.message == (
        "No column is mapped to the property address, so there is nothing to trace. Choose "
        "the column that holds it in the list below."
    )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UPLOADED


def test_set_mapping_refuses_a_dnc_job_without_phones(team_a, staff):
    batch = upload(team_a, staff, MESSY)
    mapping = {**batch.mapping, "Phone": "extra"}

    with pytest.raises(MappingInvalid) as info:
        services.import_set_mapping(batch=batch, mapping=mapping, job_type="dnc")

    assert info.value.message == (
        "No column is mapped to a phone number, so there is nothing to scrub. Choose the "
        "column that holds it in the list below."
    )


def test_set_mapping_names_missing_columns_and_suggests_advanced_trace(team_a, staff):
    batch = upload(team_a, staff, "Address,City,State\n1 Main St,Austin,TX\n")

    with pytest.raises(MappingInvalid) as info:
        services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_normal")

    assert info.value.message == (
        "Skip trace — normal needs columns that are not mapped: Owner first and last name "
        "(or owner full name, or a company or trust), Mailing address, Mailing city, Mailing "
        "state. Choose the column "
        "for each in the list below, or choose an advanced trace, which needs only address, "
        "city and state."
    )


def test_set_mapping_refuses_one_field_for_two_columns(team_a, staff):
    batch = upload(team_a, staff, MESSY)
    mapping = {**batch.mapping, "Mailing Address": "property_address"}

    with pytest.raises(MappingInvalid) as info:
        services.import_set_mapping(batch=batch, mapping=mapping, job_type="trace_advanced")

    assert info.value.message == (
        "Columns “Property Address” and “Mailing Address” are both mapped to Property "
        "address. Each field can take one column."
    )


@pytest.mark.parametrize(
    ("mapping_change", "job_type", "message"),
    [
        ({"Nope": "extra"}, "trace_advanced", "The file has no column named “Nope”."),
        (
            {"Notes": "favourite_colour"},
            "trace_advanced",
            "“favourite_colour” is not a LeadOps field.",
        ),
        ({}, "lead_magic", "“lead_magic” is not a job type."),
    ],
)
def test_set_mapping_refuses_unknown_things(team_a, staff, mapping_change, job_type, message):
    batch = upload(team_a, staff, MESSY)

    with pytest.raises(MappingInvalid) as info:
        services.import_set_mapping(
            batch=batch, mapping={**batch.mapping, **mapping_change}, job_type=job_type
        )
    assert info.value.message == message


def test_saved_preset_is_applied_to_the_next_file_with_the_same_headers(team_a, staff):
    data = "Site,Town,Region,Memo\n1 Main St,Austin,TX,hi\n"
    first = upload(team_a, staff, data)
    assert first.mapping["Site"] == "extra"
    assert first.preset is None
    mapping = {"Site": "property_address", "Town": "property_city", "Region": "property_state"}
    services.import_set_mapping(
        batch=first,
        mapping=mapping,
        job_type="trace_advanced",
        save_preset_as="  County  export ",
        user=staff,
    )
    preset = MappingPreset.objects.get()
    assert (preset.name, preset.team, preset.created_by) == ("County export", team_a, staff)
    assert preset.mapping == {**mapping, "Memo": "extra"}
    assert preset.headers == ["Site", "Town", "Region", "Memo"]

    second = upload(team_a, staff, "SITE,town,Region,Memo\n2 Oak Ave,Dallas,TX,\n")

    assert second.preset == preset
    assert second.mapping == {
        "SITE": "property_address",
        "town": "property_city",
        "Region": "property_state",
        "Memo": "extra",
    }


def test_saving_a_preset_again_updates_it(team_a, staff):
    batch = upload(team_a, staff, MESSY)
    for notes in ("extra", "extra"):
        services.import_set_mapping(
            batch=batch,
            mapping={**batch.mapping, "Notes": notes},
            job_type="trace_advanced",
            save_preset_as="Mine",
        )
    assert MappingPreset.objects.filter(team=team_a, name="Mine").count() == 1


def test_preset_names_are_unique_per_team(team_a, team_b):
    MappingPresetFactory(team=team_a, name="Same")
    MappingPresetFactory(team=team_b, name="Same")
    with pytest.raises(IntegrityError):
        MappingPresetFactory(team=team_a, name="Same")


def test_other_teams_presets_are_not_applied(team_a, team_b, staff):
    MappingPresetFactory(
        team=team_b,
        headers=["Site", "Town", "Region"],
        mapping={"Site": "property_address", "Town": "property_city", "Region": "property_state"},
    )
    batch = upload(team_a, staff, "Site,Town,Region\n1 Main St,Austin,TX\n")

    assert batch.preset is None
    assert batch.mapping["Site"] == "extra"


def test_mapping_with_preset_takes_only_what_the_preset_knows(team_a):
    preset = MappingPresetFactory(team=team_a, mapping={"Street": "property_address"})
    mapping = selectors.mapping_with_preset(
        headers=["Address", "street", "City"],
        current={"Address": "property_address", "street": "extra", "City": "property_city"},
        preset=preset,
    )
    assert mapping == {"Address": "extra", "street": "property_address", "City": "property_city"}


# --------------------------------------------------------------------------------------
# Store: one transaction, idempotent, batched
# --------------------------------------------------------------------------------------


def test_store_needs_a_mapping_first(team_a, staff):
    batch = upload(team_a, staff, MESSY)

    with pytest.raises(BatchStateError) as info:
        services.import_store(batch=batch)
    assert info.value.message == "Map the columns before storing this import."


def test_store_again_replaces_the_records(team_a, staff):
    batch = stored(team_a, staff, MESSY)
    ids = set(batch.records.values_list("pk", flat=True))

    services.import_store(batch=batch)

    assert batch.records.count() == 4
    assert not ids & set(batch.records.values_list("pk", flat=True))
    assert batch.unique_records == 2


def test_remapping_a_stored_batch_drops_its_records_until_stored_again(team_a, staff):
    batch = stored(team_a, staff, MESSY)

    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="dnc")

    assert batch.status == ImportStatus.MAPPED
    assert not batch.records.exists()
    assert (batch.unique_records, batch.duplicates) == (0, 0)
    services.import_store(batch=batch)
    assert (batch.rows_unusable, batch.duplicates, batch.unique_records) == (2, 1, 1)


def test_reject_mid_file_at_store_time_stores_nothing(team_a, staff, settings):
    data = "Address,City,State\n" + "".join(f"{n} Main St,Austin,TX\n" for n in range(1, 4001))
    batch = upload(team_a, staff, data)
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_advanced")
    settings.IMPORT_MAX_ROWS = 3000  # lowered after upload: the store pass hits it at row 3,001

    with pytest.raises(ImportRejected) as info:
        services.import_store(batch=batch)

    assert info.value.code == RejectCode.TOO_MANY_ROWS
    assert not ImportRecord.objects.exists()  # the first 2,000-row batch was rolled back
    batch.refresh_from_db()
    assert batch.status == ImportStatus.REJECTED
    assert batch.reject_message == info.value.message


def test_store_writes_in_batches(team_a, staff, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(services, "WRITE_BATCH", 100)
    data = "Address,City,State\n" + "".join(f"{n} Main St,Austin,TX\n" for n in range(1, 1001))
    batch = upload(team_a, staff, data)
    services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="trace_advanced")

    # 12 columns a record: SQLite's 999-parameter limit splits each 100-row INSERT in two.
    with django_assert_max_num_queries(30):
        services.import_store(batch=batch)

    assert batch.records.count() == 1000
    assert batch.unique_records == 1000
    assert list(batch.records.values_list("line", flat=True)[:3]) == [2, 3, 4]


# --------------------------------------------------------------------------------------
# Rejected rows download and the continuation registry
# --------------------------------------------------------------------------------------


def test_rejects_csv_rows_are_the_original_cells_with_line_and_reasons(team_a, staff):
    data = (
        "Address,City,State,Notes\n"
        "1 Main St,Austin,TX,ok\n"
        ",Austin,TX,=cmd|' /C calc'!A0\n"
        "3 Elm Rd,Austin,Texass,@SUM(1)\n"
    )
    batch = stored(team_a, staff, data)
    rejects = services.import_rejects_csv_rows(batch=batch)

    assert rejects.headers == ["Line", "Problems", "Address", "City", "State", "Notes"]
    assert list(rejects.rows) == [
        [
            "3",
            "Address: is empty; an advanced trace needs it",
            "",
            "Austin",
            "TX",
            "=cmd|' /C calc'!A0",
        ],
        [
            "4",
            "State: “Texass” is not a US state or territory",
            "3 Elm Rd",
            "Austin",
            "Texass",
            "@SUM(1)",
        ],
    ]


def test_rejects_csv_rows_empty_when_every_row_is_usable(team_a, staff):
    batch = stored(team_a, staff, "Address,City,State\n1 Main St,Austin,TX\n")

    assert list(services.import_rejects_csv_rows(batch=batch).rows) == []


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry, "_CONTINUATIONS", {})


def test_registry_continuations(clean_registry):
    assert registry.continuation_for("trace_normal") is None
    registry.register_continuation(["trace_normal", "apn"], "traces:new", "Set up trace")
    registry.register_continuation(["trace_normal"], "crm:new", "Push to CRM")
    registry.register_continuation(["trace_normal"], "traces:new", "Set up trace")

    assert registry.continuation_for("trace_normal").url_name == "crm:new"
    assert registry.continuation_for("trace_normal", prefer="traces:new").label == "Set up trace"
    assert registry.continuation_for("apn", prefer="crm:new").url_name == "traces:new"
    assert registry.continuation_for("dnc") is None
    assert registry.is_registered("crm:new")
    assert not registry.is_registered("admin:index")


# --------------------------------------------------------------------------------------
# City and state from the ZIP (issue 13)
# --------------------------------------------------------------------------------------


def test_rows_with_street_and_zip_only_get_city_and_state_from_the_zip(team_a, staff):
    data = (
        "Property Address,City,State,Zip\n"
        "671 Quarrystone Way,,,01002\n"  # empty city and state: Amherst, MA
        "5 Oak St,Boston,MA,02134\n"  # typed: kept as typed, nothing inferred
        "9 Elm Rd,,TX,01002\n"  # TX contradicts the ZIP: nothing guessed, refused
        "1 Pine Ct,,,99999\n"  # a ZIP the list does not know: refused
    )
    batch = stored(team_a, staff, data)

    records = {r.line: r for r in batch.records.all()}
    assert records[2].usable
    assert records[2].values["property_city"] == "AMHERST"
    assert records[2].values["property_state"] == "MA"
    assert sorted(records[2].inferred) == ["property_city", "property_state"]
    assert records[3].usable and records[3].inferred == []
    assert records[3].values["property_city"] == "BOSTON"
    assert not records[4].usable and records[4].inferred == []
    assert not records[5].usable
    assert (batch.unique_records, batch.rows_unusable, batch.rows_inferred) == (2, 2, 1)


def test_a_file_with_a_zip_column_and_no_city_or_state_column_can_be_mapped(team_a, staff):
    data = "Street,Zip Code\n671 Quarrystone Way,01002\n40 Elm Rd,78701\n"
    batch = stored(team_a, staff, data)

    assert batch.unique_records == 2
    assert [
        (r.values["property_city"], r.values["property_state"]) for r in batch.records.all()
    ] == [("AMHERST", "MA"), ("AUSTIN", "TX")]
    labels, rows = selectors.preview_sample(batch=batch)
    assert labels == ["Line", "Property address", "Property ZIP", "Property city", "Property state"]
    assert [(cell.value, cell.inferred) for cell in rows[0]] == [
        ("2", False),
        ("671 QUARRYSTONE WAY", False),
        ("01002", False),
        ("AMHERST", True),
        ("MA", True),
    ]
