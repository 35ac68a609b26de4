"""The webhook delivery queue in PostgreSQL (migration 0016): enqueueing, claiming due
deliveries, recording attempts, redelivering, and the delivery log the API shows.

Deliveries are operational state, not a read model: the enqueuer makes them from the log
(server/api/webhook_enqueuer.py), senders in every process claim and send them
(server/api/webhook_sender.py). A claim takes due rows with `FOR UPDATE SKIP LOCKED` and pushes
their `next_attempt_at` past a lease in one short statement — no transaction is held while a
request is in flight — so a sender that dies mid-send leaves its deliveries due again when the
lease ends, and two senders never send the same delivery at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import msgspec

from server.api.webhook_schedule import Outcome
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.webhooks import JOINS, USABLE

RESPONSE_EXCERPT = 1024
"""Characters of a response body kept in the delivery log."""


def message_id(endpoint_id: str, event_id: uuid.UUID) -> str:
    """The Standard Webhooks message id of an event's delivery to an endpoint: the same on
    every attempt and however often it is enqueued, so receivers can drop repeats by it."""
    return "msg_" + uuid.uuid5(uuid.UUID(endpoint_id), str(event_id)).hex


@dataclass(frozen=True, slots=True)
class NewDelivery:
    id: str
    endpoint_id: str
    position: int
    event_type: str
    body: bytes


async def enqueue(
    conn: asyncpg.Connection, deliveries: Sequence[NewDelivery], retry_seconds: float
) -> int:
    """Add deliveries, due now (one already there is left as it is); how many were new."""
    if not deliveries:
        return 0
    rows = await conn.fetch(
        "INSERT INTO webhook_deliveries (id, endpoint_id, position, event_type, body,"
        " retry_until)"
        " SELECT d.*, now() + make_interval(secs => $6)"
        " FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::text[], $5::bytea[]) AS d"
        " ON CONFLICT DO NOTHING RETURNING 1",
        [d.id for d in deliveries],
        [d.endpoint_id for d in deliveries],
        [d.position for d in deliveries],
        [d.event_type for d in deliveries],
        [d.body for d in deliveries],
        retry_seconds,
    )
    return len(rows)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a sender holds until `next_attempt_at` (its lease)."""

    id: str
    endpoint_id: str
    lease: uuid.UUID
    body: bytes
    attempts: int
    """Attempts made before this one."""
    retry_until: datetime
    url: str
    secret_salt: str
    previous_salt: str | None
    rotated_at: datetime | None


_DUE = (
    "SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
    f" {JOINS} WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND {USABLE}"
)
"""Deliveries due now to endpoints that get deliveries (enabled, their token still valid)."""


