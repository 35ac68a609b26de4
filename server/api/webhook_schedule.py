"""When a webhook delivery is tried again, and what an attempt's answer makes of it — pure
rules, with the clock and the random draw passed in.

- 2xx: delivered.
- 410 Gone: the receiver wants no more (Standard Webhooks' advice): the delivery fails and the
  endpoint is disabled at once.
- Anything else — another status, a timeout, a refused connection — is tried again after
  `first` seconds, then twice as long each time, at most `MAX_DELAY`, each wait ±20% at random
  so that the retries of many deliveries spread out; a `Retry-After` longer than that is
  honoured. A retry that would come after the delivery's window (`retry_until`) is not made:
  the delivery has failed for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_DELAY = 6 * 3600.0
"""The longest wait between two attempts: with 5 s to start, 3 days hold about 24 attempts."""
JITTER = 0.2


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    """`delivered`, `pending` (tried again at `next_attempt_at`) or `failed` (for good)."""
    next_attempt_at: datetime | None = None
    disable: str | None = None
    """Why the endpoint must be disabled at once, if it must."""


def retry_delay(attempts: int, first: float, draw: float) -> float:
    """Seconds to wait after the `attempts`th failed attempt; `draw` uniform in [0, 1)."""
    base = min(first * 2 ** min(attempts - 1, 60), MAX_DELAY)
    return base * (1 - JITTER + 2 * JITTER * draw)


def retry_after(value: str | None, now: datetime) -> float | None:
    """A `Retry-After` header's wait in seconds (RFC 9110 §10.2.3: seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def outcome(
    status: int | None,
    *,
    attempts: int,
    now: datetime,
    retry_until: datetime,
    first: float,
    draw: float,
    wait: float | None = None,
) -> Outcome:
    """What attempt number `attempts` makes of a delivery: `status` is the HTTP status
    answered (None: no answer), `wait` the answer's Retry-After in seconds, if any."""
    if status is not None and 200 <= status < 300:
        return Outcome("delivered")
    if status == 410:
        return Outcome("failed", disable="the endpoint answered 410 Gone")
    delay = max(retry_delay(attempts, first, draw), min(wait or 0.0, MAX_DELAY))
    next_attempt_at = now + timedelta(seconds=delay)
    if next_attempt_at > retry_until:
        return Outcome("failed")
    return Outcome("pending", next_attempt_at)
