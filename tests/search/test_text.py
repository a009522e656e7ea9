"""How records and queries become comparable text (no database)."""

import pytest

from leadops.search.registry import IndexRow
from leadops.search.text import indexed, parse_query


@pytest.mark.parametrize(
    "typed",
    [
        "(212) 555-0142",
        "2125550142",
        "+1 212 555 0142",
        "1-212-555-0142",
        "212.555.0142",
        "+12125550142",
    ],
)
def test_every_phone_spelling_is_the_same_ten_digits(typed):
    query = parse_query(typed)
    assert query.ok and query.number
    assert query.words == (("2125550142",),)


def test_part_of_a_phone_is_searched_as_typed():
    assert parse_query("555-0142").words == (("5550142",),)
    assert parse_query("+1 212").words == (("212",),)


def test_address_words_match_their_usps_form_and_units_are_left_out():
    query = parse_query("123 North Main Street, Apt 4")
    assert query.words == (("123",), ("NORTH", "N"), ("MAIN",), ("STREET", "ST"), ("4",))


def test_a_word_with_digits_loses_its_punctuation():
    assert parse_query("APN 03145-0042").words == (("APN",), ("031450042",))


def test_owner_words_keep_their_letters_only():
    assert parse_query("O'Brien, john").words == (("O",), ("BRIEN",), ("JOHN",))


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("12", "at least three digits"),
        ("Li Wu", "at least one word of three"),
        ("!!", "Type an address"),
    ],
)
def test_queries_that_cannot_be_searched_say_why(typed, problem):
    query = parse_query(typed)
    assert not query.ok
    assert problem in query.problem


def test_an_empty_query_is_nothing_to_search():
    assert not parse_query("   ").ok
    assert parse_query("   ").problem == ""


def test_one_property_written_two_ways_has_one_record_key():
    a = indexed(IndexRow(1, "123 North Main Street", "Saint Louis", "MO", "63101-1234"))
    b = indexed(IndexRow(2, "123 N MAIN ST", "St. Louis", "mo", "63101"))
    other = indexed(IndexRow(3, "125 N MAIN ST", "St. Louis", "MO", "63101"))
    assert a.record_key == b.record_key != other.record_key
    assert a.record_key.startswith("p")


def test_the_document_holds_each_section_normalized():
    entry = indexed(
        IndexRow(
            1,
            "123 North Main Street",
            "Austin",
            "TX",
            "78701",
            owners=("John O'Brien", "", "John O'Brien", "ACME Holdings LLC"),
            phones=("(512) 555-0142", "not a phone", "+1 512 555 0142", "5125550143"),
            apn="03145-0042",
        )
    )
    assert entry.document == (
        "123 N MAIN ST AUSTIN TX 78701 | JOHN O BRIEN ACME HOLDINGS LLC"
        " | 5125550142 5125550143 | 031450042"
    )
    assert entry.owner == "John O'Brien · ACME Holdings LLC"
    assert entry.phones == "+15125550142 +15125550143"
    assert entry.address == "123 North Main Street, Austin, TX 78701"


def test_without_an_address_a_row_is_keyed_by_its_phone_then_its_owner():
    by_phone = indexed(IndexRow(1, phones=("512-555-0142",), owners=("Pat",)))
    assert by_phone.record_key == "t5125550142"
    by_owner = indexed(IndexRow(2, owners=("Pat Smith",)))
    assert by_owner.record_key.startswith("o")
    assert indexed(IndexRow(3, phones=("nope",))) is None


def test_matched_on_names_the_sections_holding_the_words():
    entry = indexed(IndexRow(1, "12 Oak Ave", "Austin", "TX", "78701", owners=("Oak Trust",)))
    assert parse_query("oak").matched_on(entry.document) == ["address", "owner"]
    assert parse_query("78701").matched_on(entry.document) == ["address"]
