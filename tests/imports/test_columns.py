"""The field table, header auto-mapping, presets and job requirements."""

from __future__ import annotations

import pytest

from leadops.imports import columns, registry
from leadops.imports.columns import (
    EXTRA,
    FIELDS_BY_ID,
    FieldGroup,
    RowMapper,
    auto_map,
    field_for_header,
    header_key,
)
from leadops.imports.registry import missing_fields
from traces import import_kinds

PROPSTREAM = [
    "Address",
    "Unit #",
    "City",
    "State",
    "Zip",
    "County",
    "APN",
    "Owner Occupied",
    "Owner 1 First Name",
    "Owner 1 Last Name",
    "Owner 2 First Name",
    "Owner 2 Last Name",
    "Mailing Care of Name",
    "Mailing Address",
    "Mailing Unit #",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "Est. Value",
]

BATCHLEADS = [
    "Property Address",
    "Property City",
    "Property State",
    "Property Zip",
    "Owner First Name",
    "Owner Last Name",
    "Mailing Address",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "Phone 1",
    "Phone 1 Type",
    "Phone 2",
    "Phone 2 Type",
    "Email 1",
    "Email 2",
]

DEALMACHINE = [
    "property_address_full",
    "property_address_line_1",
    "property_address_city",
    "property_address_state",
    "property_address_zipcode",
    "property_address_county",
    "owner_1_name",
    "owner_mailing_address",
    "owner_address_city",
    "owner_address_state",
    "owner_address_zip",
    "phone_1",
    "phone_2",
    "email_address_1",
]

COUNTY = [
    "PARCEL NUMBER",
    "SITUS ADDRESS",
    "SITUS CITY",
    "SITUS ZIP",
    "OWNER NAME",
    "MAIL ADDR",
    "MAIL CITY",
    "MAIL STATE",
    "MAIL ZIP",
    "LAND USE",
]

REISIFT = [
    "Property address",
    "Property city",
    "Property state",
    "Property zip",
    "First Name",
    "Last Name",
    "Mailing address",
    "Mailing city",
    "Mailing state",
    "Mailing zip",
    "Phone 1",
    "Phone type 1",
    "Phone 2",
    "Phone type 2",
    "Email 1",
]


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Owner 1 First Name", "owner1firstname"),
        ("owner_1_first_name", "owner1firstname"),
        ("  OWNER1FIRSTNAME ", "owner1firstname"),
        ("Unit #", "unit"),
        ("Est. Value", "estvalue"),
        ("R&D", "randd"),
    ],
)
def test_header_key_ignores_case_punctuation_spaces_underscores(header, key):
    assert header_key(header) == key


def test_every_field_has_id_label_group_and_cleaner():
    assert len(columns.FIELDS) == len(FIELDS_BY_ID)
    for field in columns.FIELDS:
        assert field.id and field.label
        assert isinstance(field.group, FieldGroup)
        assert field.clean("").value == ""


def test_no_header_is_a_synonym_of_two_fields():
    seen: dict[str, str] = {}
    for field in columns.FIELDS:
        for synonym in field.synonyms:
            key = header_key(synonym)
            assert seen.setdefault(key, field.id) == field.id, synonym


def test_phones_and_emails_are_numbered_fields():
    assert FIELDS_BY_ID["phone_1"].group == FieldGroup.PHONE
    assert FIELDS_BY_ID["phone_10_type"].label == "Phone 10 type"
    assert FIELDS_BY_ID["email_5"].group == FieldGroup.EMAIL
    assert "phone_11" not in FIELDS_BY_ID
    assert FIELDS_BY_ID[EXTRA].group == FieldGroup.EXTRA


def test_field_clean_uses_its_normaliser():
    assert FIELDS_BY_ID["property_zip"].clean("2134").value == "02134"
    assert FIELDS_BY_ID["phone_3"].clean("(512) 555-0100").value == "+15125550100"
    assert FIELDS_BY_ID["extra"].clean("  keep   me ").value == "keep me"


@pytest.mark.parametrize(
    ("header", "meaning"),
    [
        ("SITUS ADDRESS", "property_address"),
        ("Situs City", "property_city"),
        ("parcel_number", "apn"),
        ("MAIL ADDR", "mailing_address"),
        ("Owner 1 Last Name", "owner_last_name"),
        ("owner_1_name", "owner_full_name"),
        ("Phone 1", "phone"),
        ("Mobile 2", "phone"),
        ("Wireless", "phone"),
        ("Phone Number", "phone"),
        ("contact1_phone2", "phone"),
        ("Phone 1 Type", "phone_type"),
        ("Phone Type 2", "phone_type"),
        ("E-mail", "email"),
        ("email_address_1", "email"),
        ("Mail", None),
        ("Phone 1 DNC", None),
        ("Est. Value", None),
        ("", None),
    ],
)
def test_field_for_header(header, meaning):
    assert field_for_header(header) == meaning


