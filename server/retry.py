"""When a failed request to another server is tried again: exponential backoff with jitter, and
the `Retry-After` a server may answer with — pure rules, shared by webhook deliveries
(server/api/webhook_schedule.py) and federation's deliveries
(server/federation/delivery_rules.py), with the random draw passed in.

A retry waits `first` seconds, then twice as long each time, at most `MAX_DELAY`, each wait
±`JITTER` at random so that the retries of many deliveries failed at once spread out instead
of knocking together again.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

MAX_DELAY = 6 * 3600.0
"""The longest wait between two attempts: with 5 s to start, 3 days hold about 24 attempts."""
JITTER = 0.2


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
