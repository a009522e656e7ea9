"""bench/imports.py runs end to end on a tiny file, so it cannot rot: its three figures are
reported against their targets, the naive loop runs on at least 10 % of the file and says it
was extrapolated, and every row read is stored."""

import json
import os
import subprocess
import sys

from bench.common import ROOT


def test_the_bench_reports_its_figures_on_a_tiny_file():
    env = {
        **os.environ,
        "BENCH_IMPORT_ROWS": "400",
        "BENCH_IMPORT_NAIVE_ROWS": "10",
        "BENCH_SMOKE": "",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.imports"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = json.loads(out.stdout)

    assert list(result)[:2] == ["benchmark", "figures"]
    figures = result["figures"]
    assert set(figures) == {
        "upload_plus_store_seconds",
        "ratio_vs_naive",
        "peak_rss_mb_with_workers",
    }
    assert figures["upload_plus_store_seconds"]["target"] == "< 3"
    assert figures["ratio_vs_naive"]["target"] == ">= 10"
    assert figures["peak_rss_mb_with_workers"]["target"] == "< 200"
    assert result["pass"] == all(figure["pass"] for figure in figures.values())
    stages = result["stages"]
    assert figures["upload_plus_store_seconds"]["value"] == round(
        stages["upload_seconds"] + stages["store_seconds"], 2
    )
    assert figures["peak_rss_mb_with_workers"]["value"] >= result["peak_rss_mb"] > 0

    assert result["file"]["rows"] == result["records_stored"] == 400
    counts = result["counts"]
    assert counts["rows_unusable"] + counts["duplicates"] + counts["unique_records"] == 400
    assert counts["rows_unusable"] > 0 and counts["duplicates"] > 0
    # Asked for 10 naive rows, it measures 10 % of the file and says it extrapolated.
    naive = result["naive_loop"]
    assert naive["rows_measured"] == 40
    assert naive["full_file"] == "extrapolated linearly from 40 rows (10% of the file)"
