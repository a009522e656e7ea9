"""Reading a webhook body: strict JSON of bounded depth, or a refusal the sender can read.

Python's json module accepts `NaN`, `Infinity` and `-Infinity` (not JSON) and turns `1e999`
into an infinite float; none of them can be stored in a JSON column or mean anything in a
provider payload. It also recurses once per nesting level, so a body of a few thousand
brackets raises RecursionError (a 500) before any check could run; the depth is measured
first, on the text with its strings removed, in one linear pass.
"""

import json
import math
import re
from itertools import accumulate

# The deepest documented provider payload (tests/fixtures) nests 5 levels; 32 leaves room.
MAX_DEPTH = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class BodyRefused(ValueError):
    """The body is not acceptable JSON; the message is the answer to the sender."""


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def _refuse_constant(name: str):
    raise BodyRefused(f"body is not JSON: {name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused(f"body is not JSON: the number {text[:40]} is out of range")
    return value


def load_object(body: bytes) -> dict:
    """The body as a JSON object; raises BodyRefused saying why it is not one."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BodyRefused("body is not JSON") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise BodyRefused(f"body nests deeper than {MAX_DEPTH} levels")
    try:
        payload = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except BodyRefused:
        raise
    except (ValueError, RecursionError):
        raise BodyRefused("body is not JSON") from None
    if not isinstance(payload, dict):
        raise BodyRefused("body must be a JSON object")
    return payload
