"""The LeadOps field table: what a spreadsheet column can mean, and how headers map to it.

A field knows its identifier, label, group, the header spellings the common list exports
use for it (PropStream, REISift, BatchLeads, DealMachine, county assessor exports) and how
to clean a value. The mapping form, auto-mapping, cleaning and the kinds' checks all read
this one table, so adding a synonym or a field happens here and nowhere else.

Header matching ignores case, punctuation, spaces and underscores: "Owner 1 First Name",
"owner_1_first_name" and "OWNER1FIRSTNAME" are the same header.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from leadops.imports import normalize
from leadops.imports.normalize import Cleaned

__all__ = [
    "ANY_PHONE",
    "EXTRA",
    "FIELDS",
    "FIELDS_BY_ID",
    "MAX_EMAILS",
    "MAX_PHONES",
    "OWNER_NAME",
    "PHONE_FIELDS",
    "Field",
    "FieldGroup",
    "PhoneColumn",
    "Requirement",
    "RowMapper",
    "auto_map",
    "best_preset",
    "field_for_header",
    "header_key",
    "phone_columns",
    "phone_label",
    "required",
]

EXTRA = "extra"
MAX_PHONES = 10
MAX_EMAILS = 5


class FieldGroup(enum.StrEnum):
    PROPERTY = "property"
    OWNER = "owner"
    MAILING = "mailing"
    PHONE = "phone"
    EMAIL = "email"
    EXTRA = "extra"


@dataclass(frozen=True, slots=True)
class Field:
    """One thing a column can be. ``synonyms`` are header spellings, best match first."""

    id: str
    label: str
    group: FieldGroup
    cleaner: Callable[[str], Cleaned]
    synonyms: tuple[str, ...] = ()

    def clean(self, value: str) -> Cleaned:
        """Normalise one raw cell; an unusable value comes back with ``error`` set."""
        return self.cleaner(value)


def header_key(header: str) -> str:
    """The comparison form of a header: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", header.casefold().replace("&", "and"))


def _text(value: str) -> Cleaned:
    return Cleaned(" ".join(value.split()))


