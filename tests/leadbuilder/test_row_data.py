"""A lead row's `data` (leadops.fields.JsonDocumentField): PostgreSQL json, kept compressed
with lz4, read and written through the ORM like any JSONField; the CRM source reads its
contact columns from the text as PostgreSQL's ->> gave them."""

import pytest
from django.db import connection

from leadbuilder.models import LeadRow
from leadops.crm.contacts import Address
from leadops.crm.models import Selection
from leadops.crm.sources import source_for
from tests.leadbuilder.factories import lead_build, provider_rows

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_data_is_json_compressed_with_lz4_out_of_the_tables_pages(team_a, staff):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod), attcompression FROM pg_attribute "
            "WHERE attrelid = 'leadbuilder_leadrow'::regclass AND attname = 'data'"
        )
        assert cursor.fetchone() == ("json", "l")
        lead_build(team=team_a, user=staff, rows=200)
        cursor.execute(
            "SELECT pg_relation_size('leadbuilder_leadrow'), "
            "sum(pg_column_size(data)) FROM leadbuilder_leadrow"
        )
        table_pages, data_bytes = cursor.fetchone()
    assert table_pages < data_bytes / 2  # the documents are in the TOAST table


def test_data_reads_and_writes_like_a_json_field(team_a, staff):
    build = lead_build(team=team_a, user=staff, rows=2)
    row = build.rows.get(position=1)
    document = {"owner_1_first_name": "ANN", "nested": {"list": [1, 2.5, None, True, "é"]}}
    row.data = document
    row.save()
    assert LeadRow.objects.get(pk=row.pk).data == document
    assert LeadRow.objects.filter(pk=row.pk).values_list("data", flat=True).get() == document
    LeadRow.objects.filter(pk=row.pk).update(data={"s": "{}"})  # a string that looks like JSON
    assert LeadRow.objects.get(pk=row.pk).data == {"s": "{}"}


def test_the_crm_source_reads_contact_columns_as_text(team_a, staff):
    row = next(iter(provider_rows(1, seed="crm-columns")))
    row.update(
        corporate_owned=False,
        owner_1_first_name="ANN \u00e9",
        owner_1_last_name="LEE",
        mobile_1=5125550143,  # a number: its JSON text
        mail_address="1 Oak St",
        mail_city=None,
        mail_zip="78701",
        email_1="ann@example.com",
        email_2=None,
    )
    del row["email_3"]
    del row["mail_state"]
    build = lead_build(team=team_a, user=staff, rows=[row])
    (record,) = source_for(kind="leads", pk=build.pk, team=team_a).records(selection=Selection.ALL)
    assert (record.first_name, record.last_name) == ("ANN \u00e9", "LEE")
    assert ("5125550143", "Mobile") in record.phones
    assert record.mailing == Address("1 Oak St", "", "", "78701")
    assert record.emails == ("ann@example.com",)
