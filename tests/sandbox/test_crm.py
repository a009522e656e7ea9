"""CRM batch API: Basic auth, queued reply, what the sandbox received."""

from __future__ import annotations

import httpx
import pytest

from tests.support.payloads import fixture
from tests.support.sandbox import CRM_KEY, CRM_SECRET


@pytest.fixture
def crm(sandbox):
    with httpx.Client(auth=(CRM_KEY, CRM_SECRET), timeout=10) as client:
        client.url = sandbox.urls["crm"]
        yield client


def test_batch_is_queued_and_recorded(crm, sandbox):
    request = fixture("crm", "batch_request")
    response = crm.post(crm.url, json=request)
    assert response.status_code == 200
    assert response.json() == fixture("crm", "batch_response")
    received = sandbox.control.crm_received()
    assert received["items"] == request["data"]
    assert received["batches"][0]["problems"] == []
    assert received["batches"][0]["bytes"] > 0


def test_invalid_items_are_queued_but_flagged(crm, sandbox):
    response = crm.post(
        crm.url, json={"data": [{"type": "delete", "id": "u1"}, {"type": "event", "id": "u1"}]}
    )
    assert response.json() == {"status": "queued"}
    problems = sandbox.control.crm_received()["batches"][0]["problems"]
    assert problems == [
        {"index": 0, "problem": "type must be one of create, update, event"},
        {"index": 1, "problem": "event name is required"},
    ]


def test_bad_bodies(crm):
    response = crm.post(crm.url, content=b"nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": "Invalid JSON body."}
    response = crm.post(crm.url, json={"data": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "message": "data must be an array of request items.",
    }


def test_requests_over_100kb_rejected(crm, sandbox):
    item = {"type": "update", "id": "u1", "meta": {"note": "x" * 1000}}
    response = crm.post(crm.url, json={"data": [item] * 110})
    assert response.status_code == 413
    assert response.json() == {
        "status": "error",
        "message": "Request too large. Keep batch requests below 100KB.",
    }
    assert sandbox.control.crm_received()["items"] == []


@pytest.mark.parametrize("auth", [None, ("sandbox-key", "wrong"), ("other", "sandbox-secret")])
def test_basic_auth_required(sandbox, auth):
    response = httpx.post(sandbox.urls["crm"], json={"data": []}, auth=auth)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json() == {"status": "error", "message": "Unauthorized"}
