"""bench/dnc_scrub.py runs end to end on tiny sizes, so it cannot rot: the figures are
printable and consistent, the arranged store and internal list are what the estimate finds
(the bench asserts those itself), and no RQ step is left for a worker."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from bench import dnc_scrub
from bench.common import ROOT
from tests.support.jobs import rq_queues

pytestmark = pytest.mark.django_db(transaction=True)


def test_measure_on_tiny_sizes_gives_consistent_figures(rq_redis):
    result = dnc_scrub.measure(phones=400, naive_rows=20, other_statuses=300)
    # (measure() itself checks the draft's and the estimate's counts against what it
    # arranged, and the stored results against the rows sent.)

    assert json.loads(json.dumps(result)) == result
    for name in ("upload", "pasted_list"):
        preview = result["cost_preview"][name]
        assert preview["unique"] > 300
        assert preview["invalid"] > 0 and preview["duplicate"] > 0
        assert preview["blocked_internal"] > 0 and preview["reused_fresh"] > 0
        assert preview["to_send"] == (
            preview["unique"] - preview["blocked_internal"] - preview["reused_fresh"]
        )
        assert preview["total_seconds"] == pytest.approx(
            preview["draft_seconds"] + preview["estimate_seconds"], abs=0.002
        )
    upload = result["cost_preview"]["upload"]
    assert upload["blank"] >= upload["rows"] // 101  # the rows without a phone
    assert result["cost_preview"]["pasted_list"]["entries"] <= 400
    # Another team holds results for every phone of both sources: never reused.
    assert result["store"]["other_team_statuses"] == (
        upload["unique"] + result["cost_preview"]["pasted_list"]["unique"]
    )

    ingest = result["ingest"]
    assert ingest["rows"] == 400 and 0 < ingest["clean"] < 400
    assert ingest["stale_statuses_refreshed"] == 80
    for loop in ("naive_loop", "naive_loop_in_one_transaction", "naive_loop_with_indexed_lookup"):
        assert ingest[loop]["rows_measured"] == 20
        assert ingest[loop]["rows_per_second"] > 0
    assert ingest["speed_ratio_vs_naive"] == ingest["naive_loop"]["speed_ratio_of_bulk_path"]
    # Both submits queued their step; the bench took them off again: nothing for a worker.
    assert ingest["rq_steps_queued_and_removed"] == 2
    assert sum(queue.count for queue in rq_queues()) == 0


def test_module_prints_one_json_object_on_a_fresh_sqlite_database(rq_redis):
    env = {
        **os.environ,
        "BENCH_DB": "sqlite",
        "REDIS_URL": settings.REDIS_URL,
        "BENCH_DNC_PHONES": "200",
        "BENCH_DNC_NAIVE_ROWS": "10",
        "BENCH_DNC_OTHER_STATUSES": "100",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-m", "bench.dnc_scrub"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["benchmark"] == "dnc_scrub"
    assert result["database"].startswith("SQLite")
    assert result["phones"] == 200
    assert result["ingest"]["rows"] == 200
    assert result["ingest"]["rq_steps_queued_and_removed"] == 2
    assert sum(queue.count for queue in rq_queues()) == 0
