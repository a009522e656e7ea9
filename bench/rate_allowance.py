"""Share of each provider rate allowance we use, with several worker processes, and the 429s.

For each family (tracerfy.trace 10 per 5 min, tracerfy.lookup 500 per min, tracerfy.autocomplete
30 per min) the sandbox runs in its own process with its windows scaled
(SANDBOX_RATE_WINDOW_SCALE) and PROCESSES worker processes call it through the real client and
the shared Redis limiter (``providers.tracerfy_client()``, PROVIDER_RATE_WINDOW_SCALE the same
scale) as fast as the limiter lets them: a local refusal sleeps the wait it names, then tries
again. The sandbox enforces the documented limits with sliding windows on its own clock and
answers 429 to anything over; that count is the verdict.

What is measured (what a user with queued work waits for is the calls the provider accepts):

- **allowance share**: accepted calls / allowance over exactly WINDOWS windows, the first
  starting at the first accepted call: allowance = WINDOWS x the published count, accepted =
  the 2xx answers certainly inside [first send, first send + WINDOWS x window), i.e. sent
  after the first accepted call was sent and answered before the last window closed (the
  workers' monotonic clock, one clock for every process on this machine). A fraction
  (0.97 = 97 %); it cannot exceed 1 unless the provider let more than its allowance
  through. ``max_accepted_certainly_in_one_window`` is the same count for any one window;
- **429s**: answers the sandbox refused over the whole run (not only the measured windows).

Baseline, measured in the same run on the same sandbox set-up: the limiter as it was (9 of
10, 460 of 500, 27 of 30, each call counted from its slot, windows padded by 0.25 s unscaled).

Scales: trace at 0.01 (5 minutes -> 3 s), autocomplete at 0.05 (1 minute -> 3 s), lookup at
0.1 (1 minute -> 6 s, 83 calls a second: at 0.01 it would need 833 a second, more than a
sandbox process on a shared 2-core machine answers, and the share would measure the machine).
Sizes: BENCH_RATE_WINDOWS (5; smoke 1), BENCH_RATE_PROCESSES (3; smoke 2),
BENCH_RATE_BASELINE (1: measure the baseline; smoke 0).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench.common import bench_redis_url, check, emit, size

TARGET_SHARE = 0.95


@dataclass(frozen=True)
class Family:
    key: str  # the figure's suffix
    family: str  # the limiter's and the sandbox's family
    count: int  # the published allowance per window
    seconds: float  # the published window
    scale: float  # sandbox and limiter windows scaled by this
    previous_count: int  # the limiter's count before (the baseline)

    @property
    def window(self) -> float:
        return self.seconds * self.scale


FAMILIES = (
    Family("trace", "tracerfy.trace", 10, 300, 0.01, 9),
    Family("lookup", "tracerfy.lookup", 500, 60, 0.1, 460),
    Family("autocomplete", "tracerfy.autocomplete", 30, 60, 0.05, 27),
)


def _call(client: Any, family: str, n: int) -> None:
    """One call of ``family`` through the client (real endpoint, small request)."""
    if family == "tracerfy.trace":
        from leadops.providers.tracerfy import TraceColumns

        client.trace_records(
            records=[{"address": f"{100 + n} Burst Way", "city": "Austin", "state": "TX"}],
            columns=TraceColumns(address="address", city="city", state="state"),
            trace_type="advanced",
        )
    elif family == "tracerfy.lookup":
        client.trace_lookup(address=f"{100 + n} Elm St", city="Austin", state="TX")
    elif family == "tracerfy.autocomplete":
        client.lead_autocomplete(f"{100 + n} Main")
    else:
        raise ValueError(family)


def _previous_limiter(redis_url: str, prefix: str, scale: float) -> Any:
    """The limiter as it was before: counts 5-10 % under, each call counted from its slot."""
    from leadops.providers.ratelimit import Limit, RateLimiter

    class SlotCounted(RateLimiter):
        def take(self, family, *, hold):
            return super().take(family, hold=0.0)

        def finish(self, slot):
            return None

    limits = {f.family: (Limit(f.previous_count, f.seconds),) for f in FAMILIES}
    return SlotCounted.from_url(
        redis_url, prefix=prefix, scale=scale, padding=0.25, drift=0.0, limits=limits
    )


def worker(
    env: dict[str, str], family: str, duration: float, baseline: bool, start: Any
) -> dict[str, Any]:
    """One worker process: call ``family`` as fast as the limiter allows for ``duration``
    seconds after the common start; return each answered call (end time, outcome)."""
    os.environ.update(env)
    from django.conf import settings

    from leadops import providers
    from leadops.providers.errors import ProviderError, RateLimited
    from leadops.providers.tracerfy import TracerfyClient

    if baseline:
        client = TracerfyClient(
            base_url=settings.TRACERFY_BASE_URL,
            api_key=settings.TRACERFY_API_KEY,
            limiter=_previous_limiter(
                settings.REDIS_URL,
                "bench:ratelimit:previous",
                settings.PROVIDER_RATE_WINDOW_SCALE,
            ),
        )
    else:
        client = providers.tracerfy_client()
    pause = threading.Event()
    calls: list[tuple[float, float]] = []
    refused_at: list[float] = []
    errors: list[str] = []
    local_waits = 0
    with client:
        start.wait(timeout=60)
        deadline = time.monotonic() + duration
        n = 0
        while (now := time.monotonic()) < deadline:
            n += 1
            try:
                _call(client, family, n)
            except RateLimited as exc:
                if exc.local:
                    local_waits += 1
                    pause.wait(min(exc.retry_after, max(0.0, deadline - time.monotonic())))
                else:
                    refused_at.append(time.monotonic())
                continue
            except ProviderError as exc:
                errors.append(repr(exc))
                continue
            calls.append((now, time.monotonic()))
    return {
        "calls": calls,
        "refused_at": refused_at,
        "errors": errors[:5],
        "error_count": len(errors),
        "local_waits": local_waits,
    }


def _report(results: Any, *args: Any) -> None:
    results.put(worker(*args))


def max_certainly_in_one_window(calls: list[tuple[float, float]], window: float) -> int:
    """The most accepted calls that certainly reached the provider inside one window.

    A call reached it between its start (before the limiter was asked) and its end; a window
    [t, t + window) certainly holds the calls that started at or after t and ended before
    t + window. The provider allows at most its count in any window, so this never exceeds
    it; our own clocks cannot make it look better than it was.
    """
    ordered = sorted(calls)
    best = 0
    for j, (opens, _) in enumerate(ordered):
        closes = opens + window
        inside = 0
        for start, end in ordered[j:]:
            if start >= closes:
                break
            if end < closes:
                inside += 1
        best = max(best, inside)
    return best


def run_family(
    family: Family, *, windows: int, processes: int, redis_url: str, baseline: bool = False
) -> dict[str, Any]:
    """One family: its own scaled sandbox, ``processes`` workers, the figures."""
    import redis

    from leadops.sandbox.testing import run_sandbox_process

    scale = str(family.scale)
    duration = (windows + 0.5) * family.window
    sandbox_env = {"SANDBOX_RATE_WINDOW_SCALE": scale, "SANDBOX_BALANCE": str(10**9)}
    with run_sandbox_process(sandbox_env) as sandbox:
        client = redis.Redis.from_url(redis_url)
        for prefix in ("leadops:ratelimit", "bench:ratelimit:previous"):
            keys = list(client.scan_iter(f"{prefix}:{family.family}:*"))
            if keys:
                client.delete(*keys)
        client.close()
        env = {
            # The app's settings, not a test run's (which point at the test session's sandbox).
            "DJANGO_SETTINGS_MODULE": "leadops.settings",
            "PROVIDER_MODE": "sandbox",
            "TRACERFY_BASE_URL": f"{sandbox}/tracerfy/v1/api/",
            "TRACERFY_API_KEY": "sandbox-key",
            "PROVIDER_RATE_WINDOW_SCALE": scale,
            "REDIS_URL": redis_url,
        }
        ctx = multiprocessing.get_context("spawn")
        start = ctx.Barrier(processes)
        results = ctx.Queue()
        target = importlib.import_module("bench.rate_allowance")._report
        workers = [
            ctx.Process(
                target=target, args=(results, env, family.family, duration, baseline, start)
            )
            for _ in range(processes)
        ]
        for process in workers:
            process.start()
        answers = [results.get(timeout=duration + 120) for _ in workers]
        for process in workers:
            process.join(timeout=30)
            if process.exitcode != 0:
                raise RuntimeError(f"a worker exited with {process.exitcode}")
    calls = sorted(tuple(call) for answer in answers for call in answer["calls"])
    refused = sum(len(answer["refused_at"]) for answer in answers)
    if not calls:
        raise RuntimeError(f"{family.family}: no call was accepted: {answers[0]['errors']}")
    # The measured windows open when the first accepted call was sent; a call counts when it
    # was certainly inside them (sent after they opened, answered before they closed).
    first = calls[0][0]
    measured_until = first + windows * family.window
    accepted = sum(1 for _, end in calls if end < measured_until)
    allowance = windows * family.count
    latencies = sorted(end - start for start, end in calls)
    return {
        "family": family.family,
        "published": f"{family.count} per {family.seconds:g} s",
        "window_scale": family.scale,
        "window_seconds": round(family.window, 4),
        "processes": processes,
        "windows_measured": windows,
        "allowance": allowance,
        "accepted_in_measured_windows": accepted,
        "share": round(accepted / allowance, 4),
        "http_429": refused,
        "max_accepted_certainly_in_one_window": max_certainly_in_one_window(calls, family.window),
        "accepted_total": len(calls),
        "local_refusals": sum(answer["local_waits"] for answer in answers),
        "other_errors": sum(answer["error_count"] for answer in answers),
        "error_samples": [e for answer in answers for e in answer["errors"]][:3],
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_max": round(latencies[-1] * 1000, 1),
    }


def measure(
    *, windows: int, processes: int, redis_url: str, baseline: bool, families=FAMILIES
) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "rate_allowance", "figures": {}}
    runs = {}
    for family in families:
        run = run_family(family, windows=windows, processes=processes, redis_url=redis_url)
        if baseline:
            run["baseline_previous_limiter"] = run_family(
                family, windows=windows, processes=processes, redis_url=redis_url, baseline=True
            )
        runs[family.key] = run
        result["figures"][f"allowance_share_{family.key}"] = check(
            run["share"], unit="fraction", at_least=TARGET_SHARE
        )
        result["figures"][f"http_429_{family.key}"] = check(run["http_429"], unit="count", under=1)
    result["families"] = runs
    result["how"] = (
        "Per family: a sandbox process with scaled windows, worker processes calling through "
        "providers.tracerfy_client() (the shared Redis limiter) as fast as it allows; share = "
        "2xx answers sent and answered inside the measured windows (the first opening when the "
        "first accepted call was sent) / (windows x published count); 429s over the whole "
        "run. Baseline: the previous limiter (5-10 % under, counted from the slot, 0.25 s "
        "padding), same set-up."
    )
    result["machine_load_1min"] = round(os.getloadavg()[0], 2)
    return result


def main() -> None:
    redis_url = bench_redis_url()
    result = measure(
        windows=size("BENCH_RATE_WINDOWS", 5, 1),
        processes=size("BENCH_RATE_PROCESSES", 3, 2),
        redis_url=redis_url,
        baseline=bool(size("BENCH_RATE_BASELINE", 1, 0)),
    )
    emit(result)


if __name__ == "__main__":
    main()