def test_propstream_export():
    mapping = auto_map(PROPSTREAM)

    assert mapping == {
        "Address": "property_address",
        "Unit #": "property_unit",
        "City": "property_city",
        "State": "property_state",
        "Zip": "property_zip",
        "County": "property_county",
        "APN": "apn",
        "Owner Occupied": EXTRA,
        "Owner 1 First Name": "owner_first_name",
        "Owner 1 Last Name": "owner_last_name",
        "Owner 2 First Name": EXTRA,
        "Owner 2 Last Name": EXTRA,
        "Mailing Care of Name": EXTRA,
        "Mailing Address": "mailing_address",
        "Mailing Unit #": "mailing_unit",
        "Mailing City": "mailing_city",
        "Mailing State": "mailing_state",
        "Mailing Zip": "mailing_zip",
        "Est. Value": EXTRA,
    }
    assert missing_fields(mapping, import_kinds.TRACE_NORMAL) == []
    assert missing_fields(mapping, import_kinds.APN) == []


def test_batchleads_export_pairs_phone_types():
    mapping = auto_map(BATCHLEADS)

    assert mapping["Property Address"] == "property_address"
    assert mapping["Owner First Name"] == "owner_first_name"
    assert mapping["Phone 1"] == "phone_1"
    assert mapping["Phone 1 Type"] == "phone_1_type"
    assert mapping["Phone 2"] == "phone_2"
    assert mapping["Phone 2 Type"] == "phone_2_type"
    assert mapping["Email 1"] == "email_1"
    assert mapping["Email 2"] == "email_2"
    assert missing_fields(mapping, "dnc") == []


def test_reisift_type_columns_numbered_after_the_word_type():
    mapping = auto_map(REISIFT)

    assert mapping["Phone type 1"] == "phone_1_type"
    assert mapping["Phone type 2"] == "phone_2_type"
    assert mapping["First Name"] == "owner_first_name"


def test_dealmachine_prefers_the_street_line_over_the_full_one_line_address():
    mapping = auto_map(DEALMACHINE)

    assert mapping["property_address_line_1"] == "property_address"
    assert mapping["property_address_full"] == EXTRA
    assert mapping["property_address_zipcode"] == "property_zip"
    assert mapping["owner_1_name"] == "owner_full_name"
    assert mapping["owner_mailing_address"] == "mailing_address"
    assert mapping["owner_address_zip"] == "mailing_zip"
    assert mapping["phone_1"] == "phone_1"
    assert mapping["email_address_1"] == "email_1"


def test_dealmachine_full_address_used_when_it_is_the_only_one():
    mapping = auto_map(["property_address_full", "property_address_city"])

    assert mapping["property_address_full"] == "property_address"


def test_county_export():
    mapping = auto_map(COUNTY)

    assert mapping == {
        "PARCEL NUMBER": "apn",
        "SITUS ADDRESS": "property_address",
        "SITUS CITY": "property_city",
        "SITUS ZIP": "property_zip",
        "OWNER NAME": "owner_full_name",
        "MAIL ADDR": "mailing_address",
        "MAIL CITY": "mailing_city",
        "MAIL STATE": "mailing_state",
        "MAIL ZIP": "mailing_zip",
        "LAND USE": EXTRA,
    }
    # The ZIP column names each row's state (filled from the ZIP when the row is read).
    assert [str(r) for r in missing_fields(mapping, "trace_advanced")] == []
    assert [str(r) for r in missing_fields(mapping, "apn")] == ["County"]
    without_zip = {**mapping, "SITUS ZIP": EXTRA}
    assert [str(r) for r in missing_fields(without_zip, "trace_advanced")] == ["Property state"]


def test_each_target_used_once_and_better_synonym_wins():
    mapping = auto_map(["Address", "Property Address", "Zip", "Zip Code"])

    assert mapping == {
        "Address": EXTRA,
        "Property Address": "property_address",
        "Zip": "property_zip",
        "Zip Code": EXTRA,
    }


