"""The Redis limiter: documented limits, sliding windows, penalties, and many processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator

import pytest
from django.conf import settings

from leadops.providers.errors import RateLimited
from leadops.providers.ratelimit import DEFAULT_LIMITS, Limit, RateLimiter
from leadops.providers.tracerfy import TraceColumns, TracerfyClient
from leadops.sandbox.config import SandboxConfig
from leadops.sandbox.testing import RunningSandbox, run_sandbox
from tests.support.sandbox import SANDBOX_KEY, tracerfy_url

from . import burst

# The published limits (tracerfy-api.md); the preview limit is the lower of the two the
# document states (500/hour in the text, 120/hr on its error example).
PUBLISHED = {
    "tracerfy.trace": [(10, 300)],
    "tracerfy.parcel": [(10, 300)],
    "tracerfy.lookup": [(500, 60)],
    "tracerfy.parcel_lookup": [(500, 60)],
    "tracerfy.preview": [(120, 3600)],
    "tracerfy.execute": [(10, 3600), (50, 86400)],
    "tracerfy.autocomplete": [(30, 60)],
}
pause = threading.Event()


def test_default_limits_sit_5_to_10_percent_under_the_published_numbers():
    assert set(DEFAULT_LIMITS) == set(PUBLISHED)
    for family, published in PUBLISHED.items():
        ours = DEFAULT_LIMITS[family]
        assert [limit.seconds for limit in ours] == [seconds for _, seconds in published]
        for limit, (count, _) in zip(ours, published, strict=True):
            assert 0.90 * count <= limit.count <= 0.95 * count, family


def test_acquire_takes_slots_until_the_window_is_full(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix, limits={"f": (Limit(3, 10),)})
    assert [limiter.acquire("f") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("f")
    assert 9.5 < wait <= 10.25
    assert limiter.acquire("f") > 0, "a refused call must not take a slot"


def test_a_full_window_frees_up_as_it_slides(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, scale=0.1, padding=0, limits={"f": (Limit(2, 2.0),)}
    )
    assert limiter.acquire("f") == 0
    assert limiter.acquire("f") == 0
    wait = limiter.acquire("f")
    assert 0 < wait <= 0.2
    pause.wait(wait + 0.01)
    assert limiter.acquire("f") == 0


def test_every_window_of_a_family_must_have_room(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, padding=0, limits={"f": (Limit(2, 0.2), Limit(3, 30))}
    )
    assert [limiter.acquire("f") for _ in range(2)] == [0.0, 0.0]
    short_wait = limiter.acquire("f")
    assert 0 < short_wait <= 0.2
    pause.wait(short_wait + 0.01)
    assert limiter.acquire("f") == 0
    pause.wait(0.21)
    # The short window has room again; the long one (3 per 30 s) does not.
    assert limiter.acquire("f") > 29


def test_a_penalty_blocks_the_family_for_every_limiter_and_never_shrinks(redis_client, key_prefix):
    worker_a = RateLimiter(redis_client, prefix=key_prefix)
    worker_b = RateLimiter(redis_client, prefix=key_prefix)
    assert 4.9 < worker_a.penalize("tracerfy.trace", 5) <= 5
    assert 4.9 < worker_b.acquire("tracerfy.trace") <= 5
    assert 4.9 < worker_b.penalize("tracerfy.trace", 1) <= 5
    assert worker_b.acquire("tracerfy.lookup") == 0


def test_a_penalty_expires(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix)
    limiter.penalize("reapi.batch", 0.1)
    assert limiter.acquire("reapi.batch") > 0
    pause.wait(0.12)
    assert limiter.acquire("reapi.batch") == 0


def test_families_without_a_published_limit_only_honour_penalties(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix)
    assert {limiter.acquire("crm.batch") for _ in range(50)} == {0.0}


def test_prefixes_keep_test_runs_apart(redis_client, key_prefix):
    first = RateLimiter(redis_client, prefix=f"{key_prefix}:one", limits={"f": (Limit(1, 60),)})
    second = RateLimiter(redis_client, prefix=f"{key_prefix}:two", limits={"f": (Limit(1, 60),)})
    assert first.acquire("f") == 0
    assert second.acquire("f") == 0
    assert first.acquire("f") > 0


def test_scale_shrinks_the_documented_windows(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix, scale=0.01)
    assert [limiter.acquire("tracerfy.trace") for _ in range(9)] == [0.0] * 9
    assert 0 < limiter.acquire("tracerfy.trace") <= 3.25


def test_a_padding_lengthens_every_window_unscaled(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, scale=0.01, padding=0.5, limits={"f": (Limit(1, 10),)}
    )
    assert limiter.acquire("f") == 0
    assert 0.55 < limiter.acquire("f") <= 0.6


def test_scale_and_padding_are_validated(redis_client):
    with pytest.raises(ValueError, match="scale must be > 0"):
        RateLimiter(redis_client, scale=0)
    with pytest.raises(ValueError, match="padding must be >= 0"):
        RateLimiter(redis_client, padding=-1)


# -- many processes -------------------------------------------------------------------------


def run_in_two_processes(task: str, *args: object) -> list:
    """Run ``burst.<task>`` in two spawned processes released together; their results."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=burst.report, args=(results, task, *args, start)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    return answers


