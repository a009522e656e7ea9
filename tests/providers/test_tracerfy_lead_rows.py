"""A lead-list rows page read from its body (``LeadRowsPage.from_body``): each row split as
raw JSON and kept as text, only the keys the app reads decoded. Whatever the body, the page
must be what ``from_json`` of the decoded body gives, and a body ``from_json`` refuses must
be refused with the same words."""

import httpx
import orjson
import pytest

from leadbuilder.services import row_values
from leadops.providers.errors import MalformedResponse
from leadops.providers.tracerfy import LeadRowsPage, TracerfyClient
from leadops.providers.tracerfy.leads import LEAD_ROW_KEYS
from tests.leadbuilder.factories import provider_rows
from tests.support.payloads import fixture


def page(row_list, **fields) -> dict:
    body = {
        "lead_list_id": 7,
        "page": 1,
        "per_page": 500,
        "total_rows": len(row_list),
        "total_pages": 1,
        "rows": row_list,
    }
    return {**body, **fields}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return list(provider_rows(40, seed="raw-split"))


def both(body: dict) -> tuple[LeadRowsPage, LeadRowsPage]:
    return LeadRowsPage.from_body(orjson.dumps(body)), LeadRowsPage.from_json(body)


def assert_same(split: LeadRowsPage, decoded: LeadRowsPage) -> None:
    assert split == decoded
    for n, (a, b) in enumerate(zip(split.rows, decoded.rows, strict=True)):
        assert a.text is not None and b.text is None
        assert a.data == b.data
        assert row_values(1, 2, n, a) == row_values(1, 2, n, b)


def test_a_page_split_raw_is_the_page_decoded(rows):
    split, decoded = both(page(rows))
    assert_same(split, decoded)
    assert (split.lead_list_id, split.total_rows, len(split.rows)) == (7, 40, 40)
    assert orjson.loads(split.rows[3].text) == rows[3]  # the row as it came


def test_the_documented_page_reads_the_same_either_way():
    body = fixture("tracerfy", "leadbuilder_rows")
    assert_same(LeadRowsPage.from_body(orjson.dumps(body)), LeadRowsPage.from_json(body))


def test_a_split_row_answers_its_typed_columns_without_decoding_the_rest(rows):
    row = LeadRowsPage.from_body(orjson.dumps(page(rows[:1]))).rows[0]
    assert row.get("estimated_value") == rows[0]["estimated_value"]
    assert row.get("corporate_owned") == rows[0]["corporate_owned"]
    assert "data" not in vars(row)  # not decoded yet
    assert row.get("lender_name") == rows[0]["lender_name"]  # not a LEAD_ROW_KEYS key
    assert "lender_name" not in LEAD_ROW_KEYS
    assert row.data == rows[0]


@pytest.mark.parametrize(
    "fields",
    [
        {"address": 1200, "city": 5, "state": 1.5, "zip_code": None},
        {"has_contact": "TRUE", "contact_clean": ""},
        {"has_contact": None, "contact_clean": "false"},
        {"sell_propensity_score": 5.0, "refi_propensity_score": " 7"},
        {"roof_renovate_propensity_score": "", "hvac_renovate_propensity_score": None},
        {"solar_renovate_propensity_score": 250, "sell_propensity_score": -3},
        {"sell_propensity_category": 3, "refi_propensity_category": None},
        {"estimated_value": "12.5", "equity_percent": "n/a", "absentee_owner": 1},
        {"corporate_owned": "true", "property_type": None, "primary_phone_type": 4},
        {"a column added later": {"nested": [1, 2.5, None, "é\n"]}},
    ],
)
def test_values_the_readers_accept_read_the_same(rows, fields):
    split, decoded = both(page([{**rows[0], **fields}, rows[1]]))
    assert_same(split, decoded)


@pytest.mark.parametrize(
    "fields",
    [
        {"address": None},
        {"address": True},
        {"address": ["12 Oak St"]},
        {"city": True},
        {"county": {"name": "Travis"}},
        {"has_contact": 1},
        {"contact_clean": "yes"},
        {"sell_propensity_score": 5.5},
        {"refi_propensity_score": "high"},
        {"hvac_renovate_propensity_score": True},
    ],
)
def test_a_row_the_readers_refuse_is_refused_with_their_words(rows, fields):
    body = page([rows[0], {**rows[1], **fields}])
    with pytest.raises(ValueError, match=r"field|lead row") as decoded:
        LeadRowsPage.from_json(body)
    with pytest.raises(type(decoded.value)) as split:
        LeadRowsPage.from_body(orjson.dumps(body))
    assert str(split.value) == str(decoded.value)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"rows": []},
        page([], rows=None),
        page([], rows="none"),
        page([1]),
        page([], total_rows=None),
        page([], page="first"),
        page([], lead_list_id=True),
        page([{"city": "Austin"}]),
    ],
)
def test_a_page_of_the_wrong_shape_is_refused_with_the_same_words(body):
    with pytest.raises(ValueError) as decoded:
        LeadRowsPage.from_json(body)
    with pytest.raises(type(decoded.value)) as split:
        LeadRowsPage.from_body(orjson.dumps(body))
    assert str(split.value) == str(decoded.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"<html>Processing</html>", "with a body that is not JSON"),
        (b'{"lead_list_id": 7, "rows": [{"address": "1 A St"}', "with a body that is not JSON"),
        (b'{"lead_list_id": 7, "rows": [{"address": "\xff"}]}', "with a body that is not JSON"),
        (orjson.dumps(page([{"address": None}])), "unexpected shape: missing required field"),
    ],
)
def test_the_client_answers_an_unreadable_page_as_before(content, words):
    with (
        TracerfyClient(base_url="https://tracerfy.test/v1/api/", api_key="k") as client,
        pytest.raises(MalformedResponse, match=words) as caught,
    ):
        client.parse(httpx.Response(200, content=content), LeadRowsPage.from_body, raw=True)
    assert caught.value.request_sent
