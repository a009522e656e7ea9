"""bench/__main__.py and bench/report.py: the figures a bench prints are found among its log
lines, checked against their targets, and written up for the README."""

import pytest

from bench import __main__ as runner
from bench.common import check
from bench.report import markdown


def test_check_says_whether_a_figure_meets_its_target():
    assert check(1.43, unit="s", under=2) == {
        "value": 1.43,
        "unit": "s",
        "target": "< 2",
        "pass": True,
    }
    assert check(2.0, unit="s", under=2)["pass"] is False
    assert check(10, unit="x", at_least=10)["pass"] is True
    assert check(9.9, unit="x", at_least=10) == {
        "value": 9.9,
        "unit": "x",
        "target": ">= 10",
        "pass": False,
    }
    with pytest.raises(ValueError):
        check(1, unit="s", under=2, at_least=1)
    with pytest.raises(ValueError):
        check(1, unit="s")


def test_the_last_result_is_found_among_log_lines():
    printed = (
        "AXES: some log line {not json}\n"
        '{\n  "benchmark": "old",\n  "figures": {}\n}\n'
        "more log\n"
        '{\n  "benchmark": "dnc_scrub",\n  "figures": {"a": {"pass": true}},\n  "pass": true\n}\n'
        "trailing line\n"
    )
    assert runner.last_json(printed)["benchmark"] == "dnc_scrub"
    assert runner.last_json('{\n  "benchmark": "x"\n}')["benchmark"] == "x"
    assert runner.last_json("no result here") is None
    assert runner.last_json('\n{\n  "benchmark": "cut off') is None


def test_unknown_benchmarks_are_refused():
    with pytest.raises(SystemExit, match="unknown benchmarks: nope"):
        runner.main(["nope"])


def test_report_lists_every_figure_with_its_target_and_verdict():
    report = {
        "when": "2026-11-30T18:00:00+00:00",
        "machine": {"cpus": 2, "memory_gb": 23.5, "python": "3.11.7", "platform": "Linux"},
        "benchmarks": [
            {
                "benchmark": "imports",
                "ran": True,
                "figures": {
                    "upload_plus_store_seconds": check(2.5, unit="s", under=3),
                    "rows": check(100000, unit="rows", at_least=1),
                },
            },
            {"benchmark": "webhooks", "ran": False},
        ],
    }
    text = markdown(report)
    assert "2 CPUs, 23.5 GB" in text
    assert "| imports | upload_plus_store_seconds | 2.5 s | < 3 s | yes |" in text
    assert "| imports | rows | 100,000 rows | >= 1 rows | yes |" in text
    assert "| webhooks | did not run | | | no |" in text
