"""Tracerfy lead builder: strategies, the free preview, the charged build (also the
lead_list webhook), its rows, the single-address lookup, address autocomplete and the AI
assistant that writes a build spec from a prompt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import msgspec
import orjson

from ..errors import ParseError
from ..parsing import (
    JsonShape,
    as_list,
    as_mapping,
    json_field,
    opt_bool,
    opt_dict,
    opt_float,
    opt_int,
    opt_list,
    opt_str,
    read_fields,
    req_bool,
    req_int,
    req_str,
)
from .common import Email, MailingAddress, Phone

PROPENSITY_VERTICALS = ("sell", "refi", "roof_renovate", "hvac_renovate", "solar_renovate")


def _label(data: Mapping[str, Any], values: dict[str, Any]) -> str:
    return opt_str(data, "label") or values["key"]


@dataclass(frozen=True)
class Strategy(JsonShape):
    json_name = "strategy"

    key: str
    label: str = json_field(reader=_label)
    description: str = ""
    default_filters: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def list_from_json(data: Any) -> tuple[Strategy, ...]:
        data = as_mapping(data, "filters")
        return tuple(Strategy.from_json(s) for s in as_list(data.get("strategies"), "strategies"))


def _pins(data: Mapping[str, Any]) -> tuple[tuple[float, float], ...]:
    pins = []
    for pin in opt_list(data, "pins"):
        pin = as_mapping(pin, "pin")
        lat, lon = opt_float(pin, "latitude"), opt_float(pin, "longitude")
        if lat is not None and lon is not None:
            pins.append((lat, lon))
    return tuple(pins)


@dataclass(frozen=True)
class LeadPreview(JsonShape):
    """Free preview: matches, the capped count you would pay for, and the ceiling cost."""

    json_name = "preview"

    count: int
    capped_count: int
    requested_count: int
    max_credit_cost: int
    max_credit_cost_usd: float | None = None
    strategy: str = ""
    strategy_label: str = ""
    filters_applied: dict[str, Any] = field(default_factory=dict)
    pins: tuple[tuple[float, float], ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> LeadPreview:
        data = as_mapping(data, cls.json_name)
        return cls(**read_fields(cls, data, pins=_pins(data)))  # pins come first


@dataclass(frozen=True)
class LeadBuildAccepted(JsonShape):
    """Answer (202) to ``POST lead-builder/execute/``."""

    json_name = "execute acknowledgement"

    id: int
    status: str = "pending"
    progress_stage: str = ""
    created_at: dt.datetime | None = None
    requested_count: int | None = None
    max_credit_cost: int | None = None
    poll_url: str = ""


@dataclass(frozen=True)
class LeadListStatus(JsonShape):
    """``GET lead-builder/<id>/`` and the lead_list webhook (which has ``pending``, not
    ``status``)."""

    json_name = "lead list"

    id: int
    status: str
    name: str = ""
    strategy: str = ""
    strategy_label: str = ""
    source: str = ""
    progress_stage: str = ""
    progress_percent: int | None = None
    requested_count: int | None = None
    actual_count: int | None = None
    credits_deducted: int | None = None
    download_url: str | None = None
    error_message: str = ""
    created_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    poll_url: str = ""

    @property
    def is_complete(self) -> bool:
        return self.status in ("complete", "completed")

    @classmethod
    def from_json(cls, data: Any) -> LeadListStatus:
        data = as_mapping(data, cls.json_name)
        status = opt_str(data, "status")
        if not status:
            status = "pending" if req_bool(data, "pending") else "complete"
        return cls(**read_fields(cls, data, status=status))


@dataclass(frozen=True)
class PropensityFactor(JsonShape):
    json_name = "propensity factor"

    name: str
    points: int
    reason: str = ""


@dataclass(frozen=True)
class PropensityScore:
    vertical: str
    score: int
    category: str = ""
    factors: tuple[PropensityFactor, ...] = ()


def _factor(raw: Any) -> PropensityFactor:
    """One ``{name, points, reason}`` factor, read directly: a lead row carries about twenty,
    and the generic reader made them most of a 500-row page's parsing time."""
    raw = as_mapping(raw, PropensityFactor.json_name)
    return PropensityFactor(
        name=req_str(raw, "name"), points=req_int(raw, "points"), reason=opt_str(raw, "reason")
    )


def _propensity(data: Mapping[str, Any], *, factors: bool = True) -> tuple[PropensityScore, ...]:
    """The five scores; ``factors=False`` leaves each score's factors unread (empty): a lead
    row keeps them in its ``data``, and reading twenty factors a row was most of the time a
    page of 500 rows took to parse."""
    scores = []
    for vertical in PROPENSITY_VERTICALS:
        score = opt_int(data, f"{vertical}_propensity_score")
        if score is None:
            continue
        raw = opt_list(data, f"{vertical}_propensity_factors") if factors else ()
        scores.append(
            PropensityScore(
                vertical=vertical,
                score=score,
                category=opt_str(data, f"{vertical}_propensity_category"),
                factors=tuple(_factor(item) for item in raw),
            )
        )
    return tuple(scores)


