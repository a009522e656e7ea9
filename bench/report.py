"""The last `make bench` run (var/bench/latest.json) as the README's Markdown table:
`python -m bench.report [path]`. One line per figure: the benchmark, the figure, its value,
its target and whether it passed; the machine and the date on top."""

import json
import sys

from bench.common import ROOT


def markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        f"Run of {report['when']} on {machine['cpus']} CPUs, {machine['memory_gb']} GB, "
        f"Python {machine['python']} ({machine['platform']}).",
        "",
        "| benchmark | figure | value | target | pass |",
        "|---|---|---|---|---|",
    ]
    for bench in report["benchmarks"]:
        if not bench["ran"]:
            lines.append(f"| {bench['benchmark']} | did not run | | | no |")
            continue
        for name, figure in bench["figures"].items():
            value = f"{figure['value']:,}" if isinstance(figure["value"], int) else figure["value"]
            lines.append(
                f"| {bench['benchmark']} | {name} | {value} {figure['unit']} "
                f"| {figure['target']} {figure['unit']} | {'yes' if figure['pass'] else 'no'} |"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    path = argv[0] if argv else ROOT / "var" / "bench" / "latest.json"
    with open(path) as f:
        print(markdown(json.load(f)))


if __name__ == "__main__":
    main(sys.argv[1:])
