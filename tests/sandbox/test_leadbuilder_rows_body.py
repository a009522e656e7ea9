"""The sandbox writes a rows page with orjson (a 500-row page is 1.7 MB and the sandbox
shares the machine with the app): the body must be the JSON Starlette's JSONResponse wrote,
byte for byte, with its content type."""

import json

from tests.sandbox.test_leadbuilder import SPEC, wait_list


def test_a_rows_page_is_the_json_jsonresponse_wrote(api):
    list_id = api.post("lead-builder/execute/", json={**SPEC, "requested_count": 30}).json()["id"]
    wait_list(api, list_id)
    response = api.get(f"lead-builder/{list_id}/rows/", params={"page": 2, "per_page": 10})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["page"], body["per_page"], len(body["rows"])) == (2, 10, 10)
    written = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert response.content == written.encode()