def score_columns(data: Mapping[str, Any]) -> tuple[int | str | None, ...]:
    """Score and category of each vertical (PROPENSITY_VERTICALS order), flat: (None, "")
    where a row has none. Checked like every field, without an object per score: a page
    holds 500 rows of five."""
    columns: list[int | str | None] = []
    for vertical in PROPENSITY_VERTICALS:
        columns.append(opt_int(data, f"{vertical}_propensity_score"))
        columns.append(opt_str(data, f"{vertical}_propensity_category"))
    return tuple(columns)


# The keys a lead row split from a page's raw JSON decodes (``LeadRow.from_raw``): those of
# its typed fields, and the property and owner facts callers keep in columns of their own
# (``LeadRow.get`` answers every key in this list without decoding the whole row).
LEAD_ROW_KEYS = (
    "address",
    "city",
    "state",
    "zip_code",
    "county",
    "owner_1_first_name",
    "owner_1_last_name",
    "primary_phone",
    "email_1",
    "has_contact",
    "contact_clean",
    *(
        f"{vertical}_propensity_{part}"
        for vertical in PROPENSITY_VERTICALS
        for part in ("score", "category")
    ),
    "property_type",
    "corporate_owned",
    "absentee_owner",
    "estimated_value",
    "estimated_equity",
    "equity_percent",
    "primary_phone_type",
)
# A string field's JSON as ``opt_str`` takes it; a flag's as ``opt_bool``; a score's as
# ``opt_int``. Anything else (a bool for a string, an object, a missing address) fails the
# decoding, and the row is read by ``from_json``, which says what is wrong.
_TEXT = str | int | float | None
_ROW_KEY_TYPES: dict[str, Any] = {
    **dict.fromkeys(LEAD_ROW_KEYS, Any),
    **dict.fromkeys(
        (
            "city",
            "state",
            "zip_code",
            "county",
            "owner_1_first_name",
            "owner_1_last_name",
            "primary_phone",
            "email_1",
            *(f"{vertical}_propensity_category" for vertical in PROPENSITY_VERTICALS),
        ),
        _TEXT,
    ),
    **dict.fromkeys(("has_contact", "contact_clean"), bool | str | None),
    **dict.fromkeys(
        (f"{vertical}_propensity_score" for vertical in PROPENSITY_VERTICALS),
        int | float | str | None,
    ),
}
# Decodes those keys of one row object, skipping the others (about 60, most of its bytes)
# without building them. The address is required (a string or a number, as req_str).
_ROW_KEYS = msgspec.defstruct(
    "LeadRowKeys",
    [("address", str | int)]
    + [(key, _ROW_KEY_TYPES[key], None) for key in LEAD_ROW_KEYS if key != "address"],
)
_ROW_KEYS_DECODER = msgspec.json.Decoder(_ROW_KEYS)


def _text(value: Any) -> str:
    """``opt_str`` of a value the decoder checked (a string, a number or null)."""
    return value if type(value) is str else "" if value is None else str(value)


def _flag(value: Any, key: str) -> bool:
    """``opt_bool`` of a value the decoder checked (true, false, a string or null)."""
    if type(value) is bool:
        return value
    return opt_bool({key: value}, key)


def _score(value: Any, key: str) -> int | None:
    """``opt_int`` of a value the decoder checked (a number, a string or null)."""
    if type(value) is int or value is None:
        return value
    return opt_int({key: value}, key)


