"""The providers' documented example payloads (tests/fixtures/) and a shape check against them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(provider: str, name: str) -> Any:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())


OPEN_OBJECTS = frozenset({"filters_applied", "filter_overrides", "geography"})
# RealEstateAPI: "key can be an integer value or a string value".
INT_OR_STR = frozenset({"key"})


def assert_shape(
    actual: Any,
    expected: Any,
    path: str = "$",
    nullable: frozenset = frozenset(),
):
    """``actual`` has the same keys (recursively) and value types as the documented example.

    A null in the example accepts any value; a null in ``actual`` is accepted only for keys
    listed in ``nullable``. Numbers: an int is accepted where the example shows a float.
    Objects whose keys depend on the request (``OPEN_OBJECTS``) are only checked as objects.
    """
    if expected is None:
        return
    key = path.rsplit(".", 1)[-1]
    if actual is None:
        assert key in nullable, f"{path}: null where the docs show {type(expected).__name__}"
        return
    if key in INT_OR_STR:
        assert isinstance(actual, int | str) and not isinstance(actual, bool), path
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        if key in OPEN_OBJECTS:
            return
        assert set(actual) == set(expected), (
            f"{path}: keys differ; missing {sorted(set(expected) - set(actual))}, "
            f"extra {sorted(set(actual) - set(expected))}"
        )
        for name, value in expected.items():
            assert_shape(actual[name], value, f"{path}.{name}", nullable)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if expected:
            for index, item in enumerate(actual):
                assert_shape(item, expected[min(index, len(expected) - 1)], f"{path}[]", nullable)
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{path}: expected a bool, got {actual!r}"
    elif isinstance(expected, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), (
            f"{path}: expected an int, got {actual!r}"
        )
    elif isinstance(expected, float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), (
            f"{path}: expected a number, got {actual!r}"
        )
    else:
        assert isinstance(actual, type(expected)), (
            f"{path}: expected {type(expected).__name__}, got {actual!r}"
        )
