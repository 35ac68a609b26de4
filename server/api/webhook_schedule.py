"""When a webhook delivery is tried again, and what an attempt's answer makes of it — pure
rules, with the clock and the random draw passed in.

- 2xx: delivered.
- 410 Gone: the receiver wants no more (Standard Webhooks' advice): the delivery fails and the
  endpoint is disabled at once.
- Anything else — another status, a timeout, a refused connection — is tried again on the
  schedule of server/retry.py (from `first` seconds, doubling, with jitter); a `Retry-After`
  longer than that is honoured. A retry that would come after the delivery's window
  (`retry_until`) is not made: the delivery has failed for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.retry import MAX_DELAY, retry_delay


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    """`delivered`, `pending` (tried again at `next_attempt_at`) or `failed` (for good)."""
    next_attempt_at: datetime | None = None
    disable: str | None = None
    """Why the endpoint must be disabled at once, if it must."""


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
