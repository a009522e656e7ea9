"""Run every benchmark (or those named: `python -m bench webhooks`), each in its own process."""

import subprocess
import sys

from bench.common import ROOT

BENCHMARKS = [
    "webhooks",
    "webhook_processing",
    "imports",
    "trace_ingest",
    "trace_results_page",
    "lead_rows_page",
    "dnc_scrub",
    "lead_build_fetch",
    "crm_push",
    "search",
]


def main(names: list[str]) -> None:
    failed = []
    for name in names or BENCHMARKS:
        print(f"# bench.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT).returncode:
            failed.append(name)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
