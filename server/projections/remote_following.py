"""Our members' follows of remote actors: which stand (`accepted`) and which wait for the
actor's answer (`pending`). An undone or rejected follow is removed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.remote import (
    FollowingAccepted,
    FollowingRejected,
    FollowingRequested,
    FollowingUndone,
)
from server.projections.remote_actors import (
    REMOTE_ACTOR_COLUMNS,
    RemoteActorView,
    remote_actor_view,
)
from server.projections.runner import Projection, tags


class RemoteFollowingProjection(Projection):
    name = "remote_following"
    tables = ("remote_following",)
    event_types = tags(FollowingRequested, FollowingAccepted, FollowingRejected, FollowingUndone)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            following_key = event.stream_id.removeprefix("following-")
            match event.data:
                case FollowingRequested() as data:
                    await conn.execute(
                        "INSERT INTO remote_following (following_key, member_id, actor_id,"
                        " follow_id, status, since) VALUES ($1, $2, $3, $4, 'pending', $5)"
                        " ON CONFLICT (following_key) DO UPDATE SET follow_id = $4,"
                        " status = 'pending', since = $5",
                        following_key,
                        data.member_id,
                        data.actor_id,
                        data.follow_id,
                        event.recorded_at,
                    )
                case FollowingAccepted():
                    await conn.execute(
                        "UPDATE remote_following SET status = 'accepted' WHERE following_key = $1",
                        following_key,
                    )
                case FollowingRejected() | FollowingUndone():
                    await conn.execute(
                        "DELETE FROM remote_following WHERE following_key = $1", following_key
                    )


class RemoteFollowingView(msgspec.Struct, kw_only=True):
    actor: RemoteActorView
    status: str
    """`accepted`, or `pending` until the actor answers."""
    since: datetime


async def list_following(conn: asyncpg.Connection, member_id: str) -> list[RemoteFollowingView]:
    """The remote actors `member_id` follows or asked to, most recent first."""
    rows = await conn.fetch(
        f"SELECT {REMOTE_ACTOR_COLUMNS}, f.status, f.since FROM remote_following f"
        " JOIN remote_actors ra ON ra.actor_id = f.actor_id"
        " WHERE f.member_id = $1 ORDER BY f.since DESC",
        member_id,
    )
    return [
        RemoteFollowingView(actor=remote_actor_view(r[:9]), status=r[9], since=r[10]) for r in rows
    ]


async def pending_follow(conn: asyncpg.Connection, follow_id: str) -> tuple[str, str] | None:
    """(member id, actor id) of the follow whose `Follow` activity is `follow_id`."""
    row = await conn.fetchrow(
        "SELECT member_id::text, actor_id FROM remote_following WHERE follow_id = $1", follow_id
    )
    return None if row is None else (row[0], row[1])


async def followed_by_anyone(conn: asyncpg.Connection, actor_ids: Sequence[str]) -> bool:
    """Whether a member of ours follows any of `actor_ids` (the follow stands)."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM remote_following"
        " WHERE actor_id = ANY($1::text[]) AND status = 'accepted')",
        list(actor_ids),
    )


async def follow_stands(conn: asyncpg.Connection, member_id: str, actor_id: str) -> bool:
    """Whether `member_id`'s follow of the remote actor `actor_id` stands (was accepted)."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM remote_following WHERE member_id = $1 AND actor_id = $2"
        " AND status = 'accepted')",
        member_id,
        actor_id,
    )