async def claim(conn: asyncpg.Connection, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take up to `limit` due deliveries, the longest due first, for `lease_seconds`."""
    rows = await conn.fetch(
        "UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $2),"
        " lease = gen_random_uuid() FROM webhook_endpoints ep"
        " WHERE ep.id = d.endpoint_id AND d.id IN ("
        f" {_DUE} ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED)"
        " RETURNING d.id, d.endpoint_id::text, d.lease, d.body, d.attempts, d.retry_until,"
        " ep.url, ep.secret_salt, ep.previous_salt, ep.rotated_at",
        limit,
        lease_seconds,
    )
    return [Claimed(*r) for r in rows]


async def seconds_to_next(conn: asyncpg.Connection) -> float | None:
    """Seconds until the next delivery (to an endpoint that gets them) is due; None if none."""
    return await conn.fetchval(
        "SELECT extract(epoch FROM min(d.next_attempt_at) - now())::float8"
        " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
        f" {JOINS} WHERE d.status = 'pending' AND {USABLE}"
    )


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt got: an HTTP status, or an error with none."""

    attempted_at: datetime
    duration_ms: int
    status: int | None = None
    error: str | None = None
    response: str | None = None


async def record(
    conn: asyncpg.Connection, claimed: Claimed, attempt: Attempt, outcome: Outcome
) -> bool:
    """Log the attempt and move the delivery on as `outcome` says; False, with nothing written,
    if the delivery's lease is no longer `claimed`'s (redelivered meanwhile)."""
    async with conn.transaction():
        number = await conn.fetchval(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $3,"
            " next_attempt_at = coalesce($4, next_attempt_at), lease = NULL,"
            " last_status = $5, last_error = $6,"
            " delivered_at = CASE WHEN $3 = 'delivered' THEN $7 ELSE delivered_at END"
            " WHERE id = $1 AND lease = $2 RETURNING attempts",
            claimed.id,
            claimed.lease,
            outcome.status,
            outcome.next_attempt_at,
            attempt.status,
            attempt.error,
            attempt.attempted_at,
        )
        if number is None:
            return False
        await conn.execute(
            "INSERT INTO webhook_attempts (delivery_id, number, attempted_at, status, error,"
            " duration_ms, response) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            claimed.id,
            number,
            attempt.attempted_at,
            attempt.status,
            attempt.error,
            attempt.duration_ms,
            attempt.response,
        )
    return True


async def delivered_since(conn: asyncpg.Connection, endpoint_id: str, since: datetime) -> bool:
    """Whether any delivery reached the endpoint at `since` or later."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM webhook_deliveries"
        " WHERE endpoint_id = $1 AND status = 'delivered' AND delivered_at >= $2)",
        endpoint_id,
        since,
    )


async def redeliver(
    conn: asyncpg.Connection, endpoint_id: str, delivery_id: str, retry_seconds: float
) -> bool:
    """Make the delivery due now, with a new retry window, whatever its status; False if the
    endpoint has no such delivery."""
    return bool(
        await conn.fetchval(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(),"
            " retry_until = now() + make_interval(secs => $3), lease = NULL"
            " WHERE id = $1 AND endpoint_id = $2 RETURNING 1",
            delivery_id,
            endpoint_id,
            retry_seconds,
        )
    )


async def prune(conn: asyncpg.Connection, log_days: int) -> int:
    """Drop deliveries (with their attempts) whose retry window ended more than `log_days` ago,
    and those of deleted endpoints; how many went."""
    rows = await conn.fetch(
        "DELETE FROM webhook_deliveries d"
        " WHERE d.retry_until < now() - make_interval(days => $1)"
        " OR NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id)"
        " RETURNING 1",
        log_days,
    )
    return len(rows)


# -- the delivery log -----------------------------------------------------------------------


class DeliveryView(msgspec.Struct, kw_only=True):
    id: str
    """The `webhook-id` header it is sent with: the same on every attempt."""
    event_id: str
    """The event's `id` (log position), as in its body."""
    event_type: str
    status: str
    """`pending` (sent or tried again at `next_attempt_at`), `delivered` or `failed` (every
    attempt over the retry window failed, or the endpoint answered 410)."""
    attempts: int
    next_attempt_at: datetime | None
    """When it is sent next (pending only)."""
    last_status: int | None
    """The HTTP status of the last attempt; null when it got no answer (see `last_error`)."""
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptView(msgspec.Struct, kw_only=True):
    number: int
    attempted_at: datetime
    status: int | None
    """The HTTP status answered; null when no answer came."""
    error: str | None
    """Why there was no answer (timeout, refused connection, refused address), or null."""
    duration_ms: int
    response: str | None
    """The start of the response body (at most 1,024 characters)."""


class DeliveryDetail(DeliveryView, kw_only=True):
    attempt_log: list[AttemptView]
    """Every attempt, oldest first."""


_COLUMNS = (
    "id, position, event_type, status, attempts, next_attempt_at, last_status, last_error,"
    " created_at, delivered_at"
)


def _view(r: asyncpg.Record) -> DeliveryView:
    return DeliveryView(
        id=r[0],
        event_id=str(r[1]),
        event_type=r[2],
        status=r[3],
        attempts=r[4],
        next_attempt_at=r[5] if r[3] == "pending" else None,
        last_status=r[6],
        last_error=r[7],
        created_at=r[8],
        delivered_at=r[9],
    )


async def list_deliveries(
    conn: asyncpg.Connection, endpoint_id: str, status: str | None, cursor: str | None, limit: int
) -> Page[DeliveryView]:
    """The endpoint's deliveries (of one status, if given), newest event first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 AND position < $2"
        " AND ($3::text IS NULL OR status = $3) ORDER BY position DESC LIMIT $4",
        endpoint_id,
        before,
        status,
        limit + 1,
    )
    return page(rows, limit, _view, lambda r: (r[1],))


async def get_delivery(
    conn: asyncpg.Connection, endpoint_id: str, delivery_id: str
) -> DeliveryDetail | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2",
        delivery_id,
        endpoint_id,
    )
    if row is None:
        return None
    attempts = await conn.fetch(
        "SELECT number, attempted_at, status, error, duration_ms, response"
        " FROM webhook_attempts WHERE delivery_id = $1 ORDER BY number",
        delivery_id,
    )
    return DeliveryDetail(
        **msgspec.structs.asdict(_view(row)),
        attempt_log=[AttemptView(**dict(a)) for a in attempts],
    )
