"""A lead row's `data` (every provider column, ~3.5 KB) is compressed by PostgreSQL's TOAST;
its default pglz made storing a 50,000-row build take about twice as long as lz4 does.
lz4 needs PostgreSQL 14+ built with lz4 (Debian's and most are); elsewhere, and on SQLite,
nothing changes."""

from django.db import migrations, transaction


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


def use_default(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE leadbuilder_leadrow ALTER COLUMN data SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("leadbuilder", "0002_rows_indexes")]

    operations = [migrations.RunPython(use_lz4, use_default)]
