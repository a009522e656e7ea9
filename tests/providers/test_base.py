"""The shared doorway: headers, logging, transport failures, retries, status mapping, limiter."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import logging
import socket
import uuid

import httpx
import pytest
import respx

from leadops import providers
from leadops.providers.base import (
    USER_AGENT,
    ProviderClient,
    RetryPolicy,
    Timeouts,
    error_text,
    retry_after_seconds,
)
from leadops.providers.errors import (
    AuthFailed,
    InsufficientCredits,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    NotReady,
    ProviderUnavailable,
    RateLimited,
)
from leadops.providers.ratelimit import Limit, RateLimiter
from leadops.providers.tracerfy import TraceColumns, TracerfyClient
from tests.support.payloads import fixture
from tests.support.rows import OWNERS
from tests.support.sandbox import FAST_RETRY, SANDBOX_KEY, TEST_TIMEOUTS, tracerfy_url

BASE = "https://tracerfy.test/v1/api/"
ADVANCED = TraceColumns(address="address", city="city", state="state", zip="zip")


def offline_client(**kwargs) -> TracerfyClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return TracerfyClient(base_url=BASE, api_key="secret-key-123", **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def provider_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "leadops.providers"]


# -- headers and logging ------------------------------------------------------------------


@respx.mock
def test_every_call_carries_user_agent_auth_and_is_logged_without_secrets(caplog):
    caplog.set_level(logging.DEBUG)
    route = respx.post(f"{BASE}trace/lookup/").respond(
        200,
        json={"hit": False, "credits_deducted": 0, "persons": []},
        headers={"X-Request-Id": "req-42"},
    )
    with offline_client() as client:
        client.trace_lookup(address="742 Evergreen Terrace", city="Springfield", state="IL")

    sent = route.calls.last.request
    assert sent.headers["User-Agent"] == USER_AGENT == "LeadOps/0.1"
    assert sent.headers["Authorization"] == "Bearer secret-key-123"
    (record,) = provider_records(caplog)
    assert record.provider == "tracerfy"
    assert record.method == "POST"
    assert record.endpoint == "trace/lookup/"
    assert record.status == 200
    assert record.request_id == "req-42"
    assert isinstance(record.latency_ms, int)
    assert record.getMessage().startswith("tracerfy POST trace/lookup/ -> 200 in ")
    # Nothing logged anywhere (httpx's own logger included) may carry the key, the
    # Authorization header or the personal data in the body.
    for logged in caplog.records:
        text = logged.getMessage() + repr(vars(logged))
        assert "secret-key-123" not in text
        assert "Bearer" not in text
        assert "Evergreen" not in text


def test_timeouts_are_explicit_on_the_http_client():
    timeouts = Timeouts(connect=1.5, read=7.0, write=3.0, pool=0.5)
    with offline_client(timeouts=timeouts) as client:
        assert client._http.timeout == httpx.Timeout(connect=1.5, read=7.0, write=3.0, pool=0.5)


def test_base_url_needs_no_trailing_slash():
    with TracerfyClient(base_url="https://tracerfy.test/v1/api", api_key="k") as client:
        assert client.base_url == "https://tracerfy.test/v1/api/"


def test_an_empty_base_url_is_refused():
    with pytest.raises(ValueError, match="base_url is required"):
        TracerfyClient(base_url="", api_key="k")


# -- malformed answers (the sandbox always answers well, so respx) ---------------------------


@respx.mock
def test_a_success_status_with_a_non_json_body_is_malformed():
    respx.get(f"{BASE}analytics/").respond(200, text="<html>gateway</html>")
    with offline_client() as client, pytest.raises(MalformedResponse) as caught:
        client.analytics()
    error = caught.value
    assert error.message == "Tracerfy answered HTTP 200 with a body that is not JSON."
    assert error.transient and error.request_sent


@respx.mock
def test_a_body_missing_a_required_field_is_malformed_and_names_it():
    respx.get(f"{BASE}analytics/").respond(200, json={"total_queues": 1})
    with offline_client() as client, pytest.raises(MalformedResponse) as caught:
        client.analytics()
    assert caught.value.message == (
        "Tracerfy answered with an unexpected shape: missing required field 'properties_traced'."
    )


@respx.mock
def test_an_error_status_with_an_html_body_keeps_a_readable_message():
    respx.get(f"{BASE}analytics/").respond(502, text="<html>Bad gateway</html>")
    with (
        offline_client(retry=RetryPolicy(attempts=1)) as client,
        pytest.raises(ProviderUnavailable) as caught,
    ):
        client.analytics()
    assert caught.value.message == "Tracerfy answered HTTP 502."
    assert caught.value.status == 502


# -- status mapping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error_class", "message", "permanent"),
    [
        (400, {"error": "Bad thing."}, InvalidRequest, "Bad thing.", True),
        (401, {"detail": "Invalid token."}, AuthFailed, "Invalid token.", True),
        (402, {"error": "Pay up."}, InsufficientCredits, "Pay up.", True),
        (403, {"detail": "Forbidden."}, AuthFailed, "Forbidden.", True),
        (404, {"detail": "Not found."}, NotFound, "Not found.", True),
        (409, {"error": "Still processing."}, NotReady, "Still processing.", False),
        (413, {"message": "Too big."}, InvalidRequest, "Too big.", True),
        (418, {}, InvalidRequest, "Tracerfy answered HTTP 418.", True),
        (429, {"detail": "Slow down."}, RateLimited, "Slow down.", False),
        (500, {}, ProviderUnavailable, "Tracerfy answered HTTP 500.", False),
        (503, {"error": "Down."}, ProviderUnavailable, "Down.", False),
    ],
)
def test_status_mapping(status, body, error_class, message, permanent):
    with offline_client() as client:
        error = client.error_for(httpx.Response(status, json=body))
    assert type(error) is error_class
    assert error.message == message
    assert error.permanent is permanent
    assert error.status == status
    assert error.provider == "tracerfy"


@pytest.mark.parametrize(
    ("status", "request_sent"),
    [
        (502, False),
        (503, False),
        (504, False),
        (500, True),
        (501, True),
        (507, True),
        (599, True),
        (408, True),
    ],
)
def test_only_gateway_refusals_say_the_request_was_not_processed(status, request_sent):
    """502/503/504 come before any processing: safe to send again. Any other 5xx may come
    after the work was done, so a paid POST must be reconciled instead of resent."""
    with offline_client() as client:
        error = client.error_for(httpx.Response(status, text="oops"))
    assert type(error) is ProviderUnavailable
    assert error.request_sent is request_sent
    assert error.transient


def test_invalid_request_keeps_the_providers_field_errors_as_detail():
    body = {"requested_count": ["Ensure this value is less than or equal to 25000."]}
    with offline_client() as client:
        error = client.error_for(httpx.Response(400, json=body))
    assert isinstance(error, InvalidRequest)
    assert error.detail == body
    assert error.message == "requested_count: Ensure this value is less than or equal to 25000."


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"error": "E."}, "E."),
        ({"detail": "D."}, "D."),
        ({"statusCode": 400, "statusMessage": "Bad Request", "message": "M."}, "M."),
        ({"non_field_errors": ["Invalid data."]}, "Invalid data."),
        ({"prompt": ["Required."], "name": ["Too long."]}, "prompt: Required. name: Too long."),
        ({"status": 429, "error": "Slow."}, "Slow."),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_error_text_reads_every_documented_error_shape(body, text):
    assert error_text(body) == text


def test_retry_after_reads_seconds_dates_and_falls_back():
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "17"})) == 17.0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    dated = httpx.Response(429, headers={"Retry-After": email.utils.format_datetime(later)})
    assert 100 < retry_after_seconds(dated) <= 120
    assert retry_after_seconds(httpx.Response(429)) == 60.0
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) == 60.0


def test_the_base_client_maps_statuses_without_provider_rules():
    with ProviderClient(base_url=BASE) as client:
        error = client.error_for(httpx.Response(400, json={"error": "Insufficient credits."}))
    assert type(error) is InvalidRequest


# -- transport failures and retries, against the sandbox -----------------------------------------


def test_connect_error_on_a_get_is_retried_then_reported_as_not_sent(caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    url = f"http://127.0.0.1:{free_port()}/tracerfy/v1/api/"
    with (
        TracerfyClient(base_url=url, api_key="k", timeouts=TEST_TIMEOUTS, retry=FAST_RETRY) as c,
        pytest.raises(ProviderUnavailable) as caught,
    ):
        c.analytics()
    error = caught.value
    assert error.message == "Tracerfy could not be reached (connection failed)."
    assert error.request_sent is False
    assert error.timed_out is False
    assert error.transient
    assert [r.failure for r in provider_records(caplog)] == ["ConnectError"] * 3


def test_connect_error_on_a_paid_post_is_not_retried(caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    url = f"http://127.0.0.1:{free_port()}/tracerfy/v1/api/"
    with (
        TracerfyClient(base_url=url, api_key="k", timeouts=TEST_TIMEOUTS, retry=FAST_RETRY) as c,
        pytest.raises(ProviderUnavailable) as caught,
    ):
        c.trace_records(records=OWNERS[:1], columns=ADVANCED, trace_type="advanced")
    assert caught.value.request_sent is False
    assert len(provider_records(caplog)) == 1


def test_a_get_is_retried_through_transient_5xx(sandbox, control, tracerfy, caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    control.faults(error_rate=1.0, fault_budget=2, paths=["/tracerfy/v1/api/analytics"])
    analytics = tracerfy.analytics()
    assert analytics.balance == 100_000
    assert [r.status for r in provider_records(caplog)] == [503, 503, 200]
    assert control.fault_state()["fault_budget_remaining"] == 0


def test_a_get_gives_up_after_a_few_attempts(sandbox, control, tracerfy):
    control.faults(error_rate=1.0, fault_budget=10, paths=["/tracerfy/v1/api/analytics"])
    with pytest.raises(ProviderUnavailable) as caught:
        tracerfy.analytics()
    error = caught.value
    assert error.message == "Service temporarily unavailable, try again later."
    assert error.status == 503
    assert error.transient
    assert control.fault_state()["fault_budget_remaining"] == 10 - FAST_RETRY.attempts


@pytest.mark.parametrize(("status", "request_sent"), [(503, False), (500, True)])
def test_a_paid_post_is_never_retried_after_a_5xx(sandbox, control, tracerfy, status, request_sent):
    control.faults(
        error_rate=1.0, error_status=status, fault_budget=5, paths=["/tracerfy/v1/api/trace/"]
    )
    with pytest.raises(ProviderUnavailable) as caught:
        tracerfy.trace_records(records=OWNERS[:2], columns=ADVANCED, trace_type="advanced")
    assert caught.value.status == status
    # 503: the service says it did not process it; 500: it may have, after doing the work.
    assert caught.value.request_sent is request_sent
    assert control.fault_state()["fault_budget_remaining"] == 4


def test_a_read_timeout_on_a_paid_post_says_it_may_have_been_accepted(sandbox, control):
    control.faults(
        read_timeout_rate=1.0,
        read_timeout_seconds=1.5,
        fault_budget=1,
        paths=["/tracerfy/v1/api/trace/"],
    )
    short = Timeouts(connect=2.0, read=0.3, write=2.0, pool=2.0)
    with TracerfyClient(
        base_url=tracerfy_url(sandbox), api_key=SANDBOX_KEY, timeouts=short, retry=FAST_RETRY
    ) as client:
        with pytest.raises(ProviderUnavailable) as caught:
            client.trace_records(records=OWNERS[:3], columns=ADVANCED, trace_type="advanced")
        error = caught.value
        assert error.timed_out is True
        assert error.request_sent is True
        assert error.transient
        assert error.message == (
            "Tracerfy did not answer within 0.3 s; the request may have been accepted."
        )
        # The provider did accept it: this is what the job layer reconciles against.
        (queue,) = client.list_queues().queues
        assert queue.trace_type == "advanced"


def test_a_read_timeout_on_a_get_is_retried(sandbox, control, caplog):
    caplog.set_level(logging.INFO, "leadops.providers")
    control.faults(
        read_timeout_rate=1.0,
        read_timeout_seconds=1.0,
        fault_budget=1,
        paths=["/tracerfy/v1/api/analytics"],
    )
    short = Timeouts(connect=2.0, read=0.3, write=2.0, pool=2.0)
    with TracerfyClient(
        base_url=tracerfy_url(sandbox), api_key=SANDBOX_KEY, timeouts=short, retry=FAST_RETRY
    ) as client:
        assert client.analytics().total_queues == 0
    assert [r.failure or r.status for r in provider_records(caplog)] == ["ReadTimeout", 200]


# -- the limiter in the doorway ---------------------------------------------------------------


def test_no_free_slot_raises_locally_without_calling_the_provider(
    sandbox, control, redis_client, key_prefix, caplog
):
    caplog.set_level(logging.INFO, "leadops.providers")
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, drift=0, limits={"tracerfy.lookup": (Limit(2, 60),)}
    )
    with TracerfyClient(
        base_url=tracerfy_url(sandbox), api_key=SANDBOX_KEY, limiter=limiter, retry=FAST_RETRY
    ) as client:
        for _ in range(2):
            client.trace_lookup(address="1 Elm St", city="Austin", state="TX")
        with pytest.raises(RateLimited) as caught:
            client.trace_lookup(address="1 Elm St", city="Austin", state="TX")
    error = caught.value
    assert error.local is True
    assert error.family == "tracerfy.lookup"
    assert 59 < error.retry_after <= 60
    assert error.message == "Tracerfy rate limit reached for tracerfy.lookup; next slot in 60 s."
    assert error.transient
    assert len(provider_records(caplog)) == 2


def test_a_429_penalizes_the_family_for_every_client(sandbox, control, redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix)
    control.faults(rate_limit_rate=1.0, retry_after_seconds=30, fault_budget=1)
    with (
        TracerfyClient(
            base_url=tracerfy_url(sandbox), api_key=SANDBOX_KEY, limiter=limiter, retry=FAST_RETRY
        ) as client,
        pytest.raises(RateLimited) as caught,
    ):
        client.trace_records(records=OWNERS[:1], columns=ADVANCED, trace_type="advanced")
    error = caught.value
    assert error.local is False
    assert error.retry_after == 30
    assert error.message == "Request was throttled. Expected available in 30 seconds."
    # Another worker (another limiter object on the same Redis) is held back too.
    other = RateLimiter(redis_client, prefix=key_prefix)
    assert 29 < other.acquire("tracerfy.trace") <= 30
    assert other.acquire("tracerfy.lookup") == 0


# -- factories -------------------------------------------------------------------------------


@respx.mock
def test_factories_build_clients_from_settings(settings):
    settings.TRACERFY_BASE_URL = "https://tracerfy.example/v1/api/"
    settings.REAPI_BASE_URL = "https://reapi.example/v1/"
    settings.CRM_BASE_URL = "https://crm.example/v1/"
    settings.TRACERFY_API_KEY, settings.REAPI_API_KEY = "t-key", "r-key"
    settings.CRM_API_KEY, settings.CRM_API_SECRET = "c-key", "c-secret"
    analytics = respx.get("https://tracerfy.example/v1/api/analytics/").respond(
        200, json=fixture("tracerfy", "analytics")
    )
    crm_batch = respx.post("https://crm.example/v1/batch").respond(200, json={"status": "queued"})
    with providers.tracerfy_client() as tracerfy:
        assert tracerfy.analytics().balance == 940
        assert tracerfy.limiter is providers.limiter()
    assert analytics.calls.last.request.headers["Authorization"] == "Bearer t-key"
    with providers.crm_client() as crm:
        crm.batch([{"type": "update", "id": "u1", "meta": {"plan": "pro"}}])
    expected = base64.b64encode(b"c-key:c-secret").decode()
    assert crm_batch.calls.last.request.headers["Authorization"] == f"Basic {expected}"
    with providers.reapi_client() as reapi:
        assert reapi.base_url == "https://reapi.example/v1/"
        assert reapi._http.headers["x-api-key"] == "r-key"
    # The shared limiter talks to the test Redis.
    assert providers.limiter().acquire(f"test-{uuid.uuid4().hex}") == 0
