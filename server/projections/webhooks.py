"""The webhooks read model: every endpoint not deleted, as its `webhook.*` events leave it, and
the queries over it — a token's own endpoints for the API, and the endpoints that get events
now for the delivery worker.

An endpoint keeps its previous secret's salt after a rotation, so that deliveries are signed
with both for a while (server/api/webhook_signing.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.webhooks import (
    WebhookDeleted,
    WebhookDisabled,
    WebhookEnabled,
    WebhookRegistered,
    WebhookSecretRotated,
    WebhookUpdated,
)
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, tags


class WebhooksProjection(Projection):
    name = "webhooks"
    tables = ("webhook_endpoints",)
    event_types = tags(
        WebhookRegistered,
        WebhookUpdated,
        WebhookSecretRotated,
        WebhookDisabled,
        WebhookEnabled,
        WebhookDeleted,
    )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            await _apply(conn, event)


async def _apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    endpoint_id = event.stream_id.removeprefix("webhook-")
    data = event.data
    match data:
        case WebhookRegistered():
            await conn.execute(
                "INSERT INTO webhook_endpoints (id, token_id, member_id, url, types, community,"
                " member, path, description, secret_salt, created_at, updated_at,"
                " registered_position, since_position)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $12)"
                " ON CONFLICT (id) DO NOTHING",
                endpoint_id,
                data.token_id,
                data.member_id,
                data.url,
                data.types,
                data.community,
                data.member,
                data.path,
                data.description,
                data.secret_salt,
                event.recorded_at,
                event.position,
            )
        case WebhookUpdated():
            await conn.execute(
                "UPDATE webhook_endpoints SET url = $2, types = $3, community = $4, member = $5,"
                " path = $6, description = $7, updated_at = $8 WHERE id = $1",
                endpoint_id,
                data.url,
                data.types,
                data.community,
                data.member,
                data.path,
                data.description,
                event.recorded_at,
            )
        case WebhookSecretRotated():
            await conn.execute(
                "UPDATE webhook_endpoints SET previous_salt = secret_salt, secret_salt = $2,"
                " rotated_at = $3, updated_at = $3 WHERE id = $1",
                endpoint_id,
                data.secret_salt,
                event.recorded_at,
            )
        case WebhookDisabled():
            await conn.execute(
                "UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2,"
                " disabled_at = $3, updated_at = $3 WHERE id = $1",
                endpoint_id,
                data.reason,
                event.recorded_at,
            )
        case WebhookEnabled():
            await conn.execute(
                "UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL,"
                " disabled_at = NULL, since_position = $2, updated_at = $3 WHERE id = $1",
                endpoint_id,
                event.position,
                event.recorded_at,
            )
        case WebhookDeleted():
            await conn.execute("DELETE FROM webhook_endpoints WHERE id = $1", endpoint_id)


# -- reading: the API -----------------------------------------------------------------------


class EndpointView(msgspec.Struct, kw_only=True):
    id: str
    url: str
    types: list[str]
    """Event types and areas (`post.*`) it gets; empty: every type."""
    community: str | None
    member: str | None
    path: str | None
    description: str
    status: str
    """`enabled`, or `disabled` (nothing is delivered; `disabled_reason` says why)."""
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = (
    "id::text, url, types, community::text, member::text, path::text, description, enabled,"
    " disabled_reason, disabled_at, created_at, updated_at, registered_position"
)


def _view(r: asyncpg.Record) -> EndpointView:
    return EndpointView(
        id=r[0],
        url=r[1],
        types=list(r[2]),
        community=r[3],
        member=r[4],
        path=r[5],
        description=r[6],
        status="enabled" if r[7] else "disabled",
        disabled_reason=r[8],
        disabled_at=r[9],
        created_at=r[10],
        updated_at=r[11],
    )


async def list_endpoints(
    conn: asyncpg.Connection, token_id: str, cursor: str | None, limit: int
) -> Page[EndpointView]:
    """The token's endpoints, newest first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM webhook_endpoints"
        " WHERE token_id = $1 AND registered_position < $2"
        " ORDER BY registered_position DESC LIMIT $3",
        token_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _view, lambda r: (r[12],))


async def get_endpoint(
    conn: asyncpg.Connection, token_id: str, endpoint_id: str
) -> EndpointView | None:
    """The endpoint, if it is the token's."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND token_id = $2",
        endpoint_id,
        token_id,
    )
    return None if row is None else _view(row)


# -- reading: the delivery worker -----------------------------------------------------------


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """An endpoint that gets events now, as the delivery worker matches them."""

    id: str
    member_id: str
    admin: bool
    """Its member is an admin: they see every event streamed."""
    types: tuple[str, ...]
    community: str | None
    member: str | None
    path: str | None
    since_position: int
    """It gets the events after this one."""


USABLE = (
    "e.enabled AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"
    " AND m.status = 'active'"
)
"""An endpoint gets events while it is enabled and its token could still read them: not
revoked nor expired, its member not suspended (the members read model says)."""
JOINS = "JOIN access_tokens t ON t.token_id = e.token_id JOIN members m ON m.id = e.member_id"


async def targets(conn: asyncpg.Connection) -> list[Target]:
    rows = await conn.fetch(
        "SELECT e.id::text, e.member_id::text, m.admin, e.types, e.community::text,"
        f" e.member::text, e.path::text, e.since_position FROM webhook_endpoints e {JOINS}"
        f" WHERE {USABLE}"
    )
    return [
        Target(
            id=r[0],
            member_id=r[1],
            admin=r[2],
            types=tuple(r[3]),
            community=r[4],
            member=r[5],
            path=r[6],
            since_position=r[7],
        )
        for r in rows
    ]
