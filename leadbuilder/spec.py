"""What a lead build asks for: strategies, geography, filter overrides, a row count, and the
propensity post-filters LeadOps applies to the rows it stores.

A `BuildSpec` is the one shape every part of the lead builder passes around: the build form
produces it, AI assist proposes one (as a diff against the form's), a saved search stores one
as JSON, and preview and execute send it (`provider_body`). Tracerfy combines several
strategies with OR logic (a comma-separated `strategy`): each strategy's default filters,
with the overrides merged on top, is one filter set (`filter_sets`).

Propensity minimums and categories are not Tracerfy filter keys (its Filter Reference has
none; the scores are "plain integer columns" to post-filter): they travel with the build and
preset the filters of its rows page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GEOGRAPHY_MODES = ("zips", "city", "counties", "states", "radius")
MAX_REQUESTED = 25_000
CREDITS_PER_ROW = 5
# The verticals of Tracerfy's propensity scores, in its order, with the words people use.
VERTICALS = (
    ("sell", "Sell"),
    ("refi", "Refinance"),
    ("roof_renovate", "Roof"),
    ("hvac_renovate", "HVAC"),
    ("solar_renovate", "Solar"),
)
CATEGORIES = ("High", "Medium", "Low")


@dataclass(frozen=True)
class BuildSpec:
    """`strategies`: strategy keys (at least one; "custom" alone is the blank slate).
    `geography`: Tracerfy's geography dict with its `mode`. `overrides`: filter keys merged
    on top of every strategy's defaults. `post_filters`: `{"<vertical>_min": int,
    "<vertical>_category": "High"|"Medium"|"Low"}` applied by LeadOps to stored rows."""

    strategies: tuple[str, ...] = ("custom",)
    geography: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    requested_count: int = 500
    post_filters: dict[str, Any] = field(default_factory=dict)

    @property
    def strategy_param(self) -> str:
        """Tracerfy's `strategy`: the keys comma-separated (OR logic)."""
        return ",".join(self.strategies) or "custom"

    def provider_body(self) -> dict[str, Any]:
        """Keyword arguments of the client's `lead_preview` / `lead_execute`."""
        return {
            "strategy": self.strategy_param,
            "geography": dict(self.geography),
            "filter_overrides": dict(self.overrides) or None,
            "requested_count": self.requested_count,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "strategies": list(self.strategies),
            "geography": dict(self.geography),
            "overrides": dict(self.overrides),
            "requested_count": self.requested_count,
            "post_filters": dict(self.post_filters),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> BuildSpec:
        data = data or {}
        strategies = data.get("strategies") or ["custom"]
        if isinstance(strategies, str):
            strategies = [s.strip() for s in strategies.split(",") if s.strip()]
        return cls(
            strategies=tuple(strategies) or ("custom",),
            geography=dict(data.get("geography") or {}),
            overrides=dict(data.get("overrides") or {}),
            requested_count=int(data.get("requested_count") or 500),
            post_filters=dict(data.get("post_filters") or {}),
        )

    def replace(self, **changes: Any) -> BuildSpec:
        return BuildSpec(**{**self.to_json(), **changes, "strategies": tuple(
            changes.get("strategies", self.strategies))})  # fmt: skip


def filter_sets(
    defaults: Mapping[str, Mapping[str, Any]], strategies: Iterable[str], overrides: Mapping
) -> list[tuple[str, dict[str, Any]]]:
    """Per strategy, the filters Tracerfy applies: its defaults with `overrides` on top.
    `defaults` maps a strategy key to its default filters (from the filters endpoint)."""
    sets = []
    for key in strategies:
        merged = dict(defaults.get(key, {}))
        merged.update(overrides)
        sets.append((key, merged))
    return sets


@dataclass(frozen=True)
class Change:
    """One difference between two specs: `section` is "strategy", "geography", "filter",
    "count" or "post_filter"; `before`/`after` are None where the key is absent."""

    section: str
    key: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def _dict_changes(section: str, old: Mapping, new: Mapping) -> list[Change]:
    return [
        Change(section, key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def spec_diff(old: BuildSpec, new: BuildSpec) -> list[Change]:
    """What `new` changes in `old`, section by section (empty when they ask the same)."""
    changes = []
    if old.strategies != new.strategies:
        changes.append(
            Change("strategy", "strategy", old.strategy_param or None, new.strategy_param or None)
        )
    changes += _dict_changes("geography", old.geography, new.geography)
    changes += _dict_changes("filter", old.overrides, new.overrides)
    if old.requested_count != new.requested_count:
        changes.append(Change("count", "requested_count", old.requested_count, new.requested_count))
    changes += _dict_changes("post_filter", old.post_filters, new.post_filters)
    return changes
