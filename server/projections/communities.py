"""The communities read model: communities, members with their roles, pending requests,
invitations, bans and each community's knowledge library; and the queries over them.

Every query takes the reading member (`viewer`, None when anonymous) and serves a members-only
community and its lists to its members and instance admins only. Suspended members are left out
of member lists, and resources they added are not served.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

import asyncpg
import msgspec

from server.domain.common import is_id
from server.domain.communities import SLUG
from server.events import RecordedEvent
from server.events.types.communities import (
    TYPES,
    CommunityCreated,
    CommunityUpdated,
    InvitationRevoked,
    JoinApproved,
    JoinRejected,
    JoinRequested,
    JoinWithdrawn,
    MemberBanned,
    MemberInvited,
    MemberJoined,
    MemberLeft,
    MemberRemoved,
    MemberUnbanned,
    ResourceAdded,
    ResourceRemoved,
    RoleChanged,
    SlugClaimed,
)
from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, apply_in_segments, tags
from server.projections.visibility import author_active, is_admin, is_member

T = TypeVar("T")


class CommunitiesProjection(Projection):
    name = "communities"
    tables = (
        "communities",
        "community_members",
        "community_requests",
        "community_invitations",
        "community_bans",
        "community_resources",
    )
    # Every community event but the slug's claim (its own stream, for uniqueness only).
    event_types = tags(*(t for t in TYPES if t is not SlugClaimed))

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # Joins, most of the traffic, are written a run at a time: the requests and invitations
        # they settle dropped, the memberships added and the counts moved, one statement each.
        # Any other event ends the run.
        await apply_in_segments(conn, events, (MemberJoined,), _join, _apply)


async def _join(conn: asyncpg.Connection, joined: list[RecordedEvent]) -> None:
    pairs = [
        (e.stream_id.removeprefix("community-"), e.data.member_id)  # type: ignore[attr-defined]
        for e in joined
    ]
    for table in ("community_requests", "community_invitations"):
        await conn.executemany(
            f"DELETE FROM {table} WHERE community_id = $1 AND member_id = $2", pairs
        )
    added = await conn.fetch(
        "INSERT INTO community_members (community_id, member_id, role, since, position)"
        " SELECT c, m, 'member', t, p"
        " FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::bigint[]) AS j(c, m, t, p)"
        " ON CONFLICT DO NOTHING RETURNING community_id::text",
        [c for c, _ in pairs],
        [m for _, m in pairs],
        [e.recorded_at for e in joined],
        [e.position for e in joined],
    )
    counts = Counter(r[0] for r in added)
    await conn.executemany(
        "UPDATE communities SET members_count = members_count + $2 WHERE id = $1",
        sorted(counts.items()),
    )


async def _apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    community_id = event.stream_id.removeprefix("community-")
    data = event.data
    at = event.recorded_at
    match data:
        case CommunityCreated():
            await conn.execute(
                "INSERT INTO communities (id, slug, name, description, skills, visibility,"
                " join_policy, created_by, created_at, updated_at, position)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
                community_id,
                data.slug,
                data.name,
                data.description,
                data.skills,
                data.visibility,
                data.join_policy,
                data.by,
                at,
                event.position,
            )
            await _add_member(conn, community_id, data.by, "owner", event)
        case CommunityUpdated():
            await conn.execute(
                "UPDATE communities SET name = $2, description = $3, skills = $4,"
                " visibility = $5, join_policy = $6, updated_at = $7 WHERE id = $1",
                community_id,
                data.name,
                data.description,
                data.skills,
                data.visibility,
                data.join_policy,
                at,
            )
        case MemberLeft() | MemberRemoved():
            await _remove_member(conn, community_id, data.member_id)
        case JoinRequested():
            await conn.execute(
                "INSERT INTO community_requests (community_id, member_id, message, requested_at,"
                " position) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                community_id,
                data.member_id,
                data.message,
                at,
                event.position,
            )
        case JoinApproved() | JoinRejected() | JoinWithdrawn():
            await _drop(conn, "community_requests", community_id, data.member_id)
        case InvitationRevoked():
            await _drop(conn, "community_invitations", community_id, data.member_id)
        case MemberInvited():
            await conn.execute(
                "INSERT INTO community_invitations (community_id, member_id, invited_by,"
                " invited_at, position) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                community_id,
                data.member_id,
                data.by,
                at,
                event.position,
            )
        case RoleChanged():
            await conn.execute(
                "UPDATE community_members SET role = $3 WHERE community_id = $1 AND member_id = $2",
                community_id,
                data.member_id,
                data.role,
            )
        case MemberBanned():
            await _remove_member(conn, community_id, data.member_id)
            await _drop(conn, "community_requests", community_id, data.member_id)
            await _drop(conn, "community_invitations", community_id, data.member_id)
            await conn.execute(
                "INSERT INTO community_bans (community_id, member_id, banned_by, reason,"
                " banned_at, position) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                community_id,
                data.member_id,
                data.by,
                data.reason,
                at,
                event.position,
            )
        case MemberUnbanned():
            await _drop(conn, "community_bans", community_id, data.member_id)
        case ResourceAdded():
            await conn.execute(
                "INSERT INTO community_resources (resource_id, community_id, url, title, note,"
                " skills, added_by, added_at, position)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                data.resource_id,
                community_id,
                data.url,
                data.title,
                data.note,
                data.skills,
                data.by,
                at,
                event.position,
            )
            await _count(conn, community_id, "resources_count", 1)
        case ResourceRemoved():
            deleted = await conn.fetchval(
                "DELETE FROM community_resources WHERE resource_id = $1 RETURNING 1",
                data.resource_id,
            )
            if deleted:
                await _count(conn, community_id, "resources_count", -1)


async def _add_member(
    conn: asyncpg.Connection, community_id: str, member_id: str, role: str, event: RecordedEvent
) -> None:
    inserted = await conn.fetchval(
        "INSERT INTO community_members (community_id, member_id, role, since, position)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
        community_id,
        member_id,
        role,
        event.recorded_at,
        event.position,
    )
    if inserted:
        await _count(conn, community_id, "members_count", 1)


async def _remove_member(conn: asyncpg.Connection, community_id: str, member_id: str) -> None:
    if await _drop(conn, "community_members", community_id, member_id):
        await _count(conn, community_id, "members_count", -1)


async def _drop(conn: asyncpg.Connection, table: str, community_id: str, member_id: str) -> bool:
    return bool(
        await conn.fetchval(
            f"DELETE FROM {table} WHERE community_id = $1 AND member_id = $2 RETURNING 1",
            community_id,
            member_id,
        )
    )


async def _count(conn: asyncpg.Connection, community_id: str, column: str, by: int) -> None:
    await conn.execute(
        f"UPDATE communities SET {column} = {column} + $2 WHERE id = $1", community_id, by
    )


# -- reading --------------------------------------------------------------------------------


class CommunityView(msgspec.Struct, kw_only=True):
    id: str
    slug: str
    name: str
    description: str
    skills: list[str]
    visibility: str
    """`public` or `members_only`."""
    join_policy: str
    """`open`, `approval` or `invite`."""
    created_at: datetime
    updated_at: datetime
    members_count: int
    resources_count: int
    """The size of its library."""
    paths_count: int
    """Its published paths: open to learners (drafts and archived paths are not counted)."""
    viewer_role: str | None
    """The reading member's role here (`owner`, `moderator`, `member`), or null."""
    viewer_request_pending: bool
    """The reading member asked to join and awaits a moderator."""
    viewer_invited: bool
    """The reading member is invited: joining needs no approval."""


