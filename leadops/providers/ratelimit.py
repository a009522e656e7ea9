"""A Redis-backed sliding-window rate limiter shared by every worker on every host.

Providers publish limits per account, while we run many RQ workers on many hosts: the only
place all of them can agree on "how many calls in the last five minutes" is Redis. Each
check-and-record runs as one Lua script (atomic on the server) and reads the Redis server's
clock (``TIME``), so hosts with drifting clocks still share one view.

Limits sit at the published numbers; the safety comes from *when* a call is counted, not
from headroom. The provider counts a call when the request reaches it, somewhere between
the moment we take its slot and the moment its answer is back with us. Counting from the
slot (what this limiter did before, 9 of 10 plus a padding) lets a slow call i arrive late
while call i+N, taken one window after i's slot, arrives on time: the provider then sees
N+1 calls in less than a window. So a call holds its slot *in flight* (scored ``hold``
seconds ahead, as if it ended at the latest moment it can) until ``finish`` re-scores it
with the Redis time at which its answer (or its failure) was in. The next slot opens one
window after that end, and the provider's count of the two arrivals is then at least a
window apart whatever the latency, the queueing on either side or the provider's clock
offset: arrival(i+N) >= take(i+N) >= end(i) + window >= arrival(i) + window. The cost is
each call's own latency added to its window (milliseconds against minutes).

What is left is the rate at which two clocks run: ``drift`` (0.1 %) lengthens every window
because NTP slews a clock by up to 500 ppm. A sliding window is also safe against a
provider that counts fixed windows (any window aligned anywhere holds at most N) or that
truncates its timestamps to whole seconds. A slot whose worker dies mid-call ends by itself
``hold`` seconds later (the client's longest single attempt), late but never early.
``padding`` (seconds, unscaled) remains for a provider known to count calls later than it
answers them; none of ours does, so it defaults to 0.

The limiter never sleeps: ``take`` returns a slot or the seconds until one frees up, and the
caller decides (a job reschedules itself). ``penalize`` records a provider's ``Retry-After``
so one 429 pauses the family for every worker.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import redis

logger = logging.getLogger("leadops.providers")


@dataclass(frozen=True)
class Limit:
    """At most ``count`` calls in any ``seconds``-long sliding window."""

    count: int
    seconds: float


# Family -> limits, at the published numbers (docs/providers/tracerfy-api.md): the timing
# above keeps the provider's count within them. Where the document states two numbers the
# lower one is kept. Families without a published limit have no entry: ``take`` then only
# honours a 429 penalty.
DEFAULT_LIMITS: dict[str, tuple[Limit, ...]] = {
    # Tracerfy: "Maximum rate limit is 10 POST trace requests per 5-minute window."
    "tracerfy.trace": (Limit(10, 300),),
    # Tracerfy APN batch: "10 batch submissions per 5 minutes."
    "tracerfy.parcel": (Limit(10, 300),),
    # Tracerfy instant trace lookup: "Rate limited to 500 RPM per user."
    "tracerfy.lookup": (Limit(500, 60),),
    # Tracerfy APN instant lookup: "500 requests per minute per user."
    "tracerfy.parcel_lookup": (Limit(500, 60),),
    # Tracerfy preview: the text says 500/hour, the documented error says 120/hr; the
    # lower number is the one that can hurt us.
    "tracerfy.preview": (Limit(120, 3600),),
    # Tracerfy execute: "10 executes per hour, 50 per day, per user."
    "tracerfy.execute": (Limit(10, 3600), Limit(50, 86400)),
    # Tracerfy autocomplete: "30 requests per minute per account."
    "tracerfy.autocomplete": (Limit(30, 60),),
}

# NTP slews a clock by at most 500 ppm; twice that covers the provider's clock and Redis's.
DEFAULT_DRIFT = 0.001

# KEYS: penalty, then one sorted set per window. ARGV: call id, hold (us), then (limit, span
# in us) per window. A slot is scored with the time its call ends: ``now + hold`` while in
# flight (the latest it may end), re-scored by _FINISH. A full window frees a span after its
# earliest end; an in-flight end is unknown but not before now.
_ACQUIRE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_us > now then
  return until_us - now
end
local hold = tonumber(ARGV[2])
local wait = 0
for i = 2, #KEYS do
  local limit = tonumber(ARGV[2 * i - 1])
  local span = tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('%.0f', now - span))
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local ended = tonumber(oldest[2])
    if ended > now then ended = now end
    local free_in = ended + span - now
    if free_in < 1 then free_in = 1 end
    if free_in > wait then wait = free_in end
  end
end
if wait > 0 then
  return wait
end
local score = string.format('%.0f', now + hold)
for i = 2, #KEYS do
  local span = tonumber(ARGV[2 * i])
  redis.call('ZADD', KEYS[i], score, ARGV[1])
  local ttl = math.ceil((hold + span) / 1000) + 1000
  if redis.call('PTTL', KEYS[i]) < ttl then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 0
"""

