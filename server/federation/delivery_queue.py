"""Federation's delivery queue in PostgreSQL (migration 0019): enqueueing an activity's
deliveries, claiming due ones with bounded concurrency per host, recording what an attempt got
and what that says of the host, and forgetting finished deliveries.

Deliveries are operational state, not a read model: the outbox (server/federation/outbox.py)
makes them from the log, senders in every process (server/federation/delivery.py) claim and
send them. A claim takes due rows with `FOR UPDATE SKIP LOCKED` and pushes their
`next_attempt_at` past a lease in one short transaction — none is held while a request is in
flight — so a sender that dies mid-send leaves its deliveries due again when the lease ends,
and two senders never send the same delivery at once.

Claims take turns across the cluster (a transaction-level advisory lock): each counts the
requests in flight to every host — rows whose lease still runs, whichever process holds them —
and takes no more than `per_host` less those, and one at a time for an unreachable host, so the
bound per host holds for the whole cluster, not per process.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from server.federation.delivery_rules import Outcome

CLAIM_LOCK = int.from_bytes(
    hashlib.blake2b(b"learnwork.federation.claim", digest_size=8).digest(), "big", signed=True
)
SCAN_PER_SLOT = 8
"""Due rows a claim looks at per delivery it may take: enough to find other hosts' deliveries
behind the ones of hosts with no free slot."""
EXPIRED = "its retry window ended before it could be tried again"


@dataclass(frozen=True, slots=True)
class NewActivity:
    """An activity to enqueue: its id, the JSON to send, who signs it, and where it goes."""

    id: str
    body: bytes
    actor: str
    key_id: str
    inboxes: Sequence[tuple[str, str]]
    """(inbox, its host) pairs."""


async def enqueue(
    conn: asyncpg.Connection, activities: Sequence[NewActivity], retry_seconds: float
) -> int:
    """Add the activities' deliveries, due now — or at their host's next try, if it is
    unreachable (one already there is left as it is); how many were new."""
    activities = [a for a in activities if a.inboxes]
    if not activities:
        return 0
    await conn.execute(
        "INSERT INTO federation_activities (id, body, actor, key_id)"
        " SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[])"
        " ON CONFLICT DO NOTHING",
        [a.id for a in activities],
        [a.body for a in activities],
        [a.actor for a in activities],
        [a.key_id for a in activities],
    )
    rows = await conn.fetch(
        "INSERT INTO federation_deliveries (activity_id, inbox, host, next_attempt_at,"
        " retry_until)"
        " SELECT d.activity_id, d.inbox, d.host, greatest(now(), h.next_try_at),"
        " now() + make_interval(secs => $4)"
        " FROM unnest($1::text[], $2::text[], $3::text[]) AS d(activity_id, inbox, host)"
        " LEFT JOIN federation_hosts h ON h.host = d.host"
        " ON CONFLICT DO NOTHING RETURNING 1",
        [a.id for a in activities for _ in a.inboxes],
        [inbox for a in activities for inbox, _ in a.inboxes],
        [host for a in activities for _, host in a.inboxes],
        retry_seconds,
    )
    return len(rows)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a sender holds until its lease ends."""

    id: int
    lease: uuid.UUID
    inbox: str
    host: str
    attempts: int
    """Attempts made before this one."""
    retry_until: datetime
    body: bytes
    actor: str
    key_id: str


_CLAIM = """
WITH busy AS (
    SELECT host, count(*)::int AS n FROM federation_deliveries
    WHERE lease IS NOT NULL AND next_attempt_at > now() GROUP BY host
), cap AS (
    SELECT host, CASE WHEN unreachable_since IS NULL THEN $2::int ELSE 1 END AS n
    FROM federation_hosts
), due AS (
    SELECT d.id, d.host, d.next_attempt_at FROM federation_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND d.host NOT IN (
          SELECT b.host FROM busy b LEFT JOIN cap c USING (host) WHERE b.n >= coalesce(c.n, $2))
    ORDER BY d.next_attempt_at LIMIT $3
), ranked AS (
    SELECT due.id, due.next_attempt_at,
           row_number() OVER (PARTITION BY due.host ORDER BY due.next_attempt_at, due.id)
           + coalesce(b.n, 0) AS slot,
           coalesce(c.n, $2) AS cap
    FROM due LEFT JOIN busy b USING (host) LEFT JOIN cap c USING (host)
), chosen AS (
    SELECT id FROM ranked WHERE slot <= cap ORDER BY next_attempt_at, id LIMIT $1
)
UPDATE federation_deliveries d
SET next_attempt_at = now() + make_interval(secs => $4), lease = gen_random_uuid()
FROM federation_activities a
WHERE a.id = d.activity_id AND d.id IN (
    SELECT id FROM federation_deliveries WHERE id IN (SELECT id FROM chosen)
    FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.lease, d.inbox, d.host, d.attempts, d.retry_until, a.body, a.actor, a.key_id
"""


