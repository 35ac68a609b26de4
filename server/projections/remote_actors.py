"""Remote actors as their documents last described them: how we name and show them, and where
their inboxes are."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import msgspec

from server.domain import remote_actors
from server.events import RecordedEvent
from server.events.types.remote import RemoteActorDescribed
from server.projections.runner import Projection, tags


class RemoteActorsProjection(Projection):
    name = "remote_actors"
    tables = ("remote_actors",)
    event_types = tags(RemoteActorDescribed)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            data: RemoteActorDescribed = event.data  # type: ignore[assignment]
            await conn.execute(
                "INSERT INTO remote_actors (actor_key, actor_id, kind, username, host, name,"
                " summary, url, icon, inbox, shared_inbox, described_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                " ON CONFLICT (actor_key) DO UPDATE SET kind = $3, username = $4, host = $5,"
                " name = $6, summary = $7, url = $8, icon = $9, inbox = $10,"
                " shared_inbox = $11, described_at = $12",
                event.stream_id.removeprefix("remoteactor-"),
                data.actor_id,
                data.kind,
                data.username,
                data.host,
                data.name,
                data.summary,
                data.url,
                data.icon,
                data.inbox,
                data.shared_inbox,
                event.recorded_at,
            )


class RemoteActorView(msgspec.Struct, kw_only=True):
    """A remote person or group, as our API shows it."""

    id: str
    """Our name for it (a UUID): what to follow or endorse."""
    actor_id: str
    """Its ActivityPub id."""
    kind: str
    name: str
    """`user@host`: how people elsewhere name it."""
    display_name: str
    summary: str
    """Sanitised HTML."""
    url: str | None
    icon: str | None


REMOTE_ACTOR_COLUMNS = (
    "ra.actor_key, ra.actor_id, ra.kind, ra.username, ra.host, ra.name, ra.summary, ra.url, ra.icon"
)


def remote_actor_view(r: Sequence[object]) -> RemoteActorView:
    key, actor_id, kind, username, host, name, summary, url, icon = r
    return RemoteActorView(
        id=str(uuid.UUID(key)),  # type: ignore[arg-type]
        actor_id=actor_id,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        name=f"{username}@{host}",
        display_name=name or username,  # type: ignore[arg-type]
        summary=summary,  # type: ignore[arg-type]
        url=url,  # type: ignore[arg-type]
        icon=icon,  # type: ignore[arg-type]
    )


def described_view(described: RemoteActorDescribed) -> RemoteActorView:
    """The view of an actor just described (before the read model shows it)."""
    return remote_actor_view(
        (
            remote_actors.key(described.actor_id),
            described.actor_id,
            described.kind,
            described.username,
            described.host,
            described.name,
            described.summary,
            described.url,
            described.icon,
        )
    )


class Inboxes(msgspec.Struct, frozen=True):
    inbox: str
    shared_inbox: str | None


async def inboxes(conn: asyncpg.Connection, actor_id: str) -> Inboxes | None:
    row = await conn.fetchrow(
        "SELECT inbox, shared_inbox FROM remote_actors WHERE actor_id = $1", actor_id
    )
    return None if row is None else Inboxes(row[0], row[1])


async def get_remote_actor(conn: asyncpg.Connection, local: str) -> RemoteActorView | None:
    """The remote actor our API names `local` (its key as a UUID)."""
    row = await conn.fetchrow(
        f"SELECT {REMOTE_ACTOR_COLUMNS} FROM remote_actors ra WHERE ra.actor_key = $1",
        uuid.UUID(local).hex,
    )
    return None if row is None else remote_actor_view(row)