def test_phones_numbered_in_column_order_whatever_their_own_numbers():
    mapping = auto_map(["Mobile 3", "Landline 1", "Phone", "Cell Phone"])

    assert mapping == {
        "Mobile 3": "phone_1",
        "Landline 1": "phone_2",
        "Phone": "phone_3",
        "Cell Phone": "phone_4",
    }


def test_type_columns_grouped_after_the_phones_pair_by_number():
    mapping = auto_map(["Phone 1", "Phone 2", "Phone 1 Type", "Phone 2 Type"])

    assert mapping["Phone 1 Type"] == "phone_1_type"
    assert mapping["Phone 2 Type"] == "phone_2_type"


def test_unnumbered_type_column_pairs_with_the_phone_before_it():
    mapping = auto_map(["Phone", "Phone Type", "Cell", "Cell Type"])

    assert mapping == {
        "Phone": "phone_1",
        "Phone Type": "phone_1_type",
        "Cell": "phone_2",
        "Cell Type": "phone_2_type",
    }


def test_type_column_without_a_phone_is_extra():
    assert auto_map(["Address", "Phone Type"])["Phone Type"] == EXTRA


def test_more_phones_than_slots_become_extra():
    headers = [f"Phone {n}" for n in range(1, 13)]
    mapping = auto_map(headers)

    assert mapping["Phone 10"] == "phone_10"
    assert mapping["Phone 11"] == EXTRA
    assert mapping["Phone 12"] == EXTRA


def test_preset_with_matching_headers_takes_precedence():
    headers = ["Address", "Town", "St", "Cell #", "Notes"]
    preset = {
        "Address": "mailing_address",
        "Town": "mailing_city",
        "ST": "mailing_state",
        "Cell #": "phone_2",
        "Notes": EXTRA,
    }
    mapping = auto_map(headers, presets=[preset])

    assert mapping == {
        "Address": "mailing_address",
        "Town": "mailing_city",
        "St": "mailing_state",
        "Cell #": "phone_2",
        "Notes": EXTRA,
    }


def test_preset_not_applied_when_its_headers_are_missing():
    preset = {"Address": "mailing_address", "Other Column": "mailing_city"}
    mapping = auto_map(["Address", "City"], presets=[preset])

    assert mapping == {"Address": "property_address", "City": "property_city"}


def test_most_specific_matching_preset_wins():
    small = {"Address": "mailing_address"}
    large = {"Address": "property_address", "Town": "property_city"}
    mapping = auto_map(["Address", "Town"], presets=[small, large])

    assert mapping == {"Address": "property_address", "Town": "property_city"}


def test_preset_fills_headers_the_synonyms_do_not_know():
    learned = {"Cell #": "phone_1", "Burg": "property_city", "Something Else": "apn"}
    mapping = auto_map(["Address", "Burg", "Cell #"], presets=[learned])

    assert mapping == {
        "Address": "property_address",
        "Burg": "property_city",
        "Cell #": "phone_1",
    }


def test_preset_with_unknown_field_is_ignored():
    mapping = auto_map(["Address"], presets=[{"Address": "retired_field"}])

    assert mapping == {"Address": "property_address"}


def test_phone_numbering_continues_after_preset_phones():
    preset = {"Cell": "phone_1", "Address": "property_address"}
    mapping = auto_map(["Address", "Cell", "Phone 2"], presets=[preset])

    assert mapping["Cell"] == "phone_1"
    assert mapping["Phone 2"] == "phone_2"


def test_job_requirements_follow_the_tracerfy_contract():
    def ids(job):
        return [r.any_of for r in registry.kind(job).requirements]

    assert ids("trace_advanced") == [
        (("property_address",),),
        (("property_city",),),
        (("property_state",),),
    ]
    assert (
        ("owner_first_name", "owner_last_name"),
        ("owner_full_name",),
        ("owner_company",),
    ) in ids("trace_normal")
    assert (("mailing_address",),) in ids("trace_normal")
    assert (("property_zip",),) not in ids("trace_normal")  # optional per the contract
    assert ids("apn") == [(("apn",),), (("property_county",),), (("property_state",),)]
    assert len(ids("dnc")[0]) == columns.MAX_PHONES