async def claim(
    conn: asyncpg.Connection, limit: int, per_host: int, lease_seconds: float
) -> list[Claimed]:
    """Take up to `limit` due deliveries, the longest due first, for `lease_seconds`, leaving
    no host with more than `per_host` in flight (one, if it is unreachable)."""
    async with conn.transaction():
        # Counting what is in flight and taking more must not interleave with another claim,
        # or two could each fill the same host's free slots.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", CLAIM_LOCK)
        rows = await conn.fetch(_CLAIM, limit, per_host, limit * SCAN_PER_SLOT, lease_seconds)
    return [Claimed(*r) for r in rows]


async def seconds_to_next(conn: asyncpg.Connection) -> float | None:
    """Seconds until a delivery not due yet falls due; None if none waits."""
    return await conn.fetchval(
        "SELECT extract(epoch FROM min(next_attempt_at) - now())::float8"
        " FROM federation_deliveries WHERE status = 'pending' AND next_attempt_at > now()"
    )


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt got: an HTTP status, or an error with none."""

    status: int | None = None
    error: str | None = None


_RECORD = (
    "UPDATE federation_deliveries SET attempts = attempts + 1, status = $3,"
    " next_attempt_at = coalesce($4, next_attempt_at), lease = NULL,"
    " last_status = $5, last_error = $6,"
    " finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END"
    " WHERE id = $1 AND lease = $2 RETURNING host"
)


async def record(
    conn: asyncpg.Connection,
    claimed: Claimed,
    attempt: Attempt,
    outcome: Outcome,
    *,
    host_failed: bool,
    host_wait: Callable[[int], float | None],
) -> bool:
    """Move the delivery on as `outcome` says, and count the attempt for or against its host:
    a failure of the host adds to its failures in a row — and once `host_wait(failures)` is
    not None, the host is unreachable and none of its deliveries is due before that many
    seconds — anything else clears them. False, with nothing written, if the delivery's lease
    is no longer `claimed`'s."""
    values = (
        claimed.id,
        claimed.lease,
        outcome.status,
        outcome.next_attempt_at,
        attempt.status,
        attempt.error,
    )
    if not host_failed:
        return bool(
            await conn.fetchval(
                f"WITH done AS ({_RECORD}),"
                " cleared AS (DELETE FROM federation_hosts WHERE host IN (SELECT host FROM done))"
                " SELECT count(*) FROM done",
                *values,
            )
        )
    async with conn.transaction():
        if await conn.fetchval(_RECORD, *values) is None:
            return False
        failures = await conn.fetchval(
            "INSERT INTO federation_hosts (host, failures) VALUES ($1, 1) ON CONFLICT (host)"
            " DO UPDATE SET failures = federation_hosts.failures + 1 RETURNING failures",
            claimed.host,
        )
        wait = host_wait(failures)
        if wait is not None:
            await conn.execute(
                "WITH marked AS (UPDATE federation_hosts"
                " SET unreachable_since = coalesce(unreachable_since, now()),"
                " next_try_at = now() + make_interval(secs => $2) WHERE host = $1"
                " RETURNING next_try_at)"
                " UPDATE federation_deliveries d SET next_attempt_at = m.next_try_at"
                " FROM marked m WHERE d.host = $1 AND d.status = 'pending'"
                " AND d.next_attempt_at < m.next_try_at"
                " AND (d.lease IS NULL OR d.next_attempt_at <= now())",
                claimed.host,
                wait,
            )
    return True


async def drop(conn: asyncpg.Connection, dropped: Sequence[tuple[Claimed, str]]) -> int:
    """Fail claimed deliveries without sending them, each with why (its domain is blocked):
    no attempt is counted, and nothing against their hosts; how many were still held."""
    rows = await conn.fetch(
        "UPDATE federation_deliveries d SET status = 'failed', lease = NULL,"
        " finished_at = now(), last_error = x.error"
        " FROM unnest($1::bigint[], $2::uuid[], $3::text[]) AS x(id, lease, error)"
        " WHERE d.id = x.id AND d.lease = x.lease RETURNING 1",
        [claimed.id for claimed, _ in dropped],
        [claimed.lease for claimed, _ in dropped],
        [error for _, error in dropped],
    )
    return len(rows)


async def expire(conn: asyncpg.Connection) -> int:
    """Fail the pending deliveries whose retry window ended while they waited (for a host that
    stayed unreachable); how many."""
    rows = await conn.fetch(
        "UPDATE federation_deliveries SET status = 'failed', finished_at = now(),"
        " last_error = coalesce(last_error, $1)"
        " WHERE status = 'pending' AND retry_until < now()"
        " AND (lease IS NULL OR next_attempt_at <= now()) RETURNING 1",
        EXPIRED,
    )
    return len(rows)


async def prune(conn: asyncpg.Connection, keep_days: int) -> int:
    """Drop deliveries finished more than `keep_days` ago, and activities left without any;
    how many deliveries went."""
    async with conn.transaction():
        rows = await conn.fetch(
            "DELETE FROM federation_deliveries WHERE status <> 'pending'"
            " AND finished_at < now() - make_interval(days => $1) RETURNING 1",
            keep_days,
        )
        await conn.execute(
            "DELETE FROM federation_activities a"
            " WHERE a.created_at < now() - make_interval(days => $1)"
            " AND NOT EXISTS (SELECT 1 FROM federation_deliveries d WHERE d.activity_id = a.id)",
            keep_days,
        )
    return len(rows)