# KEYS: one sorted set per window. ARGV: call id, then each window's span (us). Re-scores
# the call's slot with the Redis time now (its end); a slot already gone stays gone.
_FINISH = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local score = string.format('%.0f', now)
for i = 1, #KEYS do
  if redis.call('ZADD', KEYS[i], 'XX', 'CH', score, ARGV[1]) == 1 then
    local ttl = math.ceil(tonumber(ARGV[i + 1]) / 1000) + 1000
    if redis.call('PTTL', KEYS[i]) < ttl then
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
  end
end
return 0
"""

_PENALIZE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= until_us then
  return current - now
end
local ttl_ms = math.ceil(tonumber(ARGV[1]) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', until_us), 'PX', ttl_ms)
return until_us - now
"""


# Read-only: how many slots each window of a family holds now (calls in flight included), and
# when one frees up. Takes no slot and removes nothing (on the server's clock).
_USAGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = tonumber(redis.call('GET', KEYS[1]) or '0')
local penalty = 0
if until_us > now then penalty = until_us - now end
local out = {}
for i = 2, #KEYS do
  local limit = tonumber(ARGV[2 * i - 3])
  local span = tonumber(ARGV[2 * i - 2])
  local floor = '(' .. string.format('%.0f', now - span)
  local used = redis.call('ZCOUNT', KEYS[i], floor, '+inf')
  local free_in = 0
  if used >= limit then
    local oldest = redis.call(
      'ZRANGEBYSCORE', KEYS[i], floor, '+inf', 'WITHSCORES', 'LIMIT', used - limit, 1)
    local ended = tonumber(oldest[2])
    if ended > now then ended = now end
    free_in = ended + span - now
    if free_in < 1 then free_in = 1 end
  end
  if penalty > free_in then free_in = penalty end
  out[#out + 1] = {used, string.format('%.0f', free_in)}
end
return out
"""


class WindowUsage(NamedTuple):
    """One window of a family right now: `used` of `limit` slots in `window_seconds` (the
    provider's window, scaled; we keep it a little longer, see ``drift``); `free_in` is 0
    while a slot is free, else the seconds until one is (a 429 penalty too)."""

    used: int
    limit: int
    window_seconds: float
    free_in: float


class Slot(NamedTuple):
    """What ``take`` answers: ``wait`` 0.0 and the slot's ``call_id`` when one was taken
    (pass it to ``finish`` once the call is over), else the seconds until one may be free."""

    family: str
    wait: float
    call_id: str | None

    @property
    def taken(self) -> bool:
        return self.call_id is not None


class RateLimiter:
    """Non-blocking limiter over Redis; one instance is safe to share between threads.

    ``scale`` shrinks every window (0.01 turns five minutes into three seconds) so tests can
    watch windows roll over; ``prefix`` namespaces the keys so test runs never collide.
    ``drift`` (a fraction) lengthens every window for the rate difference between our clock
    and the provider's; ``padding`` (seconds, never scaled) lengthens it further for a
    provider that counts a call after answering it (see the module docstring).
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "leadops:ratelimit",
        scale: float = 1.0,
        padding: float = 0.0,
        drift: float = DEFAULT_DRIFT,
        limits: Mapping[str, tuple[Limit, ...]] | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be > 0")
        if padding < 0:
            raise ValueError("padding must be >= 0")
        if drift < 0:
            raise ValueError("drift must be >= 0")
        self._redis = client
        self.prefix = prefix
        self.scale = scale
        self.padding = padding
        self.drift = drift
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._acquire = client.register_script(_ACQUIRE)
        self._finish = client.register_script(_FINISH)
        self._penalize = client.register_script(_PENALIZE)
        self._usage = client.register_script(_USAGE)

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> RateLimiter:
        client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        return cls(client, **kwargs)  # type: ignore[arg-type]

    def _penalty_key(self, family: str) -> str:
        return f"{self.prefix}:{family}:penalty"

    def _window_keys(self, family: str) -> list[str]:
        count = len(self.limits.get(family, ()))
        return [f"{self.prefix}:{family}:w{index}" for index in range(count)]

    def window_seconds(self, limit: Limit) -> float:
        """The window we keep: the provider's, scaled, lengthened by drift and padding."""
        return limit.seconds * self.scale * (1 + self.drift) + self.padding

    def _span_us(self, limit: Limit) -> int:
        return max(1, math.ceil(self.window_seconds(limit) * 1_000_000))

    def take(self, family: str, *, hold: float) -> Slot:
        """Take a slot in ``family`` for a call about to be sent, held in flight for at most
        ``hold`` seconds (the call's longest possible duration) until ``finish``."""
        if hold < 0:
            raise ValueError("hold must be >= 0")
        limits = self.limits.get(family, ())
        call_id = uuid.uuid4().hex
        keys = [self._penalty_key(family)]
        args: list[str | int] = [call_id, math.ceil(hold * 1_000_000)]
        for key, limit in zip(self._window_keys(family), limits, strict=True):
            keys.append(key)
            args.append(limit.count)
            args.append(self._span_us(limit))
        wait_us = int(self._acquire(keys=keys, args=args))
        if wait_us > 0:
            return Slot(family, wait_us / 1_000_000, None)
        return Slot(family, 0.0, call_id)

    def finish(self, slot: Slot) -> None:
        """Count ``slot``'s call from now, its end. Safe to skip when Redis fails: the slot
        then ends ``hold`` after it was taken, which is later, so still within the limit."""
        limits = self.limits.get(slot.family, ())
        if slot.call_id is None or not limits:
            return
        args: list[str | int] = [slot.call_id, *(self._span_us(limit) for limit in limits)]
        try:
            self._finish(keys=self._window_keys(slot.family), args=args)
        except redis.RedisError as exc:
            logger.warning("rate limiter: could not end a %s slot (%s)", slot.family, exc)

    def acquire(self, family: str) -> float:
        """Take a slot counted from now, for a call already over (or one that cannot be timed):
        0.0 if taken, else seconds until one may be free."""
        return self.take(family, hold=0.0).wait

    def usage(self, family: str) -> list[WindowUsage]:
        """Each window of ``family`` as it stands (one entry per limit), without taking a
        slot: what a page shows before the user asks for another call."""
        limits = self.limits.get(family, ())
        if not limits:
            return []
        keys = [self._penalty_key(family), *self._window_keys(family)]
        args: list[int] = []
        for limit in limits:
            args.append(limit.count)
            args.append(self._span_us(limit))
        answer = self._usage(keys=keys, args=args)
        return [
            WindowUsage(int(used), limit.count, limit.seconds * self.scale, int(free) / 1e6)
            for (used, free), limit in zip(answer, limits, strict=True)
        ]

    def penalize(self, family: str, retry_after: float) -> float:
        """Block ``family`` for ``retry_after`` seconds (never shortening a longer block).

        Returns the seconds the family now stays blocked. The provider's ``Retry-After`` is
        used as given, not scaled: it already is the provider's own view of its window.
        """
        micros = max(1, math.ceil(retry_after * 1_000_000))
        remaining = int(self._penalize(keys=[self._penalty_key(family)], args=[micros]))
        return remaining / 1_000_000