@dataclass(frozen=True)
class LeadRow(JsonShape):
    """One lead-list row. The fields the app reads are typed; ``data`` keeps every column
    (50+) for exports, so new provider columns are never lost. ``scores`` holds each
    vertical's score and category, flat and checked (``propensity`` as objects); the factors
    stay in ``data`` (``<vertical>_propensity_factors``).

    A row read from a page's body (``LeadRowsPage.from_body``) keeps its JSON text as
    received (``text``) and decodes only LEAD_ROW_KEYS (``columns``); ``data`` is decoded
    from the text when first asked for. A row read from a decoded object (``from_json``)
    has no text and ``columns`` is the whole object."""

    json_name = "lead row"

    address: str
    city: str = json_field(required=False)
    state: str = json_field(required=False)
    zip_code: str = ""
    county: str = ""
    owner_first_name: str = json_field(default="", source="owner_1_first_name")
    owner_last_name: str = json_field(default="", source="owner_1_last_name")
    primary_phone: str = ""
    email: str = json_field(default="", source="email_1")
    has_contact: bool = False
    contact_clean: bool = False
    scores: tuple[int | str | None, ...] = json_field(
        default=(), reader=lambda data, values: score_columns(data)
    )
    columns: Mapping[str, Any] = json_field(
        default_factory=dict, compare=False, repr=False, reader=lambda data, values: data
    )
    text: str | None = json_field(
        default=None, compare=False, repr=False, reader=lambda data, values: None
    )

    @cached_property
    def data(self) -> Mapping[str, Any]:
        """Every column of the row, as the provider sent it."""
        return self.columns if self.text is None else orjson.loads(self.text)

    def get(self, key: str) -> Any:
        """The value of column `key` (None when absent), without decoding the whole row
        for a key in LEAD_ROW_KEYS."""
        if self.text is None or key in _ROW_KEY_SET:
            return self.columns.get(key)
        return self.data.get(key)

    @property
    def propensity(self) -> tuple[PropensityScore, ...]:
        """Each vertical's score and category (the factors stay in ``data``)."""
        scores = []
        for index, vertical in enumerate(PROPENSITY_VERTICALS):
            score, category = self.scores[2 * index : 2 * index + 2]
            if score is not None:
                scores.append(PropensityScore(vertical=vertical, score=score, category=category))
        return tuple(scores)

    @classmethod
    def from_json(cls, data: Any) -> LeadRow:
        """The declared fields' rules, read directly: a page holds 500 rows, and the generic
        reader's per-field dispatch was a third of a page's parsing time."""
        data = as_mapping(data, cls.json_name)
        return cls(
            address=req_str(data, "address"),
            city=opt_str(data, "city"),
            state=opt_str(data, "state"),
            zip_code=opt_str(data, "zip_code"),
            county=opt_str(data, "county"),
            owner_first_name=opt_str(data, "owner_1_first_name"),
            owner_last_name=opt_str(data, "owner_1_last_name"),
            primary_phone=opt_str(data, "primary_phone"),
            email=opt_str(data, "email_1"),
            has_contact=opt_bool(data, "has_contact"),
            contact_clean=opt_bool(data, "contact_clean"),
            scores=score_columns(data),
            columns=data,
        )

    @classmethod
    def from_raw(cls, raw: msgspec.Raw) -> LeadRow:
        """One row object's JSON (a slice of a page's body), by the same rules as
        ``from_json``, decoding only LEAD_ROW_KEYS (their types checked by the decoder).
        Raises ``msgspec.MsgspecError`` for a row that is not a JSON object of those types
        (``from_json`` of the decoded row then names the problem), ``UnicodeDecodeError``
        for one that is not UTF-8, and ``ParseError`` as ``from_json`` does."""
        keys = _ROW_KEYS_DECODER.decode(raw)
        address = keys.address
        return cls(
            address=address if type(address) is str else str(address),
            city=_text(keys.city),
            state=_text(keys.state),
            zip_code=_text(keys.zip_code),
            county=_text(keys.county),
            owner_first_name=_text(keys.owner_1_first_name),
            owner_last_name=_text(keys.owner_1_last_name),
            primary_phone=_text(keys.primary_phone),
            email=_text(keys.email_1),
            has_contact=_flag(keys.has_contact, "has_contact"),
            contact_clean=_flag(keys.contact_clean, "contact_clean"),
            scores=(
                _score(keys.sell_propensity_score, "sell_propensity_score"),
                _text(keys.sell_propensity_category),
                _score(keys.refi_propensity_score, "refi_propensity_score"),
                _text(keys.refi_propensity_category),
                _score(keys.roof_renovate_propensity_score, "roof_renovate_propensity_score"),
                _text(keys.roof_renovate_propensity_category),
                _score(keys.hvac_renovate_propensity_score, "hvac_renovate_propensity_score"),
                _text(keys.hvac_renovate_propensity_category),
                _score(keys.solar_renovate_propensity_score, "solar_renovate_propensity_score"),
                _text(keys.solar_renovate_propensity_category),
            ),
            columns=msgspec.structs.asdict(keys),
            text=str(raw, "utf-8"),
        )


_ROW_KEY_SET = frozenset(LEAD_ROW_KEYS)


class _RawPage(msgspec.Struct):
    """A rows page with each row left as its raw JSON; the other fields as JSON has them."""

    lead_list_id: Any = None
    page: Any = None
    per_page: Any = None
    total_rows: Any = None
    total_pages: Any = None
    rows: list[msgspec.Raw] | None = None


_RAW_PAGE_DECODER = msgspec.json.Decoder(_RawPage)