def test_missing_fields_for_normal_trace_accepts_full_name_instead_of_first_last():
    base = {
        "A": "property_address",
        "C": "property_city",
        "S": "property_state",
        "MA": "mailing_address",
        "MC": "mailing_city",
        "MS": "mailing_state",
    }
    assert [str(r) for r in missing_fields(base, "trace_normal")] == [
        "Owner first and last name (or owner full name, or a company or trust)"
    ]
    assert missing_fields({**base, "N": "owner_full_name"}, "trace_normal") == []
    assert missing_fields({**base, "F": "owner_first_name"}, "trace_normal") != []
    both = {**base, "F": "owner_first_name", "L": "owner_last_name"}
    assert missing_fields(both, "trace_normal") == []


def test_missing_fields_dnc_needs_any_phone():
    assert [str(r) for r in missing_fields({"A": "property_address"}, "dnc")] == [
        "At least one phone number"
    ]
    assert missing_fields({"P": "phone_7"}, "dnc") == []


def test_missing_fields_unknown_job_type():
    with pytest.raises(ValueError, match="unknown job type 'skip'"):
        missing_fields({}, "skip")


def test_row_mapper_splits_fields_and_extras():
    headers = ["Address", "Notes", "Phone 1"]
    mapper = RowMapper(headers, auto_map(headers))

    assert mapper.values(["1 Main", "call later", "5125550100"]) == {
        "property_address": "1 Main",
        "phone_1": "5125550100",
    }
    assert mapper.extras(["1 Main", "call later", "5125550100"]) == {"Notes": "call later"}
    assert mapper.source_columns == {"property_address": "Address", "phone_1": "Phone 1"}


def test_row_mapper_refuses_a_field_mapped_twice():
    with pytest.raises(ValueError, match="columns “A” and “B” are both mapped to Property city"):
        RowMapper(["A", "B"], {"A": "property_city", "B": "property_city"})


def test_row_mapper_refuses_unknown_fields():
    with pytest.raises(ValueError, match="unknown field"):
        RowMapper(["A"], {"A": "nope"})


# --------------------------------------------------------------------------------------
# Phone headers (issue 14: a plain phone list is auto-mapped for a DNC scrub)
# --------------------------------------------------------------------------------------

PHONE_SPELLINGS = [
    "Phone",
    "Phone 1",
    "Phone 2",
    "Phone 3",
    "Phone 4",
    "Phone 5",
    "Phone1",
    "phone_1",
    "PHONE-1",
    "Phone Number",
    "Phone Number 2",
    "Phone1 Number",
    "Phone #",
    "Primary Phone",
    "Secondary Phone",
    "Alternate Phone",
    "Other Phone",
    "Mobile",
    "Mobile Phone",
    "Mobile Phone 2",
    "Mobile Number",
    "Mobile-1",
    "mobile_1",
    "Cell",
    "Cell Phone",
    "Cellphone",
    "Cell #",
    "Cellular",
    "Wireless",
    "Wireless 2",
    "Wireless Phone",
    "Landline",
    "Land Line",
    "Landline 3",
    "Landline Phone",
    "Residential Phone",
    "Home Phone",
    "Home Phone 2",
    "home",
    "Work Phone",
    "Office Phone",
    "Business Phone",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "Phone (Mobile)",
    "Phone - Home",
    "Owner 1 Phone",
    "Owner Phone",
    "Owner 1 Mobile 2",
    "Contact Phone",
    "Contact 1 Phone 2",
    "Skiptraced Phone 1",
    "Tel",
    "Tel.",
    "Telephone",
    "Telephone Number",
    "Phone 1 - Value",
]


@pytest.mark.parametrize("header", PHONE_SPELLINGS)
def test_every_common_phone_spelling_is_a_phone(header):
    assert field_for_header(header) == "phone"


@pytest.mark.parametrize("header", PHONE_SPELLINGS)
def test_every_common_phone_spelling_is_mapped_for_a_dnc_scrub(header):
    mapping = auto_map(["Name", header, "Notes"])

    assert mapping == {"Name": "owner_full_name", header: "phone_1", "Notes": EXTRA}
    assert missing_fields(mapping, "dnc") == []


