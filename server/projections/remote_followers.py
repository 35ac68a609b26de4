"""Remote actors following our members and communities: who they are, where their inboxes
are, and whether the follow stands (`accepted`) or waits for a moderator (`pending`). An
undone follow is removed. Deliveries read the accepted ones; collections count them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.federation import (
    RemoteFollowAccepted,
    RemoteFollowRejected,
    RemoteFollowRequested,
    RemoteFollowUndone,
)
from server.projections.runner import Projection, tags


class RemoteFollowersProjection(Projection):
    name = "remote_followers"
    tables = ("remote_followers",)
    event_types = tags(
        RemoteFollowRequested, RemoteFollowAccepted, RemoteFollowRejected, RemoteFollowUndone
    )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            follow_key = event.stream_id.removeprefix("remotefollow-")
            match event.data:
                case RemoteFollowRequested() as data:
                    await conn.execute(
                        "INSERT INTO remote_followers (follow_key, target_kind, target_id,"
                        " follower, inbox, shared_inbox, follow_id, status, since)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)"
                        " ON CONFLICT (follow_key) DO UPDATE SET inbox = $5, shared_inbox = $6,"
                        " follow_id = $7, status = 'pending', since = $8",
                        follow_key,
                        data.target_kind,
                        data.target_id,
                        data.follower,
                        data.inbox,
                        data.shared_inbox,
                        data.follow_id,
                        event.recorded_at,
                    )
                case RemoteFollowAccepted() as data:
                    await conn.execute(
                        "UPDATE remote_followers SET status = 'accepted', follow_id = $2"
                        " WHERE follow_key = $1",
                        follow_key,
                        data.follow_id,
                    )
                case RemoteFollowUndone() | RemoteFollowRejected():
                    await conn.execute(
                        "DELETE FROM remote_followers WHERE follow_key = $1", follow_key
                    )


async def count_followers(conn: asyncpg.Connection, target_id: str) -> int:
    """Remote actors whose follow of `target_id` stands."""
    return await conn.fetchval(
        "SELECT count(*) FROM remote_followers WHERE target_id = $1 AND status = 'accepted'",
        target_id,
    )


async def follows(conn: asyncpg.Connection, follower: str, target_id: str) -> bool:
    """Whether `follower`'s follow of our actor `target_id` stands."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM remote_followers WHERE target_id = $1 AND follower = $2"
        " AND status = 'accepted')",
        target_id,
        follower,
    )


async def follow_target(conn: asyncpg.Connection, follower: str, follow_id: str) -> str | None:
    """The actor of ours that `follower`'s `Follow` `follow_id` follows, if it stands or waits."""
    return await conn.fetchval(
        "SELECT target_id::text FROM remote_followers WHERE follower = $1 AND follow_id = $2",
        follower,
        follow_id,
    )


class RemoteFollowRequestView(msgspec.Struct, kw_only=True):
    id: str
    """What to approve or reject."""
    follower: str
    """The remote actor's id."""
    since: datetime


async def list_requests(
    conn: asyncpg.Connection, community_id: str
) -> list[RemoteFollowRequestView]:
    """The remote follows of `community_id` that wait for a moderator, oldest first."""
    rows = await conn.fetch(
        "SELECT follow_key, follower, since FROM remote_followers"
        " WHERE target_id = $1 AND status = 'pending' ORDER BY since",
        community_id,
    )
    return [RemoteFollowRequestView(id=r[0], follower=r[1], since=r[2]) for r in rows]
