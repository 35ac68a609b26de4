"""The members read model: profiles, follows and the token list, and the queries over them.

Suspended, pending and rejected members are kept (an admin lists them) but every public query
serves active members only, so a suspension hides a member everywhere at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.domain.common import is_id
from server.domain.members import HANDLE
from server.events import RecordedEvent
from server.events.types.auth import TokenIssued, TokenRevoked
from server.events.types.members import (
    MemberApproved,
    MemberFollowed,
    MemberRegistered,
    MemberRejected,
    MemberSuspended,
    MemberUnfollowed,
    MemberUnsuspended,
    ProfileUpdated,
)
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, apply_in_segments, tags


class MembersProjection(Projection):
    name = "members"
    tables = ("members", "member_follows", "access_tokens")
    event_types = tags(
        MemberRegistered,
        MemberApproved,
        MemberRejected,
        MemberSuspended,
        MemberUnsuspended,
        ProfileUpdated,
        MemberFollowed,
        MemberUnfollowed,
        TokenIssued,
        TokenRevoked,
    )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # Follows, most of the traffic, are written a segment at a time: one statement adds
        # them, one more moves the counts they change. A member registers before anyone follows
        # them, and follows add up in any order; an unfollow (or any other event) closes the
        # segment.
        await apply_in_segments(conn, events, (MemberFollowed,), _follow, _apply)


def _member_id(event: RecordedEvent) -> str:
    return event.stream_id.removeprefix("member-")


# The follows not there yet go in (a follow repeated is nothing new): who follows whom anew.
_FOLLOW = """
INSERT INTO member_follows (follower, followee, since, position)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::bigint[])
ON CONFLICT DO NOTHING RETURNING follower::text, followee::text
"""
# Each member's two counts moved at once, by primary key: a plan that cannot turn into a scan
# of the table however small it was when the plan was made (a rebuild, a new instance).
_COUNT_FOLLOWS = (
    "UPDATE members SET following_count = following_count + $2,"
    " followers_count = followers_count + $3 WHERE id = $1"
)


async def _follow(conn: asyncpg.Connection, follows: list[RecordedEvent]) -> None:
    new = await conn.fetch(
        _FOLLOW,
        [_member_id(e) for e in follows],
        [e.data.member_id for e in follows],  # type: ignore[attr-defined]
        [e.recorded_at for e in follows],
        [e.position for e in follows],
    )
    following = Counter(r[0] for r in new)
    followers = Counter(r[1] for r in new)
    if ids := sorted(following.keys() | followers.keys()):
        await conn.executemany(_COUNT_FOLLOWS, [(i, following[i], followers[i]) for i in ids])


async def _apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    data = event.data
    match data:
        case MemberRegistered():
            await conn.execute(
                "INSERT INTO members (id, handle, display_name, status, admin, reason,"
                " registered_at, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                _member_id(event),
                data.handle,
                data.display_name,
                "pending" if data.pending else "active",
                data.admin,
                data.reason,
                event.recorded_at,
                event.position,
            )
        case ProfileUpdated():
            await conn.execute(
                "UPDATE members SET display_name = $2, headline = $3, bio = $4, skills = $5,"
                " links = $6, share_progress = $7 WHERE id = $1",
                _member_id(event),
                data.display_name,
                data.headline,
                data.bio,
                data.skills,
                data.links,
                data.share_progress,
            )
        case MemberApproved() | MemberUnsuspended():
            await _set_status(conn, event, "active")
        case MemberRejected():
            await _set_status(conn, event, "rejected")
        case MemberSuspended():
            await _set_status(conn, event, "suspended")
        case MemberUnfollowed():
            deleted = await conn.fetchval(
                "DELETE FROM member_follows WHERE follower = $1 AND followee = $2 RETURNING 1",
                _member_id(event),
                data.member_id,
            )
            if deleted:
                await _count_follow(conn, _member_id(event), data.member_id, -1)
        case TokenIssued():
            await conn.execute(
                "INSERT INTO access_tokens (token_id, digest, member_id, client_id, name, scopes,"
                " created_at, expires_at, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                data.token_id,
                event.stream_id.removeprefix("token-"),
                data.member_id,
                data.client_id,
                data.name,
                data.scopes,
                event.recorded_at,
                data.expires_at,
                event.position,
            )
        case TokenRevoked():
            await conn.execute(
                "UPDATE access_tokens SET revoked_at = $2 WHERE digest = $1",
                event.stream_id.removeprefix("token-"),
                event.recorded_at,
            )


async def _set_status(conn: asyncpg.Connection, event: RecordedEvent, status: str) -> None:
    await conn.execute("UPDATE members SET status = $2 WHERE id = $1", _member_id(event), status)


async def _count_follow(conn: asyncpg.Connection, follower: str, followee: str, by: int) -> None:
    await conn.execute(
        "UPDATE members SET following_count = following_count + $2 WHERE id = $1", follower, by
    )
    await conn.execute(
        "UPDATE members SET followers_count = followers_count + $2 WHERE id = $1", followee, by
    )


# -- reading --------------------------------------------------------------------------------


class MemberView(msgspec.Struct, kw_only=True):
    id: str
    handle: str
    display_name: str
    headline: str
    bio: str
    skills: list[str]
    links: list[str]
    admin: bool
    registered_at: datetime
    followers_count: int
    following_count: int


class MemberAdminView(MemberView, kw_only=True):
    status: str
    reason: str | None


class FollowView(msgspec.Struct, kw_only=True):
    member: MemberView
    since: datetime


class TokenView(msgspec.Struct, kw_only=True):
    token_id: str
    name: str | None
    client_id: str | None
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


MEMBER_COLUMNS = (
    "m.id::text, m.handle, m.display_name, m.headline, m.bio, m.skills, m.links, m.admin,"
    " m.registered_at, m.followers_count, m.following_count"
)


def member_view(row: asyncpg.Record) -> MemberView:
    return MemberView(
        id=row[0],
        handle=row[1],
        display_name=row[2],
        headline=row[3],
        bio=row[4],
        skills=list(row[5]),
        links=list(row[6]),
        admin=row[7],
        registered_at=row[8],
        followers_count=row[9],
        following_count=row[10],
    )


async def get_member(conn: asyncpg.Connection, key: str) -> MemberView | None:
    """An active member by id or handle (case-insensitive)."""
    column = "id" if is_id(key) else "handle"
    value: object = key.lower() if column == "handle" else key
    if column == "handle" and not HANDLE.fullmatch(value):  # type: ignore[arg-type]
        return None  # names nobody (and may hold what PostgreSQL refuses, such as NUL)
    row = await conn.fetchrow(
        f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.{column} = $1 AND m.status = 'active'",
        value,
    )
    return member_view(row) if row else None


async def list_members_for_admin(
    conn: asyncpg.Connection, status: str | None, cursor: str | None, limit: int
) -> Page[MemberAdminView]:
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {MEMBER_COLUMNS}, m.status, m.reason, m.position FROM members m"
        " WHERE ($1::text IS NULL OR m.status = $1) AND m.position < $2"
        " ORDER BY m.position DESC LIMIT $3",
        status,
        before,
        limit + 1,
    )
    return page(
        rows,
        limit,
        lambda r: MemberAdminView(
            **msgspec.structs.asdict(member_view(r)), status=r[11], reason=r[12]
        ),
        lambda r: (r[13],),
    )


async def list_follows(
    conn: asyncpg.Connection,
    member_id: str,
    direction: str,
    cursor: str | None,
    limit: int,
) -> Page[FollowView]:
    """Who follows `member_id` (direction "followers") or whom they follow ("following"),
    newest first; suspended members are left out."""
    mine, theirs = ("followee", "follower")
    if direction == "following":
        mine, theirs = theirs, mine
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {MEMBER_COLUMNS}, f.since, f.position FROM member_follows f"
        f" JOIN members m ON m.id = f.{theirs}"
        f" WHERE f.{mine} = $1 AND f.position < $2 AND m.status = 'active'"
        " ORDER BY f.position DESC LIMIT $3",
        member_id,
        before,
        limit + 1,
    )
    return page(
        rows, limit, lambda r: FollowView(member=member_view(r), since=r[11]), lambda r: (r[12],)
    )


async def list_tokens(
    conn: asyncpg.Connection, member_id: str, cursor: str | None, limit: int
) -> Page[TokenView]:
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        "SELECT token_id::text, name, client_id::text, scopes, created_at, expires_at,"
        " revoked_at, position FROM access_tokens"
        " WHERE member_id = $1 AND position < $2 ORDER BY position DESC LIMIT $3",
        member_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _token, lambda r: (r[7],))


def _token(r: asyncpg.Record) -> TokenView:
    return TokenView(
        token_id=r[0],
        name=r[1],
        client_id=r[2],
        scopes=list(r[3]),
        created_at=r[4],
        expires_at=r[5],
        revoked_at=r[6],
    )


async def token_digest(conn: asyncpg.Connection, member_id: str, token_id: str) -> str | None:
    return await conn.fetchval(
        "SELECT digest FROM access_tokens WHERE member_id = $1 AND token_id = $2",
        member_id,
        token_id,
    )
