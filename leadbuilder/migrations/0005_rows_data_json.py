"""A lead row's `data` becomes PostgreSQL json instead of jsonb
(leadops.fields.JsonDocumentField): it is stored and read whole, and parsing each row's
3.5 KB into jsonb was the largest part of PostgreSQL's work storing a lead list. Existing
rows are converted in place (every value kept; the text is jsonb's). Changing the type
resets the column's compression, so lz4 (0003) is set again, both ways. SQLite: nothing
changes."""

from django.db import migrations, transaction

import leadops.fields


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE leadbuilder_leadrow ALTER COLUMN data SET COMPRESSION lz4"
            )
    except Exception:  # noqa: BLE001 - a server built without lz4 keeps pglz
        return


class Migration(migrations.Migration):
    dependencies = [("leadbuilder", "0004_rows_score_counts")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, use_lz4),
        migrations.AlterField(
            model_name="leadrow",
            name="data",
            field=leadops.fields.JsonDocumentField(default=dict),
        ),
        migrations.RunPython(use_lz4, migrations.RunPython.noop),
    ]
