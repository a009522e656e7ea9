"""Reading uploaded CSVs and request parameters; writing result CSVs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from .common import BadRequest, read_json

MAX_PART_SIZE = 64 * 1024 * 1024


def decode_csv(raw: bytes) -> list[dict[str, str]]:
    """Rows of an uploaded CSV as dicts (header stripped, values stripped)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return []
    names = [name.strip() for name in header]
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        rows.append(
            {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)}
        )
    return rows


def csv_headers(raw: bytes) -> list[str]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [name.strip() for name in first]


def encode_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in columns})
    return buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


async def read_params(request: Request) -> tuple[dict[str, Any], bytes | None]:
    """Body parameters (multipart form or JSON) and the uploaded ``csv_file`` if any."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data") or content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        form = await request.form(max_part_size=MAX_PART_SIZE)
        params: dict[str, Any] = {}
        csv_bytes: bytes | None = None
        for key in form:
            values = form.getlist(key)
            if key == "csv_file":
                upload = values[0]
                if isinstance(upload, UploadFile):
                    csv_bytes = await upload.read()
                else:
                    csv_bytes = str(upload).encode()
                continue
            texts = [v for v in values if isinstance(v, str)]
            params[key] = texts[0] if len(texts) == 1 else texts
        return params, csv_bytes
    data = await read_json(request)
    if not isinstance(data, dict):
        raise BadRequest(
            {
                "non_field_errors": [
                    f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
                ]
            }
        )
    return data, None


def string_list(value: Any, name: str) -> list[str]:
    """A list parameter sent as a JSON array, a JSON-array string, repeated fields or CSV."""
    if value is None:
        return []
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError as exc:
                raise BadRequest({"error": f"{name} must be a JSON array of strings."}) from exc
            if not isinstance(items, list):
                raise BadRequest({"error": f"{name} must be a JSON array of strings."})
        else:
            items = [part for part in text.split(",")]
    else:
        raise BadRequest({"error": f"{name} must be a JSON array of strings."})
    if not all(isinstance(item, str) for item in items):
        raise BadRequest({"error": f"{name} must be a JSON array of strings."})
    return [item.strip() for item in items if item.strip()]
