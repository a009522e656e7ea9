"""The declarative ``from_json`` of ``JsonShape`` dataclasses (leadops.providers.parsing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from leadops.providers.errors import ParseError
from leadops.providers.parsing import JsonShape, json_field


@dataclass(frozen=True)
class Inner(JsonShape):
    json_name = "inner"

    name: str


@dataclass(frozen=True)
class Outer(JsonShape):
    json_name = "outer"

    id: int
    when: dt.datetime
    label: str = json_field(required=False)
    status: str = "pending"
    url: str | None = None
    count: int = 0
    flag: bool | None = None
    inner: Inner | None = None
    items: tuple[Inner, ...] = ()
    tags: tuple[str, ...] = ()
    batch: str = json_field(default="", source="batchId")
    nested: bool = json_field(default=False, within="extra")
    shout: str = json_field(default="", reader=lambda data, values: values["label"].upper())


def test_fields_are_read_by_their_types():
    parsed = Outer.from_json(
        {
            "id": "7",
            "when": "2024-01-02T03:04:05Z",
            "label": "a",
            "url": "",
            "count": None,
            "flag": "true",
            "inner": {"name": "x"},
            "items": [{"name": "y"}],
            "tags": ["t", None, 3],
            "batchId": "b1",
            "extra": {"nested": True},
        }
    )
    assert parsed == Outer(
        id=7,
        when=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        label="a",
        status="pending",
        url=None,
        count=0,
        flag=True,
        inner=Inner(name="x"),
        items=(Inner(name="y"),),
        tags=("t", "3"),
        batch="b1",
        nested=True,
        shout="A",
    )


def test_errors_name_the_first_bad_field_in_declaration_order():
    with pytest.raises(ParseError, match="outer: expected a JSON object, got list"):
        Outer.from_json([])
    with pytest.raises(ParseError, match="missing required field 'id'"):
        Outer.from_json({"when": "nope"})
    with pytest.raises(ParseError, match="field 'when': expected an ISO 8601 timestamp"):
        Outer.from_json({"id": 1, "when": "nope", "items": [{}]})
    with pytest.raises(ParseError, match="missing required field 'name'"):
        Outer.from_json({"id": 1, "when": "2024-01-01", "items": [{}]})


def test_a_field_without_a_reader_says_so():
    @dataclass(frozen=True)
    class Odd(JsonShape):
        json_name = "odd"

        pair: tuple[int, int]

    with pytest.raises(TypeError, match=r"Odd\.pair: no JSON reader"):
        Odd.from_json({"pair": [1, 2]})
