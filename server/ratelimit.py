"""Token-bucket rate limits, per key (a token id, an IP address, a remote server's host), in
this process.

Each process counts on its own: with N server processes a client gets at most N times the
limit. That bounds abuse well enough for writes, sign-in and other servers' deliveries, without
a database round trip on every request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    """The bucket's size: the most requests allowed at once."""
    remaining: int
    retry_after: int  # seconds until one more request is allowed (0 when allowed)


class RateLimiter:
    def __init__(self, per_second: float, burst: int, *, max_keys: int = 100_000) -> None:
        """Each key may make `burst` requests at once, then `per_second` on average."""
        self.burst = burst
        self._rate = per_second
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    @classmethod
    def per_minute(cls, requests: int, *, max_keys: int = 100_000) -> RateLimiter:
        """`requests` a minute, all of them at once if need be."""
        return cls(requests / 60.0, requests, max_keys=max_keys)

    def hit(self, key: str, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        capacity = float(self.burst)
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            wait = math.ceil((1 - tokens) / self._rate) if self._rate else 60
            return Verdict(False, self.burst, 0, wait)
        tokens -= 1
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_keys:
            self._forget_full(now)
        return Verdict(True, self.burst, int(tokens), 0)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold no information."""
        capacity = float(self.burst)
        self._buckets = {
            key: (tokens, last)
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self._rate < capacity
        }