@dataclass(frozen=True)
class LeadRowsPage(JsonShape):
    json_name = "lead rows"

    lead_list_id: int
    page: int
    per_page: int
    total_rows: int
    total_pages: int
    rows: tuple[LeadRow, ...]

    @classmethod
    def from_body(cls, body: bytes) -> LeadRowsPage:
        """A page read from its JSON body (500 rows are 1.7 MB) without decoding each row's
        60-odd columns: the rows are split as raw JSON (``LeadRow.from_raw``), their text
        kept for storing as it is. The same rules and errors as ``from_json`` of the
        decoded body: a body the split refuses (not JSON, not the shape) is decoded whole
        and read by ``from_json``, which raises what it always raised."""
        try:
            page = _RAW_PAGE_DECODER.decode(body)
            if page.rows is None:
                raise msgspec.ValidationError("rows missing")
            head = msgspec.structs.asdict(page)
            del head["rows"]
            values = read_fields(cls, head, rows=())
            rows = tuple(LeadRow.from_raw(raw) for raw in page.rows)
        except (msgspec.MsgspecError, UnicodeDecodeError, ParseError):
            return cls.from_json(orjson.loads(body))
        values["rows"] = rows
        return cls(**values)


def _owners(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    owners = []
    for owner in opt_list(data, "owners"):
        owner = as_mapping(owner, "owner")
        owners.append((opt_str(owner, "first_name"), opt_str(owner, "last_name")))
    return tuple(owners)


def _echoed(key: str):
    """The echoed address part, else the property's own."""

    def read(data: Mapping[str, Any], values: dict[str, Any]) -> str:
        return opt_str(data, key) or opt_str(values["property"], key)

    return read


@dataclass(frozen=True)
class LeadLookupResult(JsonShape):
    """Single-address lead lookup: 10 credits when the property is found (``hit``), with
    or without a skip-trace hit; a miss carries only the echoed address."""

    json_name = "lead lookup"

    hit: bool
    credits_deducted: int
    skip_trace_hit: bool = False
    property: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    propensity: tuple[PropensityScore, ...] = json_field(
        default=(), reader=lambda data, values: _propensity(values["property"])
    )
    owners: tuple[tuple[str, str], ...] = ()
    mailing_address: MailingAddress | None = None
    phones: tuple[Phone, ...] = json_field(default=(), within="contacts")
    emails: tuple[Email, ...] = json_field(default=(), within="contacts")
    litigator: bool = json_field(default=False, within="contacts")
    has_contact: bool = json_field(default=False, within="contacts")
    contact_clean: bool = json_field(default=False, within="contacts")
    address: str = json_field(default="", reader=_echoed("address"))
    city: str = json_field(default="", reader=_echoed("city"))
    state: str = json_field(default="", reader=_echoed("state"))
    zip_code: str = json_field(default="", reader=_echoed("zip_code"))

    @classmethod
    def from_json(cls, data: Any) -> LeadLookupResult:
        data = as_mapping(data, cls.json_name)
        opt_dict(data, "property")  # these two are checked first, as always
        opt_dict(data, "contacts")
        return cls(**read_fields(cls, data, owners=_owners(data)))


@dataclass(frozen=True)
class AddressMatch(JsonShape):
    """One autocomplete match; pass ``street_address`` (not ``address``) to lookups."""

    json_name = "autocomplete result"

    street_address: str
    city: str = json_field(required=False)
    state: str = json_field(required=False)
    zip: str = json_field(required=False)
    title: str = ""
    address: str = ""
    house: str = ""
    street: str = ""
    county: str = ""
    state_fips: str = ""
    county_fips: str = ""
    fips: str = ""
    apn: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location: str = ""


@dataclass(frozen=True)
class AutocompleteResult(JsonShape):
    json_name = "autocomplete"

    query: str = json_field(required=False)
    results: tuple[AddressMatch, ...]
    credits_deducted: int = 0


@dataclass(frozen=True)
class Rationale(JsonShape):
    json_name = "rationale"

    summary: str = ""
    steps: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AiAssistResult(JsonShape):
    """A ready-to-run spec (``strategy``, ``geography``, ``filter_overrides``), or a
    clarifying question to answer with the same ``conversation_id``."""

    json_name = "AI assist"

    strategy: str = json_field(missing="custom")
    geography: dict[str, Any]
    filter_overrides: dict[str, Any]
    needs_clarification: bool
    conversation_id: str
    credits_deducted: int = json_field(missing=0)
    strategy_label: str = ""
    rationale: Rationale = field(default_factory=Rationale)
    confidence: float | None = None
    clarifying_question: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> AiAssistResult:
        data = as_mapping(data, cls.json_name)
        opt_dict(data, "rationale")  # checked first, as always
        return cls(**read_fields(cls, data))


def _lead_spec(
    geography: Mapping[str, Any],
    requested_count: int,
    strategy: str,
    filter_overrides: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The build spec ``lead_preview`` and ``lead_execute`` send."""
    body: dict[str, Any] = {
        "strategy": strategy,
        "geography": dict(geography),
        "requested_count": int(requested_count),
    }
    if filter_overrides:
        body["filter_overrides"] = dict(filter_overrides)
    return body
