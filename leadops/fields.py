"""Model fields the apps share.

``JsonDocumentField``: a JSONField kept in PostgreSQL's ``json`` type (the text as given,
checked for syntax) instead of ``jsonb``, for documents stored and read whole that the
database never looks inside: a lead row's 3.5 KB of provider columns. Parsing each into
jsonb (and sorting its keys) was the largest part of PostgreSQL's work storing a lead list.
The field reads and writes like JSONField (a dict in, a dict out; SQLite is unchanged);
what changes is the database's view of it: ``->>`` and the other key lookups work on json
but parse the whole document at each use, so a reader of a few keys over many rows reads
the text and decodes those keys itself (``leadops.crm.sources``); json has no equality or
containment, so the lookups that compare documents (``exact``, ``contains``, ``has_key``)
are unavailable. json also keeps what jsonb refuses (``\u0000`` in a string).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial

import msgspec
from django.db import models


class JsonDocumentField(models.JSONField):
    description = "A JSON document (PostgreSQL json)"

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        from psycopg.types.json import Json

        if not prepared:
            value = self.get_prep_value(value)
        # Sent as json: Django's jsonb parameter would be parsed into jsonb, then cast.
        dumps = json.dumps if self.encoder is None else partial(json.dumps, cls=self.encoder)
        return Json(value, dumps=dumps)

    def select_format(self, compiler, sql, params):
        # psycopg decodes json values itself (Django has it leave jsonb as text): read the
        # text, which from_db_value decodes as it decodes jsonb's.
        if compiler.connection.vendor == "postgresql":
            return f"({sql})::text", params
        return super().select_format(compiler, sql, params)


def document_keys(keys: Sequence[str]) -> Callable[[str | None], dict[str, str | None]]:
    """A reader of `keys` from a document's JSON text (a `JsonDocumentField` read as text),
    giving each as PostgreSQL's ->> would: a string's text, null or absent as None, any other
    value as its JSON text. The other keys are skipped without being built: on json, each
    ->> parses the whole document, and decoding it whole costs as much."""
    decoder = msgspec.json.Decoder(
        msgspec.defstruct("DocumentKeys", [(key, msgspec.Raw, msgspec.Raw()) for key in keys])
    )

    def read(text: str | None) -> dict[str, str | None]:
        picked = decoder.decode(text or "{}")
        values: dict[str, str | None] = {}
        for key in keys:
            raw = bytes(getattr(picked, key))  # empty when absent
            if not raw or raw == b"null":
                values[key] = None
            elif raw[0] == 34:  # a string: its text
                values[key] = msgspec.json.decode(raw)
            else:
                values[key] = raw.decode()
        return values

    return read
