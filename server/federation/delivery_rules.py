"""What an attempt's answer makes of a delivery and of its host — pure rules, with the clock and
the random draw passed in.

A delivery:
- 2xx: delivered.
- Refused for good — a 4xx other than 401, 408 and 429, or 501 Not Implemented — fails at
  once: sending the same bytes again gets the same answer. The 400 and 401 an RFC 9421
  signature may meet were already answered by signing again with draft-cavage (the client's
  double knock); a 401 after that is still retried, as Mastodon does, because it often means
  the receiver could not fetch our key just then.
- Anything else — 5xx, 408, 429, another status, no answer at all — is tried again on the
  schedule of server/retry.py, or after the answer's `Retry-After` if that is longer, until
  the delivery's retry window ends; a retry that would come later is not made: it failed.

A host: an answer that is no answer (a refused connection, a timeout, a refused address) or a
5xx counts as a failure of the host, any other answer clears its count. After
`UNREACHABLE_AFTER` failures in a row, whatever the deliveries, the host is unreachable: none
of its deliveries is tried until its next try, which backs off on the same schedule; then one
delivery alone probes it, and the others follow once one gets through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.retry import MAX_DELAY, retry_delay

UNREACHABLE_AFTER = 5
"""Host failures in a row that make a host unreachable."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    """`delivered`, `pending` (tried again at `next_attempt_at`) or `failed` (for good)."""
    next_attempt_at: datetime | None = None


def permanent(status: int) -> bool:
    """Whether an answer refuses the delivery for good."""
    return (400 <= status < 500 and status not in (401, 408, 429)) or status == 501


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
    if status is not None and permanent(status):
        return Outcome("failed")
    delay = max(retry_delay(attempts, first, draw), min(wait or 0.0, MAX_DELAY))
    next_attempt_at = now + timedelta(seconds=delay)
    if next_attempt_at > retry_until:
        return Outcome("failed")
    return Outcome("pending", next_attempt_at)


def host_failed(status: int | None) -> bool:
    """Whether an answer counts against the host: none came, or a 5xx."""
    return status is None or status >= 500


def host_wait(failures: int, first: float, draw: float) -> float | None:
    """Seconds until a host with `failures` failures in a row is tried again; None while it is
    not unreachable."""
    if failures < UNREACHABLE_AFTER:
        return None
    return retry_delay(failures - UNREACHABLE_AFTER + 1, first, draw)