def test_a_burst_across_two_processes_takes_exactly_the_configured_slots(key_prefix):
    # Trace POSTs: 9 per 5 minutes, scaled to 9 per 0.6 s (+0.25 s padding); each burst of
    # 100 calls lands inside one window, and the next burst starts after it has passed.
    scale, rounds = 0.002, 3
    window = 300 * scale + 0.25
    answers = run_in_two_processes(
        "acquire_burst",
        settings.REDIS_URL,
        key_prefix,
        scale,
        "tracerfy.trace",
        50,
        rounds,
        window + 0.05,
    )
    for round_index in range(rounds):
        flat = [wait for process in answers for wait in process[round_index]]
        assert len(flat) == 100
        assert flat.count(0.0) == 9, f"round {round_index}"
        refused = [wait for wait in flat if wait > 0]
        assert len(refused) == 91
        assert max(refused) <= window


@pytest.fixture(scope="module")
def scaled_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox whose rate windows run 500x faster (5 minutes = 0.6 seconds)."""
    with run_sandbox(SandboxConfig(speed=200.0, rate_window_scale=0.002)) as running:
        yield running


def test_the_scaled_sandbox_does_throttle_an_unlimited_client(scaled_sandbox):
    scaled_sandbox.reset()
    columns = TraceColumns(address="address", city="city", state="state")
    record = [{"address": "1 Burst Way", "city": "Austin", "state": "TX"}]
    with TracerfyClient(base_url=tracerfy_url(scaled_sandbox), api_key=SANDBOX_KEY) as client:
        for _ in range(10):
            client.trace_records(records=record, columns=columns, trace_type="advanced")
        with pytest.raises(RateLimited) as caught:
            client.trace_records(records=record, columns=columns, trace_type="advanced")
    assert caught.value.local is False
    assert caught.value.status == 429


def test_limited_clients_in_two_processes_never_draw_a_429(scaled_sandbox, key_prefix):
    scaled_sandbox.reset()
    counts = run_in_two_processes(
        "submit_traces",
        settings.REDIS_URL,
        key_prefix,
        0.002,
        tracerfy_url(scaled_sandbox),
        12,
    )
    assert [c["provider_429"] for c in counts] == [0, 0]
    assert [c["accepted"] for c in counts] == [12, 12]
    # 24 submissions at 9 per window: the limiter must have held some back.
    assert sum(c["local_waits"] for c in counts) > 0
    with TracerfyClient(base_url=tracerfy_url(scaled_sandbox), api_key=SANDBOX_KEY) as client:
        assert client.list_queues().total_count == 24