class CommunityMemberView(msgspec.Struct, kw_only=True):
    member: MemberView
    role: str
    since: datetime


class JoinRequestView(msgspec.Struct, kw_only=True):
    member: MemberView
    message: str
    requested_at: datetime


class BanView(msgspec.Struct, kw_only=True):
    member_id: str
    banned_by: str
    reason: str
    banned_at: datetime


class ResourceView(msgspec.Struct, kw_only=True):
    id: str
    community_id: str
    url: str
    title: str
    note: str
    skills: list[str]
    added_by: str
    added_at: datetime


_COMMUNITY_COLUMNS = (
    "c.id::text, c.slug, c.name, c.description, c.skills, c.visibility, c.join_policy,"
    " c.created_at, c.updated_at, c.members_count, c.resources_count,"
    " (SELECT role FROM community_members r WHERE r.community_id = c.id AND r.member_id = $1),"
    " EXISTS (SELECT 1 FROM community_requests q WHERE q.community_id = c.id"
    " AND q.member_id = $1),"
    " EXISTS (SELECT 1 FROM community_invitations i WHERE i.community_id = c.id"
    " AND i.member_id = $1),"
    " (SELECT count(*)::int FROM paths p WHERE p.community_id = c.id AND p.status = 'published'"
    f" AND {author_active('p.creator_id')})"
)


def _community(row: asyncpg.Record) -> CommunityView:
    return CommunityView(
        id=row[0],
        slug=row[1],
        name=row[2],
        description=row[3],
        skills=list(row[4]),
        visibility=row[5],
        join_policy=row[6],
        created_at=row[7],
        updated_at=row[8],
        members_count=row[9],
        resources_count=row[10],
        viewer_role=row[11],
        viewer_request_pending=row[12],
        viewer_invited=row[13],
        paths_count=row[14],
    )


def _visible(viewer: str) -> str:
    """A members-only community is seen by its members, instance admins, and those invited to
    it (so they can accept)."""
    return (
        f"(c.visibility = 'public' OR {is_member('c.id', viewer)} OR {is_admin(viewer)}"
        " OR EXISTS (SELECT 1 FROM community_invitations vi WHERE vi.community_id = c.id"
        f" AND vi.member_id = {viewer}))"
    )


