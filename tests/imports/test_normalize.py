"""Cleaning values and rows: addresses, names, states, ZIPs, phones, emails, dedupe keys."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from leadops.imports import normalize as n
from leadops.imports.normalize import Cleaned
from leadops.imports.rows import RowError, normalize_row

# --------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("123 North Main Street", "123 N MAIN ST"),
        ("  123   n. main st.  ", "123 N MAIN ST"),
        ("123 Main Street, Apt #4", "123 MAIN ST APT 4"),
        ("123 Main St Apartment 4B", "123 MAIN ST APT 4B"),
        ("123 Main St #4", "123 MAIN ST # 4"),
        ("123 Main St Suite 200", "123 MAIN ST STE 200"),
        ("500 Park Avenue", "500 PARK AVE"),
        ("12 Court Street", "12 COURT ST"),
        ("77 Sunset Boulevard Unit 9", "77 SUNSET BLVD UNIT 9"),
        ("9 Main Street North", "9 MAIN ST N"),
        ("9 Southwest Oak Parkway", "9 SW OAK PKWY"),
        ("10 North Street", "10 NORTH ST"),
        ("10 West End Avenue", "10 W END AVE"),
        ("100 Avenue of the Americas", "100 AVENUE OF THE AMERICAS"),
        ("4 Elm Trail Rear", "4 ELM TRL REAR"),
        ("P.O. Box 123", "PO BOX 123"),
        ("POB 77", "PO BOX 77"),
        ("Post Office Box 9", "PO BOX 9"),
        ("221B Baker St", "221B BAKER ST"),
        ("123 1/2 Main St", "123 1/2 MAIN ST"),
        ("1 O'Farrell Street", "1 O'FARRELL ST"),
        ("RR 2 Box 10", "RR 2 BOX 10"),
    ],
)
def test_normalize_address(raw, clean):
    assert n.normalize_address(raw) == Cleaned(clean)


def test_address_is_idempotent():
    once = n.normalize_address("123 North Main Street, Apt #4").value
    assert n.normalize_address(once).value == once


def test_address_made_of_punctuation_is_an_error():
    assert n.normalize_address("--- ,,, ...") == Cleaned(
        "--- ,,, ...", "“--- ,,, ...” is not an address"
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Apt 4", "APT 4"), ("#4", "# 4"), ("4B", "# 4B"), ("Suite 12", "STE 12"), ("", "")],
)
def test_normalize_unit(raw, clean):
    assert n.normalize_unit(raw).value == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("St. Louis", "ST LOUIS"),
        ("  san   antonio ", "SAN ANTONIO"),
        ("Winston-Salem", "WINSTON-SALEM"),
    ],
)
def test_normalize_city(raw, clean):
    assert n.normalize_city(raw) == Cleaned(clean)


def test_city_that_is_a_number_is_an_error():
    assert n.normalize_city("78701") == Cleaned("78701", "“78701” is a number, not a city")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Palm Beach County", "PALM BEACH"), ("orleans parish", "ORLEANS"), ("Travis", "TRAVIS")],
)
def test_normalize_county(raw, clean):
    assert n.normalize_county(raw).value == clean


def test_normalize_apn():
    assert n.normalize_apn(" #00424109000007550 ") == Cleaned("00424109000007550")
    assert n.normalize_apn("123-456-78") == Cleaned("123-456-78")
    assert n.normalize_apn("1.23457E+11") == Cleaned(
        "1.23457E+11",
        "“1.23457E+11” was shortened to scientific notation by a spreadsheet, so its digits "
        "are lost; format the column as text and export again",
    )


# --------------------------------------------------------------------------------------
# States and ZIPs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("TX", "TX"),
        ("tx", "TX"),
        ("Texas", "TX"),
        ("new  york", "NY"),
        ("N.Y.", "NY"),
        ("District of Columbia", "DC"),
        ("Puerto Rico", "PR"),
        ("", ""),
    ],
)
def test_normalize_state(raw, code):
    assert n.normalize_state(raw) == Cleaned(code)


def test_unknown_state_is_an_error():
    assert n.normalize_state("Texass") == Cleaned(
        "Texass", "“Texass” is not a US state or territory"
    )


@pytest.mark.parametrize(
    ("raw", "state", "clean"),
    [
        ("78701", "TX", "78701"),
        ("78701-1234", "TX", "78701-1234"),
        ("78701 1234", "", "78701-1234"),
        ("787011234", "", "78701-1234"),
        ("2134", "MA", "02134"),
        ("2134.0", "MA", "02134"),
        ("2134-5678", "MA", "02134-5678"),
        ("21345678", "MA", "02134-5678"),
        ("6103", "CT", "06103"),
        ("7030", "NJ", "07030"),
        ("3801", "NH", "03801"),
        ("4101", "ME", "04101"),
        ("2903", "RI", "02903"),
        ("5401", "VT", "05401"),
        ("9012", "AE", "09012"),
        ("6390", "NY", "06390"),
        ("601", "PR", "00601"),
        ("802", "VI", "00802"),
        ("501", "NY", "00501"),
        ("2134", "", "02134"),
        ("", "MA", ""),
    ],
)
def test_normalize_zip(raw, state, clean):
    assert n.normalize_zip(raw, state=state) == Cleaned(clean)


@pytest.mark.parametrize(
    ("raw", "state", "error"),
    [
        ("2134", "TX", "“2134” has only 4 digits, and TX ZIP codes do not start with 0"),
        ("601", "MA", "“601” is not a valid ZIP code in MA, even with its leading zeros restored"),
        (
            "6103",
            "NJ",
            "“6103” is not a valid ZIP code in NJ, even with its leading zeros restored",
        ),
        ("123", "", "“123” is not a valid ZIP code, even with its leading zeros restored"),
        ("ABCDE", "TX", "“ABCDE” is not a valid ZIP code"),
        ("M5V 3L9", "", "“M5V 3L9” is not a valid ZIP code"),
        ("00000", "", "“00000” is not a valid ZIP code"),
        ("787012", "TX", "“787012” is not a valid ZIP code"),
    ],
)
def test_invalid_zip_is_flagged_not_dropped(raw, state, error):
    assert n.normalize_zip(raw, state=state) == Cleaned(raw, error)


def test_zip5():
    assert n.zip5("02134-5678") == "02134"


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("SMITH, JOHN", ("JOHN", "SMITH")),
        ("SMITH, JOHN A", ("JOHN", "SMITH")),
        ("Smith Jr, John", ("JOHN", "SMITH")),
        ("John A Smith", ("JOHN", "SMITH")),
        ("SMITH JOHN A", ("JOHN", "SMITH")),
        ("JOHN & JANE SMITH", ("JOHN", "SMITH")),
        ("SMITH, JOHN & JANE", ("JOHN", "SMITH")),
        ("Juan de la Cruz", ("JUAN", "DE LA CRUZ")),
        ("Ludwig van Beethoven", ("LUDWIG", "VAN BEETHOVEN")),
        ("Cher", None),
        ("ACME HOLDINGS LLC", None),
        ("SMITH FAMILY TRUST", None),
        ("", None),
    ],
)
def test_split_full_name(raw, parts):
    assert n.split_full_name(raw) == parts


def test_full_name_last_first_is_split_into_first_and_last():
    cleaned = n.normalize_full_name("SMITH, JOHN")

    assert cleaned.value == "John Smith"
    assert cleaned.derived == {"owner_first_name": "John", "owner_last_name": "Smith"}


def test_full_name_keeps_deliberate_mixed_case():
    cleaned = n.normalize_full_name("Ronald McDonald")

    assert cleaned.derived == {"owner_first_name": "Ronald", "owner_last_name": "McDonald"}


def test_full_name_company_is_kept_whole():
    assert n.normalize_full_name("Acme Holdings LLC") == Cleaned("ACME HOLDINGS LLC")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("JOHN", "John"),
        ("  mary  ann ", "Mary Ann"),
        ("O'BRIEN", "O'Brien"),
        ("SMITH-JONES", "Smith-Jones"),
        ("MCDONALD", "McDonald"),
        ("DeShawn", "DeShawn"),
        ("SMITH III", "Smith III"),
    ],
)
def test_first_and_last_name_case(raw, clean):
    assert n.normalize_first_name(raw) == Cleaned(clean)
    assert n.normalize_last_name(raw) == Cleaned(clean)


# --------------------------------------------------------------------------------------
# Phones and emails
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("5125550100", "+15125550100"),
        ("(512) 555-0100", "+15125550100"),
        ("512.555.0100", "+15125550100"),
        ("1-512-555-0100", "+15125550100"),
        ("+1 512 555 0100", "+15125550100"),
        ("5125550100.0", "+15125550100"),
        # Dots between the groups: a last group of zeros is digits, not a float's tail.
        ("512.207.0000", "+15122070000"),
        ("512-555-0100 x12", "+15125550100"),
        ("1 (800) 555-0100", "+18005550100"),
        ("", ""),
    ],
)
def test_normalize_phone(raw, e164):
    assert n.normalize_phone(raw) == Cleaned(e164)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("123-456-7890", "“123-456-7890” is not a valid US phone number"),
        ("555-0100", "“555-0100” is not a valid US phone number"),
        ("call me", "“call me” is not a phone number"),
        ("+44 20 7946 0958", "“+44 20 7946 0958” is not a US phone number"),
        (
            "5.12555E+09",
            "“5.12555E+09” was shortened to scientific notation by a spreadsheet, so its "
            "digits are lost",
        ),
    ],
)
def test_invalid_phone_is_flagged_not_dropped(raw, error):
    cleaned = n.normalize_phone(raw)

    assert cleaned.error == error
    assert cleaned.value == raw


def _phone_by_regexes(text: str) -> str | None:
    """What normalize_phone gave before its str.translate shortcut, for text without a dot
    or an E: the E.164 form, or None when invalid. Its regexes read plain punctuated
    digits; whatever else, or another length than ten, went to phonenumbers."""
    if n._PLAIN_PHONE_RE.fullmatch(text):
        digits = n._NON_DIGIT_RE.sub("", text)
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        elif text.startswith("+"):
            digits = ""
        if len(digits) == 10:
            return "+1" + digits if n._nanp_prefix_valid(digits[:6]) else None
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _read_alike(raw: str) -> None:
    expected = _phone_by_regexes(raw.strip())
    cleaned = n.normalize_phone(raw)
    assert (cleaned.value if cleaned.ok else None) == expected, raw


@pytest.mark.parametrize(
    "raw",
    [
        "512\t555\t0100",  # whitespace other than a space: the regex path
        "512\u00a0555\u00a00100",
        "+1 (512) 555-0100",
        "+ 512 555 0100",
        "++15125550100",
        "1+512-555-0100",
        "512 555 0100 +",
        "\u0665\u0661\u0662 555 0100",  # Arabic-Indic digits are decimal digits too
        "+",
        "()- ",
        "+44 20 7946 0958",
        "(123) 456-7890",
    ],
)
def test_punctuated_phones_read_as_the_regexes_read_them(raw):
    _read_alike(raw)


def test_random_punctuation_reads_as_the_regexes_read_it():
    rng = random.Random(20261130)
    for _ in range(3000):
        digits = f"{rng.randint(1000000000, 9999999999)}"
        text = "".join(ch + rng.choice(["", "", " ", "-", "(", ")", "\t", "+"]) for ch in digits)
        _read_alike(rng.choice(["", "+1", "1-", "+", " "]) + text)


def test_fast_phone_path_agrees_with_phonenumbers():
    rng = random.Random(20260105)
    for _ in range(3000):
        digits = f"{rng.randint(2000000000, 9999999999)}"
        expected = phonenumbers.is_valid_number(phonenumbers.parse(digits, "US"))
        assert n.normalize_phone(digits).ok == expected, digits


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Mobile", "mobile"),
        ("WIRELESS", "mobile"),
        ("Land Line", "landline"),
        ("VoIP", "voip"),
        ("Pager", "pager"),
        ("", ""),
    ],
)
def test_normalize_phone_type(raw, clean):
    assert n.normalize_phone_type(raw) == Cleaned(clean)


def test_normalize_email():
    assert n.normalize_email("  Jane.Doe@Example.COM ") == Cleaned("jane.doe@example.com")
    assert n.normalize_email("mailto:a@b.co") == Cleaned("a@b.co")
    assert n.normalize_email("jane@") == Cleaned("jane@", "“jane@” is not a valid email address")
    assert n.normalize_email("a@b") == Cleaned("a@b", "“a@b” is not a valid email address")


# --------------------------------------------------------------------------------------
# Dedupe keys
# --------------------------------------------------------------------------------------


def test_dedupe_key_is_stable_across_spellings():
    a = n.dedupe_key_for_address("123 North Main Street Apt 4", "Saint Louis", "Missouri", "63101")
    b = n.dedupe_key_for_address("123 N. Main St. #4", "St. Louis", "MO", "63101-1234")
    c = n.dedupe_key_for_address("123 n main st unit 4", "ST LOUIS", "mo", "63101")

    assert a == b == c == "123 N MAIN ST # 4|ST LOUIS|MO|63101"


def test_dedupe_key_restores_zip_zero_and_differs_by_unit():
    assert (
        n.dedupe_key_for_address("1 Elm St", "Boston", "MA", "2134") == "1 ELM ST|BOSTON|MA|02134"
    )
    assert n.dedupe_key_for_address("1 Elm St Apt 1", "Boston", "MA", "02134") != (
        n.dedupe_key_for_address("1 Elm St Apt 2", "Boston", "MA", "02134")
    )


def test_dedupe_key_without_street_is_empty():
    assert n.dedupe_key_for_address("", "Boston", "MA", "02134") == ""


def test_dedupe_key_ignores_invalid_zip():
    assert n.dedupe_key_for_address("1 Elm St", "Austin", "TX", "ABC") == "1 ELM ST|AUSTIN|TX|"


# --------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------

NORMAL_ROW = {
    "property_address": "123 North Main Street",
    "property_city": "Boston",
    "property_state": "Massachusetts",
    "property_zip": "2134",
    "owner_full_name": "SMITH, JOHN",
    "mailing_address": "PO Box 9",
    "mailing_city": "Boston",
    "mailing_state": "MA",
    "mailing_zip": "2101",
    "phone_1": "(617) 555-0100",
    "email_1": "John@Example.com",
}


def test_normalize_row_cleans_everything_and_is_usable():
    row = normalize_row(NORMAL_ROW, "trace_normal", line=7)

    assert row.usable
    assert row.errors == []
    assert row.line == 7
    assert row.values == {
        "property_state": "MA",
        "mailing_state": "MA",
        "property_address": "123 N MAIN ST",
        "property_city": "BOSTON",
        "property_zip": "02134",
        "owner_full_name": "John Smith",
        "owner_first_name": "John",
        "owner_last_name": "Smith",
        "mailing_address": "PO BOX 9",
        "mailing_city": "BOSTON",
        "mailing_zip": "02101",
        "phone_1": "+16175550100",
        "email_1": "john@example.com",
    }
    assert row.dedupe_key == "123 N MAIN ST|BOSTON|MA|02134"


def test_zip_zero_restoration_uses_the_rows_state():
    row = normalize_row({**NORMAL_ROW, "property_state": "TX"}, "trace_normal", line=3)

    assert row.usable  # ZIP is optional for a normal trace
    assert row.errors == [
        RowError(
            3,
            "Property ZIP",
            "2134",
            "“2134” has only 4 digits, and TX ZIP codes do not start with 0",
        )
    ]
    assert str(row.errors[0]) == (
        "Line 3, column “Property ZIP”: “2134” has only 4 digits, and TX ZIP codes do not "
        "start with 0"
    )
    assert row.dedupe_key == "123 N MAIN ST|BOSTON|TX|"


def test_a_row_error_names_a_far_line_with_thousands_separators():
    row = normalize_row({**NORMAL_ROW, "property_state": "TX"}, "trace_normal", line=12_850)
    assert str(row.errors[0]).startswith("Line 12,850, column “Property ZIP”: ")


def test_errors_name_the_users_column_and_line():
    row = normalize_row(
        {"property_address": "1 Elm St", "property_city": "Austin", "property_state": "Texass"},
        "trace_advanced",
        line=12,
        columns={"property_state": "SITUS ST"},
    )

    assert not row.usable
    assert [str(e) for e in row.errors] == [
        "Line 12, column “SITUS ST”: “Texass” is not a US state or territory"
    ]
    assert row.errors[0].value == "Texass"


def test_advanced_trace_keeps_a_row_with_only_address_city_state():
    row = normalize_row(
        {
            "property_address": "1 Elm St",
            "property_city": "Austin",
            "property_state": "TX",
            "owner_full_name": "",
            "phone_1": "not a phone",
        },
        "trace_advanced",
        line=4,
    )

    assert row.usable
    assert [str(e) for e in row.errors] == [
        "Line 4, column “Phone 1”: “not a phone” is not a phone number"
    ]


def test_normal_trace_needs_owner_and_mailing_and_says_so():
    row = normalize_row(
        {
            "property_address": "1 Elm St",
            "property_city": "Austin",
            "property_state": "TX",
            "owner_first_name": "Jane",
            "owner_last_name": "",
            "mailing_address": "1 Elm St",
            "mailing_city": "Austin",
        },
        "trace_normal",
        line=9,
        columns={"owner_last_name": "Last"},
    )

    assert not row.usable
    assert [str(e) for e in row.errors] == [
        "Line 9, column “Owner first and last name (or owner full name, or a company or "
        "trust)”: is empty; a normal trace needs it",
        "Line 9, column “Mailing state”: is empty; a normal trace needs it",
    ]


def test_normal_trace_with_one_word_owner_explains_advanced_trace():
    row = normalize_row(
        {**NORMAL_ROW, "owner_full_name": "MADONNA"},
        "trace_normal",
        line=5,
        columns={"owner_full_name": "OWNER NAME"},
    )

    assert not row.usable
    assert [str(e) for e in row.errors] == [
        "Line 5, column “OWNER NAME”: “MADONNA” is not one person's first and last "
        "name; a normal trace needs them (an advanced trace finds the owner itself)"
    ]


def test_dnc_row_needs_one_valid_phone():
    good = normalize_row({"phone_1": "bad", "phone_2": "512-555-0100"}, "dnc", line=2)
    bad = normalize_row({"phone_1": "bad", "phone_2": ""}, "dnc", line=3)
    empty = normalize_row({"phone_1": ""}, "dnc", line=4)

    assert good.usable
    assert good.values["phone_2"] == "+15125550100"
    assert [str(e) for e in good.errors] == [
        "Line 2, column “Phone 1”: “bad” is not a phone number"
    ]
    assert not bad.usable
    assert [str(e) for e in bad.errors] == ["Line 3, column “Phone 1”: “bad” is not a phone number"]
    assert not empty.usable
    assert [str(e) for e in empty.errors] == [
        "Line 4, column “Phone 1”: is empty; a DNC scrub needs it"
    ]


def test_apn_row():
    row = normalize_row(
        {
            "apn": "#00424109000007550",
            "property_county": "Palm Beach County",
            "property_state": "FL",
        },
        "apn",
        line=2,
    )

    assert row.usable
    assert row.values == {
        "property_state": "FL",
        "apn": "00424109000007550",
        "property_county": "PALM BEACH",
    }
    assert row.dedupe_key == ""


def test_unit_column_is_appended_to_the_street_line():
    row = normalize_row(
        {
            "property_address": "1 Elm Street",
            "property_unit": "4",
            "property_city": "Austin",
            "property_state": "TX",
        },
        "trace_advanced",
    )

    assert row.values["property_address"] == "1 ELM ST # 4"
    assert row.values["property_unit"] == "# 4"
    assert row.dedupe_key == "1 ELM ST # 4|AUSTIN|TX|"


def test_one_line_address_drops_the_repeated_city():
    row = normalize_row(
        {
            "property_address": "123 Main Street, Austin, TX 78701",
            "property_city": "Austin",
            "property_state": "TX",
        },
        "trace_advanced",
    )

    assert row.values["property_address"] == "123 MAIN ST"


def test_first_and_last_columns_win_over_the_split_full_name():
    row = normalize_row(
        {**NORMAL_ROW, "owner_first_name": "Johnny", "owner_last_name": "Smythe"},
        "trace_normal",
    )

    assert row.values["owner_first_name"] == "Johnny"
    assert row.values["owner_last_name"] == "Smythe"


def test_error_without_a_line_number():
    row = normalize_row({"email_1": "nope"}, "dnc")

    assert str(row.errors[0]) == "Email 1: “nope” is not a valid email address"


def test_normalize_row_rejects_unknown_job_and_field():
    with pytest.raises(ValueError, match="unknown job type 'skip'"):
        normalize_row({}, "skip")
    with pytest.raises(ValueError, match="unknown field 'shoe_size'"):
        normalize_row({"shoe_size": "9"}, "dnc")
