"""Small field readers shared by the ``from_json`` parsers.

Required fields are strict (absent or the wrong type raises ``ParseError`` naming the
field); optional ones are tolerant (absent, null or empty gives the default), because the
providers hide fields while work is pending and send null and "" interchangeably.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .errors import ParseError

_MISSING = object()


def as_mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ParseError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def as_list(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise ParseError(f"{what}: expected a JSON array, got {type(data).__name__}")
    return data


def _get(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise ParseError(f"missing required field {key!r}")
    return value


def req_int(data: Mapping[str, Any], key: str) -> int:
    value = _get(data, key)
    number = _to_int(value)
    if number is None:
        raise ParseError(f"field {key!r}: expected an integer, got {value!r}")
    return number


def opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    number = _to_int(value)
    if number is None:
        raise ParseError(f"field {key!r}: expected an integer, got {value!r}")
    return number


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def opt_float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ParseError(f"field {key!r}: expected a number, got {value!r}")
    try:
        return float(value)
    except ValueError as exc:
        raise ParseError(f"field {key!r}: expected a number, got {value!r}") from exc


def req_str(data: Mapping[str, Any], key: str) -> str:
    value = _get(data, key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ParseError(f"field {key!r}: expected a string, got {value!r}")
    return str(value)


def opt_str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ParseError(f"field {key!r}: expected a string, got {value!r}")
    return str(value)


def opt_url(data: Mapping[str, Any], key: str) -> str | None:
    """A URL that is null or "" until the work is done."""
    value = opt_str(data, key)
    return value or None


def req_bool(data: Mapping[str, Any], key: str) -> bool:
    value = _get(data, key)
    if not isinstance(value, bool):
        raise ParseError(f"field {key!r}: expected true or false, got {value!r}")
    return value


def opt_bool(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ParseError(f"field {key!r}: expected true or false, got {value!r}")


def _to_datetime(value: Any, key: str) -> dt.datetime:
    if not isinstance(value, str):
        raise ParseError(f"field {key!r}: expected an ISO 8601 timestamp, got {value!r}")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParseError(f"field {key!r}: expected an ISO 8601 timestamp, got {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def req_datetime(data: Mapping[str, Any], key: str) -> dt.datetime:
    return _to_datetime(_get(data, key), key)


def opt_datetime(data: Mapping[str, Any], key: str) -> dt.datetime | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    return _to_datetime(value, key)


def opt_dict(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParseError(f"field {key!r}: expected an object, got {value!r}")
    return dict(value)


def opt_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"field {key!r}: expected an array, got {value!r}")
    return value


def str_tuple(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(item) for item in opt_list(data, key) if item is not None)


def body_digest(payload: dict) -> str:
    """A short stable digest of a JSON body (a dedupe key for events that carry no id)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()[:32]