@pytest.mark.parametrize(
    ("header", "meaning"),
    [
        ("Phone 1 Type", "phone_type"),
        ("Phone1 Type", "phone_type"),
        ("phone_1_type", "phone_type"),
        ("Phone Type", "phone_type"),
        ("Phone Line Type", "phone_type"),
        ("Mobile Phone 1 Type", "phone_type"),
        ("Home Phone Type", "phone_type"),
        ("Phone 1 - Type", "phone_type"),
        ("Phone 1 - Label", "phone_type"),
        ("Phone 1 DNC", None),
        ("Phone DNC", None),
        ("phone_1_dnc", None),
        ("Phone 1 Carrier", None),
        ("Phone Carrier", None),
        ("Phone Verified", None),
        ("Phone 1 Status", None),
        ("Phone 1 Litigator", None),
        ("Phone 1 Last Seen", None),
        ("Phone Tags 1", None),
        ("Fax", None),
        ("Fax Number", None),
        ("Home Fax", None),
        ("Business Fax", None),
        ("Home Type", None),
        ("Home Value", None),
        ("Mobile Home", None),
        ("Home Office", None),
        ("Work", None),
        ("Office", None),
        ("Pager", None),
    ],
)
def test_columns_about_a_phone_are_not_phones(header, meaning):
    assert field_for_header(header) == meaning


def test_a_skip_traced_export_maps_phones_pairs_types_and_leaves_flags_extra():
    headers = [
        "Input First Name",
        "Input Last Name",
        "Phone 1",
        "Phone 1 Type",
        "Phone 1 DNC",
        "Phone 1 Carrier",
        "Phone 2",
        "Phone 2 Type",
        "Phone 2 DNC",
        "Fax",
        "Mobile-1",
        "Landline-1",
        "Home Phone",
        "Home Phone Type",
    ]
    mapping = auto_map(headers)

    assert mapping == {
        "Input First Name": "owner_first_name",
        "Input Last Name": "owner_last_name",
        "Phone 1": "phone_1",
        "Phone 1 Type": "phone_1_type",
        "Phone 1 DNC": EXTRA,
        "Phone 1 Carrier": EXTRA,
        "Phone 2": "phone_2",
        "Phone 2 Type": "phone_2_type",
        "Phone 2 DNC": EXTRA,
        "Fax": EXTRA,
        "Mobile-1": "phone_3",
        "Landline-1": "phone_4",
        "Home Phone": "phone_5",
        "Home Phone Type": "phone_5_type",
    }


def test_phone_mobile_home_and_work_all_map():
    mapping = auto_map(["Name", "phone_mobile", "phone_home", "phone_work"])

    assert mapping == {
        "Name": "owner_full_name",
        "phone_mobile": "phone_1",
        "phone_home": "phone_2",
        "phone_work": "phone_3",
    }
    assert missing_fields(mapping, "dnc") == []


def test_a_type_column_after_a_labelled_phone_pairs_with_it():
    mapping = auto_map(["Home Phone", "Home Phone Type", "Cell", "Cell Type"])

    assert mapping == {
        "Home Phone": "phone_1",
        "Home Phone Type": "phone_1_type",
        "Cell": "phone_2",
        "Cell Type": "phone_2_type",
    }


def test_home_type_in_a_property_list_is_not_taken_as_a_phone_type():
    mapping = auto_map(["Address", "City", "State", "Phone", "Home Type"])

    assert mapping["Phone"] == "phone_1"
    assert mapping["Home Type"] == EXTRA


@pytest.mark.parametrize(
    ("header", "label"),
    [
        ("phone_mobile", "mobile"),
        ("Mobile Phone 2", "mobile"),
        ("Cell #", "mobile"),
        ("Cellphone", "mobile"),
        ("Wireless 1", "mobile"),
        ("Owner 1 Mobile 2", "mobile"),
        ("Landline", "landline"),
        ("Land Line 2", "landline"),
        ("Residential Phone", "landline"),
        ("phone_home", "home"),
        ("Home", "home"),
        ("Home Phone", "home"),
        ("phone_work", "work"),
        ("Work Phone", "work"),
        ("Office Phone", "work"),
        ("Business Phone", "work"),
        ("Phone 1", ""),
        ("Primary Phone", ""),
        ("Other Phone", ""),
        ("Tel", ""),
        ("Notes", ""),
        ("Phone 1 Type", ""),
    ],
)
def test_phone_label_says_what_the_header_says_the_line_is(header, label):
    assert columns.phone_label(header) == label


def test_phone_columns_name_each_mapped_phone_its_header_and_label():
    mapping = {
        "phone_work": "phone_3",
        "Name": "owner_full_name",
        "phone_mobile": "phone_1",
        "Cell Type": "phone_1_type",
        "My numbers": "phone_2",
        "Fax": EXTRA,
    }

    assert columns.phone_columns(mapping) == [
        columns.PhoneColumn("phone_1", "phone_mobile", "mobile"),
        columns.PhoneColumn("phone_2", "My numbers", ""),
        columns.PhoneColumn("phone_3", "phone_work", "work"),
    ]
