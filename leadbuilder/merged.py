"""The merged filter set: per chosen strategy, the filters Tracerfy will apply (its defaults
with the overrides on top, `spec.filter_sets`), each marked as a strategy default, a filter
the user added, or one overriding a default."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from leadbuilder import filter_reference as ref
from leadbuilder.spec import BuildSpec, filter_sets
from leadbuilder.strategies import strategy_defaults

DEFAULT, ADDED, OVERRIDDEN = "default", "added", "overridden"


@dataclass(frozen=True)
class MergedFilter:
    key: str
    label: str
    value: str
    status: str  # DEFAULT, ADDED or OVERRIDDEN
    default: str = ""  # the strategy's value an override replaces, in words

    @property
    def changed(self) -> bool:
        return self.status != DEFAULT


@dataclass(frozen=True)
class MergedSet:
    key: str
    label: str
    filters: list[MergedFilter]

    @property
    def changed_count(self) -> int:
        return sum(1 for f in self.filters if f.changed)


def merged_sets(spec: BuildSpec, strategies: Iterable[Any]) -> list[MergedSet]:
    """One set per strategy of `spec` (OR between them); "custom" is the overrides alone."""
    strategies = tuple(strategies)
    defaults = strategy_defaults(strategies)
    labels = {s.key: s.label for s in strategies}
    sets = []
    for key, merged in filter_sets(defaults, spec.strategies, spec.overrides):
        own = defaults.get(key, {})
        rows = []
        for name, value in merged.items():
            label, words = ref.describe(name, value)
            if name not in spec.overrides:
                status, before = DEFAULT, ""
            elif name not in own:
                status, before = ADDED, ""
            elif own[name] != value:
                status, before = OVERRIDDEN, ref.describe(name, own[name])[1]
            else:
                status, before = DEFAULT, ""
            rows.append(MergedFilter(name, label, words, status, before))
        sets.append(MergedSet(key, labels.get(key, "Custom" if key == "custom" else key), rows))
    return sets