_FIXED: tuple[Field, ...] = (
    Field(
        "property_address",
        "Property address",
        FieldGroup.PROPERTY,
        normalize.normalize_address,
        (
            "Property Address",
            "Address",
            "property_address_line_1",
            "Property Street Address",
            "Property Street",
            "Site Address",
            "SITUS ADDRESS",
            "Situs Addr",
            "Situs Street",
            "Street Address",
            "Address Line 1",
            "Address 1",
            "Street",
            "Property Address Full",
            "property_address_full",
            "Situs",
            "Location Address",
            "Physical Address",
        ),
    ),
    Field(
        "property_unit",
        "Property unit",
        FieldGroup.PROPERTY,
        normalize.normalize_unit,
        (
            "Unit #",
            "Unit",
            "Unit Number",
            "Property Unit",
            "Property Unit #",
            "property_address_line_2",
            "Address Line 2",
            "Address 2",
            "Situs Unit",
            "Apt",
        ),
    ),
    Field(
        "property_city",
        "Property city",
        FieldGroup.PROPERTY,
        normalize.normalize_city,
        (
            "Property City",
            "City",
            "property_address_city",
            "Site City",
            "SITUS CITY",
            "Situs City Name",
            "Prop City",
            "Location City",
        ),
    ),
    Field(
        "property_state",
        "Property state",
        FieldGroup.PROPERTY,
        normalize.normalize_state,
        (
            "Property State",
            "State",
            "property_address_state",
            "Site State",
            "SITUS STATE",
            "Prop State",
            "ST",
            "Location State",
        ),
    ),
    Field(
        "property_zip",
        "Property ZIP",
        FieldGroup.PROPERTY,
        normalize.normalize_zip,
        (
            "Property Zip",
            "Zip",
            "Zip Code",
            "Zipcode",
            "Property Zip Code",
            "property_address_zipcode",
            "property_address_zip",
            "Postal Code",
            "Zip5",
            "Site Zip",
            "SITUS ZIP",
            "Situs Zip Code",
            "Prop Zip",
            "Location Zip",
        ),
    ),
    Field(
        "property_county",
        "County",
        FieldGroup.PROPERTY,
        normalize.normalize_county,
        (
            "County",
            "Property County",
            "property_address_county",
            "County Name",
            "SITUS COUNTY",
        ),
    ),
    Field(
        "apn",
        "APN / parcel number",
        FieldGroup.PROPERTY,
        normalize.normalize_apn,
        (
            "APN",
            "PARCEL NUMBER",
            "Parcel ID",
            "Parcel",
            "Parcel No",
            "Parcel #",
            "Parcel Number Formatted",
            "APN Formatted",
            "Assessor Parcel Number",
            "Assessors Parcel Number",
            "Tax ID",
            "Folio",
            "PIN",
        ),
    ),
    Field(
        "owner_first_name",
        "Owner first name",
        FieldGroup.OWNER,
        normalize.normalize_first_name,
        (
            "Owner First Name",
            "Owner 1 First Name",
            "owner_1_firstname",
            "owner_1_first_name",
            "First Name",
            "Firstname",
            "First",
            "Owner First",
            "Contact First Name",
            "Input First Name",
        ),
    ),
    Field(
        "owner_last_name",
        "Owner last name",
        FieldGroup.OWNER,
        normalize.normalize_last_name,
        (
            "Owner Last Name",
            "Owner 1 Last Name",
            "owner_1_lastname",
            "owner_1_last_name",
            "Last Name",
            "Lastname",
            "Last",
            "Owner Last",
            "Contact Last Name",
            "Input Last Name",
        ),
    ),
    Field(
        "owner_full_name",
        "Owner full name",
        FieldGroup.OWNER,
        normalize.normalize_full_name,
        (
            "Owner Name",
            "OWNER NAME",
            "Owner 1 Name",
            "owner_1_name",
            "Owner 1 Full Name",
            "Owner Full Name",
            "Owner",
            "Owner 1",
            "Owner Names",
            "Full Name",
            "Name",
            "Primary Owner",
            "Taxpayer Name",
            "Contact Name",
            "OWNER NAME 1",
        ),
    ),
    Field(
        "owner_company",
        "Owner company / trust",
        FieldGroup.OWNER,
        normalize.normalize_company,
        (
            "Owner Company",
            "Company",
            "Company Name",
            "Owner Company Name",
            "Business Name",
            "Owner Business Name",
            "Corporation Name",
            "Entity Name",
            "Owner Entity Name",
            "Trust Name",
        ),
    ),
    Field(
        "mailing_address",
        "Mailing address",
        FieldGroup.MAILING,
        normalize.normalize_address,
        (
            "Mailing Address",
            "Mail Address",
            "MAIL ADDR",
            "MAIL ADDR 1",
            "Mailing Address 1",
            "Mailing Address Line 1",
            "Mailing Street",
            "Mailing Street Address",
            "Mail Street",
            "owner_mailing_address",
            "Owner Mailing Address",
            "owner_address_line_1",
            "Owner Address",
            "owner_address_full",
            "Tax Mailing Address",
        ),
    ),
    Field(
        "mailing_unit",
        "Mailing unit",
        FieldGroup.MAILING,
        normalize.normalize_unit,
        (
            "Mailing Unit #",
            "Mailing Unit",
            "Mail Unit",
            "MAIL ADDR 2",
            "Mailing Address 2",
            "Mailing Address Line 2",
            "owner_address_line_2",
        ),
    ),
    Field(
        "mailing_city",
        "Mailing city",
        FieldGroup.MAILING,
        normalize.normalize_city,
        (
            "Mailing City",
            "Mail City",
            "MAIL CITY",
            "Owner Mailing City",
            "owner_mailing_city",
            "owner_address_city",
            "Owner City",
        ),
    ),
    Field(
        "mailing_state",
        "Mailing state",
        FieldGroup.MAILING,
        normalize.normalize_state,
        (
            "Mailing State",
            "Mail State",
            "MAIL STATE",
            "Owner Mailing State",
            "owner_mailing_state",
            "owner_address_state",
            "Owner State",
        ),
    ),
    Field(
        "mailing_zip",
        "Mailing ZIP",
        FieldGroup.MAILING,
        normalize.normalize_zip,
        (
            "Mailing Zip",
            "Mailing Zip Code",
            "Mailing Zipcode",
            "Mail Zip",
            "MAIL ZIP",
            "Mail Zip Code",
            "Mailing Postal Code",
            "Mailing Zip5",
            "Owner Mailing Zip",
            "owner_mailing_zip",
            "owner_address_zip",
            "owner_address_zipcode",
            "Owner Zip",
        ),
    ),
)