async def get_community(
    conn: asyncpg.Connection, key: str, viewer: str | None
) -> CommunityView | None:
    """A community by id or slug, if `viewer` may see it."""
    column = "id" if is_id(key) else "slug"
    if column == "slug" and not SLUG.match(key.lower()):
        return None  # names no community (and may hold what PostgreSQL refuses, such as NUL)
    row = await conn.fetchrow(
        f"SELECT {_COMMUNITY_COLUMNS} FROM communities c"
        f" WHERE c.{column} = $2 AND {_visible('$1::uuid')}",
        viewer,
        key if column == "id" else key.lower(),
    )
    return _community(row) if row else None


async def list_communities(
    conn: asyncpg.Connection, viewer: str | None, mine: bool, cursor: str | None, limit: int
) -> Page[CommunityView]:
    """The communities `viewer` may see (with `mine`, only those they belong to), newest
    first."""
    (before,) = after(cursor, int, first=NEWEST)
    only_mine = f" AND {is_member('c.id', '$1::uuid')}" if mine else ""
    rows = await conn.fetch(
        f"SELECT {_COMMUNITY_COLUMNS}, c.position FROM communities c"
        f" WHERE c.position < $2 AND {_visible('$1::uuid')}{only_mine}"
        " ORDER BY c.position DESC LIMIT $3",
        viewer,
        before,
        limit + 1,
    )
    return page(rows, limit, _community, lambda r: (r[-1],))


async def list_members(
    conn: asyncpg.Connection, community_id: str, cursor: str | None, limit: int
) -> Page[CommunityMemberView]:
    """Members in the order they joined, oldest first (owners who founded it lead)."""
    return await _members_in(
        conn,
        "community_members",
        ("role", "since"),
        community_id,
        cursor,
        limit,
        lambda r: CommunityMemberView(member=member_view(r), role=r[11], since=r[12]),
    )


async def list_requests(
    conn: asyncpg.Connection, community_id: str, cursor: str | None, limit: int
) -> Page[JoinRequestView]:
    """Pending requests to join, oldest first (the moderators' queue)."""
    return await _members_in(
        conn,
        "community_requests",
        ("message", "requested_at"),
        community_id,
        cursor,
        limit,
        lambda r: JoinRequestView(member=member_view(r), message=r[11], requested_at=r[12]),
    )


async def _members_in(
    conn: asyncpg.Connection,
    table: str,
    columns: tuple[str, str],
    community_id: str,
    cursor: str | None,
    limit: int,
    build: Callable[[asyncpg.Record], T],
) -> Page[T]:
    """Active members listed in `table` for the community, oldest entry first: each row the
    member's columns, then the two `columns` of `table`, then the position (the cursor)."""
    (since,) = after(cursor, int, first=(0,))
    first, second = columns
    rows = await conn.fetch(
        f"SELECT {MEMBER_COLUMNS}, t.{first}, t.{second}, t.position FROM {table} t"
        " JOIN members m ON m.id = t.member_id"
        " WHERE t.community_id = $1 AND t.position > $2 AND m.status = 'active'"
        " ORDER BY t.position LIMIT $3",
        community_id,
        since,
        limit + 1,
    )
    return page(rows, limit, build, lambda r: (r[13],))


async def list_bans(
    conn: asyncpg.Connection, community_id: str, cursor: str | None, limit: int
) -> Page[BanView]:
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        "SELECT member_id::text, banned_by::text, reason, banned_at, position"
        " FROM community_bans WHERE community_id = $1 AND position < $2"
        " ORDER BY position DESC LIMIT $3",
        community_id,
        before,
        limit + 1,
    )
    return page(
        rows,
        limit,
        lambda r: BanView(member_id=r[0], banned_by=r[1], reason=r[2], banned_at=r[3]),
        lambda r: (r[4],),
    )


async def list_resources(
    conn: asyncpg.Connection, community_id: str, cursor: str | None, limit: int
) -> Page[ResourceView]:
    """The community's library, newest first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        "SELECT r.resource_id::text, r.community_id::text, r.url, r.title, r.note, r.skills,"
        " r.added_by::text, r.added_at, r.position FROM community_resources r"
        f" WHERE r.community_id = $1 AND r.position < $2 AND {author_active('r.added_by')}"
        " ORDER BY r.position DESC LIMIT $3",
        community_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _resource, lambda r: (r[8],))


def _resource(r: asyncpg.Record) -> ResourceView:
    return ResourceView(
        id=r[0],
        community_id=r[1],
        url=r[2],
        title=r[3],
        note=r[4],
        skills=list(r[5]),
        added_by=r[6],
        added_at=r[7],
    )
