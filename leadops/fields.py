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
from functools import partial

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
