"""Run every benchmark (or those named: `python -m bench webhooks`), each in its own process.

Each bench's own output (its log and its full JSON) goes to var/bench/<name>.log; what is
printed is one JSON object per benchmark: its figures, each with its target and pass/fail,
and whether the bench passed. Everything is also written to var/bench/latest.json, with the
machine it ran on. The exit status is 1 when a bench failed to run, or missed a target.

`--smoke` (`make bench-smoke`): every bench at small sizes (BENCH_SMOKE=1), to prove they
all still run and report their figures; a missed target does not fail a smoke run.
"""

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.common import ROOT

BENCHMARKS = [
    "webhooks",
    "webhook_processing",
    "imports",
    "trace_ingest",
    "trace_results_page",
    "lead_rows_page",
    "ledger_page",
    "dnc_scrub",
    "lead_build_fetch",
    "crm_push",
    "search",
    "end_to_end",
    "rate_allowance",
]


def last_json(text: str) -> dict | None:
    """The last top-level JSON object a bench printed (benches print it last, indented)."""
    start = text.rfind('\n{\n  "benchmark"')
    if start < 0 and text.startswith('{\n  "benchmark"'):
        start = 0
    if start < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(text[start:].lstrip())[0]
    except ValueError:
        return None


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def run_one(name: str, out_dir, *, smoke: bool) -> dict:
    env = dict(os.environ)
    if smoke:
        env["BENCH_SMOKE"] = "1"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = round(time.perf_counter() - started, 1)
    (out_dir / f"{name}.log").write_text(proc.stdout + proc.stderr)
    result = last_json(proc.stdout)
    summary: dict = {"benchmark": name, "seconds": seconds}
    if proc.returncode or result is None or "figures" not in result:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        summary.update(ran=False, passed=False, error="\n".join(tail) or f"exit {proc.returncode}")
        return summary
    summary.update(ran=True, passed=result["pass"], figures=result["figures"])
    summary["result"] = result
    return summary


def main(argv: list[str]) -> int:
    smoke = "--smoke" in argv
    names = [a for a in argv if not a.startswith("--")] or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(unknown)}")
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    summaries = []
    for name in names:
        summary = run_one(name, out_dir, smoke=smoke)
        summaries.append(summary)
        shown = {k: v for k, v in summary.items() if k != "result"}
        print(json.dumps(shown), flush=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": smoke,
        "machine": machine(),
        "benchmarks": summaries,
    }
    (out_dir / ("smoke.json" if smoke else "latest.json")).write_text(json.dumps(report, indent=2))
    failed = [s["benchmark"] for s in summaries if not s["ran"] or (not smoke and not s["passed"])]
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
