"""A lead row's `data` becomes PostgreSQL json instead of jsonb
(leadops.fields.JsonDocumentField): it is stored and read whole, and parsing each row's
3.5 KB into jsonb was the largest part of PostgreSQL's work storing a lead list. Existing
rows are converted in place (every value kept; the text is jsonb's).

Compressed, a row's json (about 1.7 KB) would fit in the table's own pages, where jsonb's
(2.1 KB) went to the TOAST table: the rows page's filters read the typed columns of every
row of a build, and four times as many pages for them made a filtered page up to a third
slower. A toast_tuple_target of 1024 bytes keeps `data` out of the table's pages as before.
Changing the type resets the column's compression: lz4 (0003) is set in the same statement,
so the rewrite of the existing rows uses it and the new target. SQLite: nothing changes.
"""

from django.db import migrations, transaction

import leadops.fields

TABLE = "ALTER TABLE leadbuilder_leadrow "


def _alter(schema_editor, statement: str) -> None:
    """`statement` with lz4 for `data` (a server built without lz4 keeps pglz, as in 0003)."""
    connection = schema_editor.connection
    if connection.pg_version >= 140000:
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute(statement + ", ALTER COLUMN data SET COMPRESSION lz4")
            return
        except Exception:  # noqa: BLE001, S110 - no lz4 on this server: pglz, as 0003
            pass
    schema_editor.execute(statement)


def to_json(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _alter(
            schema_editor, TABLE + "SET (toast_tuple_target = 1024), ALTER COLUMN data TYPE json"
        )


def to_jsonb(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _alter(schema_editor, TABLE + "RESET (toast_tuple_target), ALTER COLUMN data TYPE jsonb")


class Migration(migrations.Migration):
    dependencies = [("leadbuilder", "0004_rows_score_counts")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="leadrow",
                    name="data",
                    field=leadops.fields.JsonDocumentField(default=dict),
                ),
            ],
            database_operations=[migrations.RunPython(to_json, to_jsonb)],
        ),
    ]
