"""Journey: upload a messy CSV, fix a mapping, save a preset, read the preview, get the rejects."""

import csv
import io

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from leadops.imports import registry
from leadops.imports.models import ImportBatch, ImportStatus, MappingPreset
from tests.support.browser import log_in, make_member

# A title row above the header, an unknown address header ("Situs Location"), LAST, FIRST
# names, a ZIP that lost its leading zero, a bad phone, the same house spelled twice, and a
# row without an address.
MESSY = (
    "Absentee owners - Suffolk County - pulled 11/20/2026\n"
    "Situs Location,City,State,Zip,Owner Name,Phone,Notes\n"
    '12 North Main Street,Boston,MA,2134,"SMITH, JOHN",(617) 555-0100,call after 5\n'
    '12 N. Main St,Boston,MA,02134,"SMITH, JOHN",617.555.0100,same house\n'
    '40 Elm Road,Quincy,MA,2169,"O\'BRIEN, MARY",555-0000,bad phone\n'
    ',Revere,MA,2151,"DOE, JANE",617-555-0142,no address\n'
    '7 Harbor View Ave,Salem,MA,1970,"NGUYEN, AN",978-555-0110,\n'
)


@pytest.fixture
def member(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_member("import-staff", "Browser Team")


def test_import_journey(page, live_server, member, screenshot):
    base = live_server.url
    log_in(page, base, "import-staff")

    # Upload: the job type arrives preselected from the link.
    page.goto(f"{base}/imports/?job_type=trace_advanced")
    expect(page.get_by_role("heading", name="Import a spreadsheet")).to_be_visible()
    expect(page.get_by_label("Skip trace — advanced")).to_be_checked()
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "empty.csv", "mimeType": "text/csv", "buffer": b"Address,City\n"}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_test_id("upload-error")).to_contain_text(
        "The file has a header row (line 1) but no data rows below it."
    )
    screenshot("upload-rejected")
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "suffolk.csv", "mimeType": "text/csv", "buffer": MESSY.encode()}]
    )
    screenshot("upload")
    page.get_by_role("button", name="Upload and map columns").click()

    # Mapping: the unknown address column is missing until the user maps it.
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    expect(page.get_by_test_id("file-facts")).to_contain_text("5 data rows")
    expect(page.get_by_test_id("file-facts")).to_contain_text("header on line 2")
    expect(page.get_by_test_id("requirement-missing")).to_contain_text("Property address")
    site = page.get_by_label("Situs Location")
    expect(site).to_have_value("extra")
    expect(page.get_by_label("Owner Name")).to_have_value("owner_full_name")
    expect(page.get_by_label("Zip")).to_have_value("property_zip")
    screenshot("mapping-proposed")
    site.select_option("property_address")
    expect(page.get_by_test_id("requirement-missing")).to_have_count(0)  # htmx re-check
    page.get_by_label("Save this mapping as a preset").fill("Suffolk absentee")
    screenshot("mapping-fixed")
    page.get_by_role("button", name="Save mapping and preview").click()

    # Preview: the totals the estimate will use, the reasons, the download.
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.get_by_text("Saved the preset “Suffolk absentee” for your team.")).to_be_visible()
    expect(page.get_by_test_id("rows-read")).to_have_text("5")
    expect(page.get_by_test_id("rows-unusable")).to_have_text("1")
    expect(page.get_by_test_id("duplicates")).to_have_text("1")
    expect(page.get_by_test_id("unique-records")).to_have_text("3")
    expect(page.get_by_test_id("warnings")).to_contain_text("1 usable row had a value")
    expect(page.get_by_test_id("problem-summary")).to_contain_text(
        "Situs Location — Is empty; an advanced trace needs it"
    )
    expect(page.get_by_test_id("sample-records")).to_contain_text("12 N MAIN ST")
    expect(page.get_by_test_id("sample-records")).to_contain_text("02134")
    expect(page.get_by_test_id("sample-records")).to_contain_text("Mary")
    batch = ImportBatch.objects.get()
    continuation = registry.continuation_for(batch.job_type)
    if continuation is None:
        expect(page.get_by_test_id("continue")).to_have_count(0)
    else:  # the traces app registers its next step for traces
        expect(page.get_by_test_id("continue")).to_have_text(continuation.label)
        expect(page.get_by_test_id("continue")).to_have_attribute(
            "href", reverse(continuation.url_name, args=[batch.pk])
        )
    screenshot("preview")

    with page.expect_download() as download_info:
        page.get_by_test_id("rejects-download").click()
    download = download_info.value
    assert download.suggested_filename == "suffolk-rejected-rows.csv"
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert rows == [
        [
            "Line",
            "Problems",
            "Situs Location",
            "City",
            "State",
            "Zip",
            "Owner Name",
            "Phone",
            "Notes",
        ],
        [
            "6",
            "Situs Location: is empty; an advanced trace needs it",
            "",
            "Revere",
            "MA",
            "2151",
            "DOE, JANE",
            "617-555-0142",
            "no address",
        ],
    ]

    batch.refresh_from_db()
    assert batch.status == ImportStatus.STORED
    assert MappingPreset.objects.get().mapping["Situs Location"] == "property_address"
