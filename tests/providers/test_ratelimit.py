"""The Redis limiter: documented limits, sliding windows, penalties, and many processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator

import pytest
import redis
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


def test_default_limits_are_the_published_numbers():
    # The safety margin is in the timing (slots counted from each call's end), not in the counts.
    assert set(DEFAULT_LIMITS) == set(PUBLISHED)
    for family, published in PUBLISHED.items():
        assert [(limit.count, limit.seconds) for limit in DEFAULT_LIMITS[family]] == published


def test_acquire_takes_slots_until_the_window_is_full(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix, limits={"f": (Limit(3, 10),)})
    assert [limiter.acquire("f") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("f")
    assert 9.5 < wait <= 10.25
    assert limiter.acquire("f") > 0, "a refused call must not take a slot"


def test_a_full_window_frees_up_as_it_slides(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, scale=0.1, drift=0, limits={"f": (Limit(2, 2.0),)}
    )
    assert limiter.acquire("f") == 0
    assert limiter.acquire("f") == 0
    wait = limiter.acquire("f")
    assert 0 < wait <= 0.2
    pause.wait(wait + 0.01)
    assert limiter.acquire("f") == 0


def test_every_window_of_a_family_must_have_room(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, drift=0, limits={"f": (Limit(2, 0.2), Limit(3, 30))}
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
    assert [limiter.acquire("tracerfy.trace") for _ in range(10)] == [0.0] * 10
    assert 2.9 < limiter.acquire("tracerfy.trace") <= 3 * 1.001


def test_drift_scales_with_the_window_and_padding_does_not(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client,
        prefix=key_prefix,
        scale=0.01,
        drift=0.01,
        padding=0.5,
        limits={"f": (Limit(1, 10),)},
    )
    assert limiter.window_seconds(Limit(1, 10)) == pytest.approx(0.1 * 1.01 + 0.5)
    assert limiter.acquire("f") == 0
    assert 0.55 < limiter.acquire("f") <= 0.601


def test_scale_padding_drift_and_hold_are_validated(redis_client):
    with pytest.raises(ValueError, match="scale must be > 0"):
        RateLimiter(redis_client, scale=0)
    with pytest.raises(ValueError, match="padding must be >= 0"):
        RateLimiter(redis_client, padding=-1)
    with pytest.raises(ValueError, match="drift must be >= 0"):
        RateLimiter(redis_client, drift=-0.1)
    with pytest.raises(ValueError, match="hold must be >= 0"):
        RateLimiter(redis_client).take("f", hold=-1)


# -- slots counted from the call's end -------------------------------------------------------


def test_a_call_in_flight_holds_its_slot_past_the_window(redis_client, key_prefix):
    # The window is 0.2 s; the call takes longer. Counted from its slot it would have freed
    # the window while still on its way to the provider: it must not.
    limiter = RateLimiter(redis_client, prefix=key_prefix, drift=0, limits={"f": (Limit(1, 0.2),)})
    slot = limiter.take("f", hold=30)
    assert slot.taken and slot.wait == 0.0
    pause.wait(0.3)
    refused = limiter.take("f", hold=30)
    assert not refused.taken
    # Its end is unknown: at the earliest now, so a window from now.
    assert 0.15 < refused.wait <= 0.2
    (window,) = limiter.usage("f")
    assert window.used == 1 and 0.15 < window.free_in <= 0.2


def test_a_finished_call_frees_its_slot_a_window_after_its_end(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix, drift=0, limits={"f": (Limit(1, 0.5),)})
    slot = limiter.take("f", hold=30)
    pause.wait(0.3)
    limiter.finish(slot)
    wait = limiter.take("f", hold=30).wait
    assert 0.4 < wait <= 0.5, "counted from the end, not from the slot (0.2 s left)"
    pause.wait(wait + 0.01)
    assert limiter.take("f", hold=30).taken


def test_a_slot_never_finished_ends_by_itself_after_its_hold(redis_client, key_prefix):
    # A worker that died mid-call: its slot ends at the latest the call could have ended.
    limiter = RateLimiter(redis_client, prefix=key_prefix, drift=0, limits={"f": (Limit(1, 0.1),)})
    assert limiter.take("f", hold=0.2).taken
    pause.wait(0.15)
    assert not limiter.take("f", hold=0.2).taken
    pause.wait(0.2)
    assert limiter.take("f", hold=0.2).taken


def test_finish_is_harmless_for_refused_unlimited_and_forgotten_slots(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix, drift=0, limits={"f": (Limit(1, 0.1),)})
    slot = limiter.take("f", hold=0)
    refused = limiter.take("f", hold=0)
    limiter.finish(refused)
    limiter.finish(limiter.take("unlimited", hold=5))
    pause.wait(0.15)
    # The window has slid past the slot and removed it: finishing it now must not bring it back.
    assert limiter.take("f", hold=0).taken
    limiter.finish(slot)
    (window,) = limiter.usage("f")
    assert window.used == 1


def test_a_redis_failure_while_finishing_is_logged_not_raised(redis_client, key_prefix, caplog):
    limiter = RateLimiter(redis_client, prefix=key_prefix, limits={"f": (Limit(1, 10),)})
    slot = limiter.take("f", hold=5)
    dead = RateLimiter(
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2),
        prefix=key_prefix,
        limits={"f": (Limit(1, 10),)},
    )
    dead.finish(slot)
    assert "could not end a f slot" in caplog.text


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
    # Trace POSTs: 10 per 5 minutes, scaled to 10 per 0.6 s (+0.1 % drift); each burst of
    # 100 calls lands inside one window, and the next burst starts after it has passed.
    scale, rounds = 0.002, 3
    window = 300 * scale * 1.001
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
        assert flat.count(0.0) == 10, f"round {round_index}"
        refused = [wait for wait in flat if wait > 0]
        assert len(refused) == 90
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
