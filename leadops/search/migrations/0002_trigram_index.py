"""On PostgreSQL, a trigram GIN index on the search document, so `document LIKE '%word%'`
for each word of a query reads a few index pages instead of every row. pg_trgm is a trusted
extension (PostgreSQL 13+): a database owner may create it. Where it cannot be created the
search still works, by scanning; SQLite always scans."""

from django.db import migrations, transaction


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege: the search scans instead
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS search_entry_document_trgm "
            "ON search_searchentry USING gin (document gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS search_entry_document_trgm")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
