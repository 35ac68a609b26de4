"""Token-bucket rate limits, per key (a token id, an IP address), in this process.

Each process counts on its own: with N server processes a client gets at most N times the
limit. That bounds abuse well enough for writes and sign-in, without a database round trip on
every request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until one more request is allowed (0 when allowed)


class RateLimiter:
    def __init__(self, per_minute: int, *, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    def hit(self, key: str, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        capacity = float(self.per_minute)
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            wait = math.ceil((1 - tokens) / self._rate) if self._rate else 60
            return Verdict(False, self.per_minute, 0, wait)
        tokens -= 1
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_keys:
            self._forget_full(now)
        return Verdict(True, self.per_minute, int(tokens), 0)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold no information."""
        capacity = float(self.per_minute)
        self._buckets = {
            key: (tokens, last)
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self._rate < capacity
        }
