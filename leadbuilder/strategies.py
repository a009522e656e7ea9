"""Tracerfy's lead-builder strategies, cached in Redis for STRATEGIES_TTL seconds.

Tracerfy says the filters endpoint is "static enough to cache locally for ~1 hour". The
cache lives in Redis (shared by every web process and worker), as JSON: a page that shows
the strategy cards costs one Redis GET, and Tracerfy is asked once an hour. A provider
failure is never cached: the next page asks again. Redis unreachable is a cache miss (the
page asks Tracerfy), never an error of its own.
"""

from __future__ import annotations

import json
import logging

import redis

from leadops import providers
from leadops.jobs.queueing import redis_connection
from leadops.providers.tracerfy import Strategy

STRATEGIES_TTL = 3600
CACHE_KEY = "leadops:leadbuilder:strategies"

log = logging.getLogger(__name__)


def strategies_cached() -> tuple[Strategy, ...] | None:
    """The cached strategies, or None when the cache is empty."""
    try:
        raw = redis_connection().get(CACHE_KEY)
    except redis.RedisError as exc:
        log.warning("strategies cache unreadable (%s); asking Tracerfy", exc)
        return None
    if raw is None:
        return None
    return tuple(Strategy(**item) for item in json.loads(raw))


def strategies_list() -> tuple[Strategy, ...]:
    """Every strategy with its label, description and default filters (from the cache, else
    from Tracerfy, then cached). Raises the provider's error when Tracerfy cannot answer."""
    cached = strategies_cached()
    if cached is not None:
        return cached
    with providers.tracerfy_client(page=True) as client:
        found = client.lead_filters()
    payload = [
        {
            "key": s.key,
            "label": s.label,
            "description": s.description,
            "default_filters": s.default_filters,
        }
        for s in found
    ]
    try:
        redis_connection().set(CACHE_KEY, json.dumps(payload), ex=STRATEGIES_TTL)
    except redis.RedisError as exc:
        log.warning("strategies not cached (%s)", exc)
    return found


def strategies_forget() -> None:
    """Drop the cache (tests; an admin who knows Tracerfy changed its presets)."""
    redis_connection().delete(CACHE_KEY)


def strategy_defaults(strategies: tuple[Strategy, ...]) -> dict[str, dict]:
    return {s.key: dict(s.default_filters) for s in strategies}
