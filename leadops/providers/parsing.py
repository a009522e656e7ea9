"""Small field readers shared by the ``from_json`` parsers.

Required fields are strict (absent or the wrong type raises ``ParseError`` naming the
field); optional ones are tolerant (absent, null or empty gives the default), because the
providers hide fields while work is pending and send null and "" interchangeably.

``JsonShape`` (below) puts these readers behind one ``from_json`` that reads a dataclass
field by field from its annotations, so a response shape is declared, not hand-copied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

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
    if type(value) is str:  # nearly always: 23 of them a trace record, 100,000s a job
        return value
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


def opt_flag(data: Mapping[str, Any], key: str) -> bool | None:
    """A yes/no the provider may leave out: absent or null gives None."""
    if data.get(key) is None:
        return None
    return opt_bool(data, key)


# -- declarative parsers ------------------------------------------------------------------
#
# A response dataclass inherits ``JsonShape`` and names itself for error messages
# (``json_name``); ``from_json`` then reads every field by its annotated type:
#
#   str                      req_str, or opt_str when the field has a default (or
#                            ``required=False``); the default is the value for null
#   str | None               opt_url: null or "" gives None
#   int / int | None         req_int / opt_int (with a default: opt_int, null gives it)
#   float | None             opt_float
#   bool / bool | None       req_bool, opt_bool with the default / opt_flag
#   datetime / ... | None    req_datetime / opt_datetime
#   dict[...]                opt_dict
#   tuple[str, ...]          str_tuple
#   Shape                    Shape.from_json of the object ({} when absent, if defaulted)
#   Shape | None             Shape.from_json of the object; absent, null or empty: None
#   tuple[Shape, ...]        each item by Shape.from_json: an array that may be absent when
#                            the field has a default, a required array when not
#
# ``json_field`` adds what the type cannot say: ``source`` (the JSON key, when it differs
# from the field name), ``within`` (read from that nested object), ``required=False``,
# ``missing`` (the value for an absent optional field) or a ``reader(data, values)`` for a
# field with its own rule (``values`` holds the fields read before it). Fields are read in
# declaration order, so the first problem in a payload is the one reported. A class with a
# rule that spans fields keeps a small ``from_json`` that passes those fields to
# ``read_fields`` ready-made.

Reader = Callable[[Mapping[str, Any], dict[str, Any]], Any]
_SPEC = "leadops.json"


@dataclasses.dataclass(frozen=True)
class _Spec:
    source: str | None = None
    within: str | None = None
    required: bool | None = None
    missing: Any = _MISSING
    reader: Reader | None = None


def json_field(
    *,
    source: str | None = None,
    within: str | None = None,
    required: bool | None = None,
    missing: Any = _MISSING,
    reader: Reader | None = None,
    **options: Any,
) -> Any:
    """A dataclass field (``options`` go to ``dataclasses.field``) with its JSON reading."""
    spec = _Spec(source=source, within=within, required=required, missing=missing, reader=reader)
    return dataclasses.field(metadata={_SPEC: spec}, **options)


class JsonShape:
    """Mixin for response dataclasses: ``from_json`` by the fields' annotated types."""

    json_name: ClassVar[str]

    @classmethod
    def from_json(cls, data: Any) -> Self:
        data = as_mapping(data, cls.json_name)
        return cls(**read_fields(cls, data))


def read_fields(cls: type, data: Mapping[str, Any], **given: Any) -> dict[str, Any]:
    """Constructor arguments for the dataclass ``cls`` read from ``data``; the fields in
    ``given`` are taken as they are (the caller has read them by its own rule)."""
    values = dict(given)
    for name, read in _readers(cls):
        if name not in given:
            values[name] = read(data, values)
    return values


_readers_of: dict[type, list[tuple[str, Reader]]] = {}


def _readers(cls: type) -> list[tuple[str, Reader]]:
    found = _readers_of.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = [(f.name, _reader(cls, f, hints[f.name])) for f in dataclasses.fields(cls)]
        _readers_of[cls] = found
    return found


def _reader(cls: type, f: dataclasses.Field, hint: Any) -> Reader:
    spec = f.metadata.get(_SPEC) or _Spec()
    read = spec.reader or _typed_reader(cls, f, hint, spec)
    if spec.within is None:
        return read
    within = spec.within
    return lambda data, values: read(opt_dict(data, within), values)


def _typed_reader(cls: type, f: dataclasses.Field, hint: Any, spec: _Spec) -> Reader:
    key = spec.source or f.name
    has_default = (
        f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    )
    if spec.required is not None:
        required = spec.required
    else:
        required = not has_default and spec.missing is _MISSING
    missing = spec.missing
    if missing is _MISSING:
        missing = f.default if f.default is not dataclasses.MISSING else None

    optional = typing.get_origin(hint) in (typing.Union, types.UnionType) and (
        type(None) in typing.get_args(hint)
    )
    if optional:
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    shape = _shape(args[0] if origin is tuple and args[1:] == (...,) else hint)

    if hint is str and optional:
        return lambda data, values: opt_url(data, key)
    if hint is str and required:
        return lambda data, values: req_str(data, key)
    if hint is str:
        text = missing if isinstance(missing, str) else ""
        return lambda data, values: opt_str(data, key, text)
    if hint is int and optional:
        return lambda data, values: opt_int(data, key)
    if hint is int and required:
        return lambda data, values: req_int(data, key)
    if hint is int:
        return lambda data, values: _or(opt_int(data, key), missing)
    if hint is float and optional:
        return lambda data, values: opt_float(data, key)
    if hint is bool and optional:
        return lambda data, values: opt_flag(data, key)
    if hint is bool and required:
        return lambda data, values: req_bool(data, key)
    if hint is bool:
        flag = bool(missing)
        return lambda data, values: opt_bool(data, key, flag)
    if hint is dt.datetime:
        if optional:
            return lambda data, values: opt_datetime(data, key)
        return lambda data, values: req_datetime(data, key)
    if origin is dict:
        return lambda data, values: opt_dict(data, key)
    if origin is tuple and args == (str, ...):
        return lambda data, values: str_tuple(data, key)
    if origin is tuple and shape is not None:
        if has_default:
            return lambda data, values: tuple(shape.from_json(i) for i in opt_list(data, key))
        return lambda data, values: tuple(shape.from_json(i) for i in as_list(data.get(key), key))
    if shape is not None and optional:
        return lambda data, values: shape.from_json(v) if (v := data.get(key)) else None
    if shape is not None and has_default:
        return lambda data, values: shape.from_json(opt_dict(data, key))
    if shape is not None:
        return lambda data, values: shape.from_json(data.get(key))

    def unreadable(data: Mapping[str, Any], values: dict[str, Any]) -> Any:
        raise TypeError(
            f"{cls.__name__}.{f.name}: no JSON reader for {hint!r}; "
            "give it json_field(reader=...) or pass it to read_fields"
        )

    return unreadable


def _shape(hint: Any) -> type[JsonShape] | None:
    plain_class = isinstance(hint, type) and typing.get_origin(hint) is None
    return hint if plain_class and issubclass(hint, JsonShape) else None


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value
