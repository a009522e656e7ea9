"""bench/rate_allowance.py on tiny sizes, so it cannot rot, and the limiter's promise across
processes as the sandbox counts it: three worker processes calling as fast as the limiter
lets them, at the published limits, never draw a 429, and no window (on the calls' end
times) holds more than the allowance. Neither depends on the machine's speed: a slow run
accepts fewer calls, never more."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from bench import rate_allowance
from bench.rate_allowance import Family


def test_a_call_counts_in_a_window_only_when_sent_and_answered_inside_it():
    count = rate_allowance.max_certainly_in_one_window
    assert count([], 1.0) == 0
    assert count([(0.0, 0.1), (0.5, 0.6), (0.8, 0.95), (1.0, 1.1)], 1.0) == 3
    # The third call may have reached the provider after the first window closed.
    assert count([(0.0, 0.1), (0.5, 0.6), (0.8, 1.05)], 1.0) == 2
    assert count([(0.0, 0.1), (1.0, 1.1), (2.0, 2.1)], 1.0) == 1


@pytest.mark.parametrize(
    "family",
    [
        # 10 per 5 minutes, scaled to 10 per 1.5 s.
        Family("trace", "tracerfy.trace", 10, 300, 0.005, 9),
        # 30 per minute, scaled to 30 per 1.2 s.
        Family("autocomplete", "tracerfy.autocomplete", 30, 60, 0.02, 27),
    ],
    ids=lambda family: family.key,
)
def test_three_processes_at_the_published_limit_never_draw_a_429(family):
    run = rate_allowance.run_family(family, windows=2, processes=3, redis_url=settings.REDIS_URL)

    assert json.loads(json.dumps(run)) == run
    assert run["http_429"] == 0
    assert run["other_errors"] == 0, run["error_samples"]
    assert 0 < run["max_accepted_certainly_in_one_window"] <= family.count
    assert run["allowance"] == 2 * family.count
    assert 0 < run["accepted_in_measured_windows"] <= run["allowance"]
    assert run["share"] == round(run["accepted_in_measured_windows"] / run["allowance"], 4)
    # Three processes wanting more than the allowance: the limiter held some back.
    assert run["local_refusals"] > 0
