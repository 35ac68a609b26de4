"""Remote objects that concern us — posts, artefacts and paths from other servers, and replies
to ours — with who shared them and our members' likes. A deleted one stays as a tombstone
(`deleted`, its content gone)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.remote import (
    RemoteContent,
    RemoteObjectDeleted,
    RemoteObjectLiked,
    RemoteObjectReceived,
    RemoteObjectShared,
    RemoteObjectUnliked,
    RemoteObjectUpdated,
    RemoteStep,
)
from server.projections.remote_actors import (
    REMOTE_ACTOR_COLUMNS,
    RemoteActorView,
    remote_actor_view,
)
from server.projections.runner import Projection, tags


def local_id(object_key: str) -> str:
    """How our API names the remote object whose key is `object_key` (32 hex digits)."""
    return str(uuid.UUID(object_key))


class RemoteObjectsProjection(Projection):
    name = "remote_objects"
    tables = ("remote_objects", "remote_object_sharers", "remote_object_likes")
    event_types = tags(
        RemoteObjectReceived,
        RemoteObjectUpdated,
        RemoteObjectDeleted,
        RemoteObjectShared,
        RemoteObjectLiked,
        RemoteObjectUnliked,
    )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            key = event.stream_id.removeprefix("remoteobject-")
            match event.data:
                case RemoteObjectReceived() as data:
                    await conn.execute(
                        "INSERT INTO remote_objects (object_key, id, object_id, author, type,"
                        " learnwork_kind, name, summary, content, url, skills, steps, revision,"
                        " in_reply_to, audience, public, published, position, community_id)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                        " $15, $16, $17, $18, $19) ON CONFLICT (object_key) DO NOTHING",
                        key,
                        local_id(key),
                        data.object_id,
                        data.author,
                        *_content(data.content),
                        data.in_reply_to,
                        data.audience,
                        data.public,
                        data.published,
                        event.position,
                        data.community_id,
                    )
                case RemoteObjectUpdated() as data:
                    await conn.execute(
                        "UPDATE remote_objects SET type = $2, learnwork_kind = $3, name = $4,"
                        " summary = $5, content = $6, url = $7, skills = $8, steps = $9,"
                        " revision = $10, updated = $11 WHERE object_key = $1",
                        key,
                        *_content(data.content),
                        data.updated,
                    )
                case RemoteObjectDeleted():
                    await conn.execute(
                        "UPDATE remote_objects SET deleted = true, name = '', summary = '',"
                        " content = '', skills = '{}', steps = '[]' WHERE object_key = $1",
                        key,
                    )
                case RemoteObjectShared() as data:
                    await conn.execute(
                        "INSERT INTO remote_object_sharers (object_key, actor_id, position)"
                        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        key,
                        data.by,
                        event.position,
                    )
                case RemoteObjectLiked() as data:
                    await conn.execute(
                        "INSERT INTO remote_object_likes (object_key, member_id, like_id)"
                        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        key,
                        data.member_id,
                        data.like_id,
                    )
                    await _count_like(conn, key)
                case RemoteObjectUnliked() as data:
                    await conn.execute(
                        "DELETE FROM remote_object_likes WHERE object_key = $1 AND member_id = $2",
                        key,
                        data.member_id,
                    )
                    await _count_like(conn, key)


def _content(content: RemoteContent) -> tuple[object, ...]:
    return (
        content.type,
        content.learnwork_kind,
        content.name,
        content.summary,
        content.content,
        content.url,
        list(content.skills),
        msgspec.json.encode(content.steps),
        content.revision,
    )


async def _count_like(conn: asyncpg.Connection, key: str) -> None:
    await conn.execute(
        "UPDATE remote_objects SET likes_count = (SELECT count(*) FROM remote_object_likes"
        " WHERE object_key = $1) WHERE object_key = $1",
        key,
    )


class RemoteObjectView(msgspec.Struct, kw_only=True):
    """A post, artefact or path from another server, as our API shows it."""

    id: str
    """Our name for it (a UUID): what to reply to, like, or ask for."""
    object_id: str
    """Its ActivityPub id."""
    kind: str
    """`post`, `artefact` or `path`."""
    author: RemoteActorView | None
    name: str
    summary: str
    """Sanitised HTML."""
    html: str
    """Its content: sanitised HTML."""
    url: str | None
    skills: list[str]
    steps: list[RemoteStep]
    revision: int | None
    in_reply_to: str | None
    """The ActivityPub id of what it answers."""
    audience: str | None
    """The ActivityPub id of the group (community) it was written in."""
    published: datetime
    updated: datetime | None
    deleted: bool
    likes_count: int
    """How many members of ours like it."""


REMOTE_OBJECT_COLUMNS = (
    "o.id::text, o.object_id, o.learnwork_kind, o.name, o.summary, o.content, o.url, o.skills,"
    " o.steps, o.revision, o.in_reply_to, o.audience, o.published, o.updated, o.deleted,"
    f" o.likes_count, {REMOTE_ACTOR_COLUMNS}"
)
"""The columns `remote_object_view` reads: a remote object `o` and its author `ra` (joined
with LEFT JOIN remote_actors ra ON ra.actor_id = o.author)."""

_STEPS = msgspec.json.Decoder(list[RemoteStep])


def remote_object_view(r: Sequence[object]) -> RemoteObjectView:
    author = r[16:25]
    return RemoteObjectView(
        id=r[0],  # type: ignore[arg-type]
        object_id=r[1],  # type: ignore[arg-type]
        kind=r[2],  # type: ignore[arg-type]
        name=r[3],  # type: ignore[arg-type]
        summary=r[4],  # type: ignore[arg-type]
        html=r[5],  # type: ignore[arg-type]
        url=r[6],  # type: ignore[arg-type]
        skills=list(r[7]),  # type: ignore[call-overload]
        steps=_STEPS.decode(r[8]),  # type: ignore[arg-type]
        revision=r[9],  # type: ignore[arg-type]
        in_reply_to=r[10],  # type: ignore[arg-type]
        audience=r[11],  # type: ignore[arg-type]
        published=r[12],  # type: ignore[arg-type]
        updated=r[13],  # type: ignore[arg-type]
        deleted=r[14],  # type: ignore[arg-type]
        likes_count=r[15],  # type: ignore[arg-type]
        author=remote_actor_view(author) if author[0] is not None else None,
    )


_SEEN_BY = (
    "(o.public OR EXISTS (SELECT 1 FROM remote_following f WHERE f.member_id = {member}"
    " AND f.actor_id = o.author AND f.status = 'accepted'))"
)
"""Who may see a remote object: anyone here when it was addressed to the public; else only
the members following its author (it was sent to the author's followers)."""


async def get_remote_object(
    conn: asyncpg.Connection, local: str, viewer: str
) -> RemoteObjectView | None:
    """The remote object our API names `local` (its UUID), if `viewer` may see it."""
    row = await conn.fetchrow(
        f"SELECT {REMOTE_OBJECT_COLUMNS} FROM remote_objects o"
        " LEFT JOIN remote_actors ra ON ra.actor_id = o.author"
        f" WHERE o.id = $1::uuid AND {_SEEN_BY.format(member='$2::uuid')}",
        local,
        viewer,
    )
    return None if row is None else remote_object_view(row)


async def known_object(conn: asyncpg.Connection, object_id: str) -> bool:
    """Whether the remote object `object_id` is here (standing or a tombstone)."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM remote_objects WHERE object_id = $1)", object_id
    )


async def feed_items(
    conn: asyncpg.Connection, member_id: str, before: int, limit: int
) -> list[tuple[int, RemoteObjectView]]:
    """(position, object) of the newest remote objects before `before` that reach `member_id`:
    by an actor they follow, in a group they follow, shared by one, or written by a remote
    member in a community of ours they belong to — newest first. The position is that of its
    arrival or of its first share by an actor they follow."""
    rows = await conn.fetch(
        f"""
        WITH followed AS (SELECT actor_id FROM remote_following
                           WHERE member_id = $1::uuid AND status = 'accepted'),
        reached AS (
            SELECT o.object_key, o.position FROM remote_objects o
             WHERE o.author IN (SELECT actor_id FROM followed)
            UNION ALL
            SELECT o.object_key, o.position FROM remote_objects o
             WHERE o.audience IN (SELECT actor_id FROM followed)
            UNION ALL
            SELECT s.object_key, s.position FROM remote_object_sharers s
             WHERE s.actor_id IN (SELECT actor_id FROM followed)
            UNION ALL
            SELECT o.object_key, o.position FROM community_members m
              JOIN remote_objects o ON o.community_id = m.community_id
             WHERE m.member_id = $1::uuid),
        first AS (SELECT object_key, min(position) AS position FROM reached GROUP BY object_key)
        SELECT f.position, {REMOTE_OBJECT_COLUMNS} FROM first f
          JOIN remote_objects o USING (object_key)
          LEFT JOIN remote_actors ra ON ra.actor_id = o.author
         WHERE NOT o.deleted AND f.position < $2 AND {_SEEN_BY.format(member="$1::uuid")}
         ORDER BY f.position DESC LIMIT $3
        """,
        member_id,
        before,
        limit,
    )
    return [(r[0], remote_object_view(r[1:])) for r in rows]


async def community_items(
    conn: asyncpg.Connection, community_id: str, before: int, limit: int
) -> list[tuple[int, RemoteObjectView]]:
    """(position, object) of the newest remote objects before `before` written in our
    community `community_id` by its remote members — newest first."""
    rows = await conn.fetch(
        f"SELECT o.position, {REMOTE_OBJECT_COLUMNS} FROM remote_objects o"
        " LEFT JOIN remote_actors ra ON ra.actor_id = o.author"
        " WHERE o.community_id = $1::uuid AND o.position < $2 AND NOT o.deleted AND o.public"
        " ORDER BY o.position DESC LIMIT $3",
        community_id,
        before,
        limit,
    )
    return [(r[0], remote_object_view(r[1:])) for r in rows]