_PHONES = tuple(
    field
    for n in range(1, MAX_PHONES + 1)
    for field in (
        Field(f"phone_{n}", f"Phone {n}", FieldGroup.PHONE, normalize.normalize_phone),
        Field(
            f"phone_{n}_type",
            f"Phone {n} type",
            FieldGroup.PHONE,
            normalize.normalize_phone_type,
        ),
    )
)
_EMAILS = tuple(
    Field(f"email_{n}", f"Email {n}", FieldGroup.EMAIL, normalize.normalize_email)
    for n in range(1, MAX_EMAILS + 1)
)
_EXTRA_FIELD = Field(EXTRA, "Keep as extra column", FieldGroup.EXTRA, _text)

FIELDS: tuple[Field, ...] = (*_FIXED, *_PHONES, *_EMAILS, _EXTRA_FIELD)
FIELDS_BY_ID: dict[str, Field] = {field.id: field for field in FIELDS}


def _synonym_index() -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for field in _FIXED:
        for rank, synonym in enumerate((field.label, *field.synonyms)):
            key = header_key(synonym)
            owner = index.get(key)
            if owner is not None and owner[0] != field.id:
                raise ValueError(f"header {synonym!r} is a synonym of two fields")
            if owner is None:
                index[key] = (field.id, rank)
    return index


_SYNONYMS = _synonym_index()

# Numbered contact columns vary too much to list: "Phone 1", "Mobile 2", "Wireless 3",
# "contact1_phone2", "Phone Number", "Primary Phone", "Home Phone", "phone_mobile",
# "Phone (Work)", "Mobile-1", "Phone 1 - Value"…; their own number is only used to pair a
# type column with its phone. A header is a phone when, after an optional owner/contact
# prefix, it is a phone word ("phone", "telephone", "tel") with an optional line word
# before or after it, or a line word that means a phone on its own ("Mobile", "Cell",
# "Home"), then optionally a number and "number"/"no"/"value". Anything after that (a
# type, "DNC", carrier, status, litigator flag…) makes it another column: those are
# about a phone, not a phone. Fax and pager numbers are not phones to call or scrub.
_PREFIX = r"(?:owner\d?|contact\d?|primary|input|skiptraced?|owner\d?contact\d?)?"
# What the line word says the phone is; "" for words that only rank it ("Other Phone").
_LINE_LABELS = {
    "mobile": "mobile",
    "cellular": "mobile",
    "cell": "mobile",
    "wireless": "mobile",
    "landline": "landline",
    "residential": "landline",
    "home": "home",
    "work": "work",
    "office": "work",
    "business": "work",
    "secondary": "",
    "alternate": "",
    "alt": "",
    "other": "",
}
# Line words that name a phone column by themselves ("Work", "Office" do not).
_BARE_LINES = ("mobile", "cellular", "cell", "wireless", "landline", "home")
_LINE = "|".join(sorted(_LINE_LABELS, key=len, reverse=True))
_PHONE_WORD = r"(?:telephone|phone|tel)"
_PHONE_RE = re.compile(
    rf"^{_PREFIX}(?:(?P<before>{_LINE})?{_PHONE_WORD}(?P<after>{_LINE})?"
    r"(?P<n1>\d*)(?:number|num|no|value)?(?P<n2>\d*)"
    rf"|(?P<bare>{'|'.join(_BARE_LINES)})(?P<n3>\d*)(?:number|num|no)?(?P<n4>\d*))$"
)
# "Home Type" is a property's type, so "home" alone does not start a type column.
_TYPE_LINES = "|".join(line for line in _BARE_LINES if line != "home")
_PHONE_TYPE_RE = re.compile(
    rf"^{_PREFIX}(?:(?:{_LINE})?{_PHONE_WORD}|{_TYPE_LINES})"
    r"(?P<n1>\d*)(?:number)?(?:line)?(?:type|label)(?P<n2>\d*)$"
)
# Only "email…": "Mail" and "Mailing" mean post.
_EMAIL_RE = re.compile(rf"^{_PREFIX}email(?:address)?(\d*)$")


