"""RateLimiter.usage: a read of each window that never takes a slot."""

from __future__ import annotations

import threading

from leadops.providers.ratelimit import Limit, RateLimiter, WindowUsage

pause = threading.Event()


def test_usage_counts_the_slots_taken_without_taking_one(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, drift=0, limits={"f": (Limit(3, 10), Limit(5, 100))}
    )
    assert limiter.usage("f") == [WindowUsage(0, 3, 10, 0.0), WindowUsage(0, 5, 100, 0.0)]
    limiter.acquire("f")
    limiter.acquire("f")
    for _ in range(5):
        assert [w.used for w in limiter.usage("f")] == [2, 2], "usage must not take a slot"
    limiter.acquire("f")
    full, roomy = limiter.usage("f")
    assert (full.used, full.limit) == (3, 3)
    assert 9 < full.free_in <= 10
    assert (roomy.used, roomy.free_in) == (3, 0.0)
    assert limiter.acquire("f") > 0


def test_usage_follows_the_sliding_window(redis_client, key_prefix):
    limiter = RateLimiter(
        redis_client, prefix=key_prefix, scale=0.1, drift=0, limits={"f": (Limit(2, 2.0),)}
    )
    limiter.acquire("f")
    limiter.acquire("f")
    (window,) = limiter.usage("f")
    assert window.used == 2 and 0 < window.free_in <= 0.2
    pause.wait(window.free_in + 0.02)
    (window,) = limiter.usage("f")
    assert window.used == 0 and window.free_in == 0


def test_usage_reports_a_penalty_and_families_without_limits(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, prefix=key_prefix, limits={"f": (Limit(3, 10),)})
    assert limiter.usage("unlimited") == []
    limiter.penalize("f", 30)
    (window,) = limiter.usage("f")
    assert window.used == 0 and 29 < window.free_in <= 30