def field_for_header(header: str) -> str | None:
    """What a header means: a field id, ``"phone"``, ``"phone_type"``, ``"email"`` or None.

    Numbered contact fields come back as their family because the slot (phone_1,
    phone_2, …) depends on the other headers; see :func:`auto_map`.
    """
    key = header_key(header)
    if not key:
        return None
    known = _SYNONYMS.get(key)
    if known is not None:
        return known[0]
    if _PHONE_TYPE_RE.match(key):
        return "phone_type"
    if _PHONE_RE.match(key):
        return "phone"
    if _EMAIL_RE.match(key):
        return "email"
    return None


def phone_label(header: str) -> str:
    """What a phone column's header says its numbers are: ``mobile``, ``landline``,
    ``home``, ``work``, or ``""`` when it does not say (or the header is not a phone).

    "phone_mobile", "Cell #" and "Wireless 2" are ``mobile``; "Residential Phone" is
    ``landline``; "Office Phone" and "Business Phone" are ``work``. A type column
    (``phone_N_type``) says the same per row; this says it once for the whole column.
    """
    match = _PHONE_RE.match(header_key(header))
    if match is None:
        return ""
    line = match.group("before") or match.group("after") or match.group("bare") or ""
    return _LINE_LABELS.get(line, "")


@dataclass(frozen=True, slots=True)
class PhoneColumn:
    """A phone field of a mapping, the column it is read from and that column's label."""

    field: str
    header: str
    label: str


def phone_columns(mapping: Mapping[str, str]) -> list[PhoneColumn]:
    """Each phone field a header mapping fills (``phone_1`` first), with its source column
    and :func:`phone_label`: where each of a row's phones came from (``ImportBatch.mapping``
    is such a mapping)."""
    found = [
        PhoneColumn(target, header, phone_label(header))
        for header, target in mapping.items()
        if target in PHONE_FIELDS
    ]
    return sorted(found, key=lambda column: PHONE_FIELDS.index(column.field))


def _header_number(key: str, pattern: re.Pattern[str]) -> str:
    match = pattern.match(key)
    if match is None:
        return ""
    numbers = (value for name, value in match.groupdict().items() if name[0] == "n" and value)
    return next(numbers, "")


def _preset_applies(preset: Mapping[str, str], keys: Collection[str]) -> bool:
    return bool(preset) and all(header_key(header) in keys for header in preset)


def best_preset(headers: Sequence[str], presets: Sequence[Mapping[str, str]]) -> int | None:
    """The index of the preset :func:`auto_map` applies whole, or None.

    A preset applies when all its headers are in the file; the one with most headers
    wins, the earliest on a tie (so pass the most recent first).
    """
    keys = {header_key(header) for header in headers}
    applicable = [index for index, preset in enumerate(presets) if _preset_applies(preset, keys)]
    return max(applicable, key=lambda index: len(presets[index])) if applicable else None


def auto_map(headers: Sequence[str], presets: Iterable[Mapping[str, str]] = ()) -> dict[str, str]:
    """Map every header to a field id or ``EXTRA``, each field used at most once.

    Order of evidence: a saved preset whose headers are all in this file (the one with
    the most headers wins; earlier presets win ties, so pass the most recent first),
    then the synonym table (best-ranked synonym first, so "Property Address" beats
    "Address" for the property address when both exist), then numbered phones and emails
    in column order, then any preset's choice for a header of the same name.
    """
    presets = [dict(preset) for preset in presets]
    mapping: dict[str, str] = {}
    used: set[str] = set()

    def assign(header: str, target: str) -> None:
        mapping[header] = target
        if target != EXTRA:
            used.add(target)

    best = best_preset(headers, presets)
    if best is not None:
        by_key = {header_key(header): target for header, target in presets[best].items()}
        for header in headers:
            target = by_key.get(header_key(header))
            if target in FIELDS_BY_ID and (target == EXTRA or target not in used):
                assign(header, target)

    candidates = []
    for position, header in enumerate(headers):
        known = _SYNONYMS.get(header_key(header))
        if header not in mapping and known is not None:
            candidates.append((known[1], position, header, known[0]))
    for _rank, _position, header, field_id in sorted(candidates):
        if header not in mapping and field_id not in used:
            assign(header, field_id)

    _map_contacts(headers, mapping, used, assign)

    for preset in presets:
        by_key = {header_key(header): target for header, target in preset.items()}
        for header in headers:
            target = by_key.get(header_key(header))
            if header in mapping or target in (None, EXTRA) or target in used:
                continue
            if target in FIELDS_BY_ID:
                assign(header, target)

    for header in headers:
        mapping.setdefault(header, EXTRA)
    return {header: mapping[header] for header in headers}


def _map_contacts(
    headers: Sequence[str],
    mapping: dict[str, str],
    used: set[str],
    assign: Callable[[str, str], None],
) -> None:
    """Number phones and emails in column order and pair each type column with its phone."""
    phone_slots = (f"phone_{n}" for n in range(1, MAX_PHONES + 1) if f"phone_{n}" not in used)
    email_slots = (f"email_{n}" for n in range(1, MAX_EMAILS + 1) if f"email_{n}" not in used)
    phone_by_number: dict[str, str] = {}
    phone_order: list[tuple[int, str]] = []
    type_headers: list[tuple[int, str]] = []
    for position, header in enumerate(headers):
        if header in mapping:
            target = mapping[header]
            if re.fullmatch(r"phone_\d+", target):
                phone_order.append((position, target))
            continue
        family = field_for_header(header)
        key = header_key(header)
        if family == "phone":
            slot = next(phone_slots, None)
            if slot is not None:
                assign(header, slot)
                phone_order.append((position, slot))
                phone_by_number.setdefault(_header_number(key, _PHONE_RE), slot)
        elif family == "email":
            slot = next(email_slots, None)
            if slot is not None:
                assign(header, slot)
        elif family == "phone_type":
            type_headers.append((position, header))
    for position, header in type_headers:
        number = _header_number(header_key(header), _PHONE_TYPE_RE)
        phone = phone_by_number.get(number) if number else None
        if phone is None or f"{phone}_type" in used:
            earlier = [slot for pos, slot in phone_order if pos < position]
            phone = next((s for s in reversed(earlier) if f"{s}_type" not in used), None)
        if phone is not None and f"{phone}_type" not in used:
            assign(header, f"{phone}_type")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One thing a job needs: satisfied when every field of any one alternative is there."""

    label: str
    any_of: tuple[tuple[str, ...], ...]

    def satisfied_by(self, present: Collection[str]) -> bool:
        present = present if isinstance(present, set | frozenset) else set(present)
        return any(present.issuperset(option) for option in self.any_of)

    def __str__(self) -> str:
        return self.label


def required(field_id: str) -> Requirement:
    """A requirement met by one field, labelled like the field."""
    return Requirement(FIELDS_BY_ID[field_id].label, ((field_id,),))


# Requirements several kinds of upload share.
OWNER_NAME = Requirement(
    "Owner first and last name (or owner full name, or a company or trust)",
    (("owner_first_name", "owner_last_name"), ("owner_full_name",), ("owner_company",)),
)
ANY_PHONE = Requirement(
    "At least one phone number", tuple((f"phone_{n}",) for n in range(1, MAX_PHONES + 1))
)
PHONE_FIELDS: tuple[str, ...] = tuple(f"phone_{n}" for n in range(1, MAX_PHONES + 1))


class RowMapper:
    """Apply a header mapping to row cells quickly (indexes resolved once per file)."""

    def __init__(self, headers: Sequence[str], mapping: Mapping[str, str]) -> None:
        unknown = sorted({target for target in mapping.values() if target not in FIELDS_BY_ID})
        if unknown:
            raise ValueError(f"unknown field(s) in mapping: {', '.join(unknown)}")
        self.field_columns: list[tuple[int, str]] = []
        self.extra_columns: list[tuple[int, str]] = []
        self.source_columns: dict[str, str] = {}
        for index, header in enumerate(headers):
            target = mapping.get(header, EXTRA)
            if target == EXTRA:
                self.extra_columns.append((index, header))
                continue
            if target in self.source_columns:
                raise ValueError(
                    f"columns “{self.source_columns[target]}” and “{header}” are both "
                    f"mapped to {FIELDS_BY_ID[target].label}"
                )
            self.source_columns[target] = header
            self.field_columns.append((index, target))

    def values(self, cells: Sequence[str]) -> dict[str, str]:
        """Raw cell text for each mapped field."""
        return {field_id: cells[index] for index, field_id in self.field_columns}

    def extras(self, cells: Sequence[str]) -> dict[str, str]:
        """Cells of the columns kept as extras, by header."""
        return {header: cells[index] for index, header in self.extra_columns}
