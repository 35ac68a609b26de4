"""The endorsements read model: the endorsements that are active now (a withdrawn one is
removed), and the queries over them.

Endorsements by a suspended member are not served, nor those of a suspended member's skills or
artefacts (the API answers 404 for the member or artefact). An artefact's endorsements are
served to those who may read the artefact: the artefacts read model (`artefacts` table) says
which community it is in and who wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.endorsements import (
    EndorsementGiven,
    EndorsementWithdrawn,
    RemoteEndorsementReceived,
    RemoteEndorsementUndone,
)
from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, tags
from server.projections.visibility import author_active, community_visible


class EndorsementsProjection(Projection):
    name = "endorsements"
    tables = ("endorsements", "received_endorsements")
    event_types = tags(
        EndorsementGiven, EndorsementWithdrawn, RemoteEndorsementReceived, RemoteEndorsementUndone
    )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            await _apply(conn, event)


async def _apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    endorsement_id = event.stream_id.removeprefix("endorsement-")
    data = event.data
    match data:
        case EndorsementGiven():
            await conn.execute(
                "INSERT INTO endorsements (id, endorser_id, kind, target_id, skill, comment,"
                " given_at, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (id) DO UPDATE SET comment = $6, given_at = $7, position = $8",
                endorsement_id,
                data.endorser_id,
                data.kind,
                data.target_id,
                data.skill,
                data.comment,
                event.recorded_at,
                event.position,
            )
        case EndorsementWithdrawn():
            await conn.execute("DELETE FROM endorsements WHERE id = $1", endorsement_id)
        case RemoteEndorsementReceived():
            await conn.execute(
                "INSERT INTO received_endorsements (id, actor_id, member_id, skill, comment,"
                " endorse_id, given_at, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (id) DO UPDATE SET comment = $5, endorse_id = $6, given_at = $7,"
                " position = $8",
                event.stream_id.removeprefix("receivedendorsement-"),
                data.actor_id,
                data.member_id,
                data.skill,
                data.comment,
                data.endorse_id,
                event.recorded_at,
                event.position,
            )
        case RemoteEndorsementUndone():
            await conn.execute(
                "DELETE FROM received_endorsements WHERE id = $1",
                event.stream_id.removeprefix("receivedendorsement-"),
            )


# -- reading --------------------------------------------------------------------------------


class RemoteEndorser(msgspec.Struct, kw_only=True):
    """An endorser on another server."""

    id: str
    """Its ActivityPub id."""
    name: str | None
    """`user@host`, once its actor document has been read here; else null."""
    display_name: str | None
    url: str | None
    """Its profile page, if it names one."""


class EndorsementView(msgspec.Struct, kw_only=True):
    id: str
    """The endorsement's key: what its endorser passes to withdraw it (one from another
    server is withdrawn there)."""
    kind: str
    """`member` (a member's skill) or `artefact`."""
    target_id: str
    """The member or artefact endorsed."""
    skill: str
    """The skill endorsed; "" for an artefact endorsed as a whole."""
    comment: str
    """Plain text."""
    endorser: MemberView | None
    """The member who endorses; null when the endorser is on another server."""
    remote_endorser: RemoteEndorser | None = None
    """The endorser on another server (a member's skills only); null for a member's."""
    given_at: datetime


def _endorsement(r: asyncpg.Record) -> EndorsementView:
    return EndorsementView(
        id=r[11],
        kind=r[12],
        target_id=r[13],
        skill=r[14],
        comment=r[15],
        endorser=member_view(r),
        given_at=r[16],
    )


_COLUMNS = (
    f"{MEMBER_COLUMNS}, e.id, e.kind, e.target_id::text, e.skill, e.comment, e.given_at, e.position"
)
_FROM = "FROM endorsements e JOIN members m ON m.id = e.endorser_id"


async def list_member_endorsements(
    conn: asyncpg.Connection, member_id: str, skill: str | None, cursor: str | None, limit: int
) -> Page[EndorsementView]:
    """The endorsements of the member's skills (with `skill`, of that one) by members and by
    actors on other servers, newest first; those by suspended members are left out. The
    caller checks the member is active."""
    (before,) = after(cursor, int, first=NEWEST)
    ours = await conn.fetch(
        f"SELECT {_COLUMNS} {_FROM}"
        " WHERE e.kind = 'member' AND e.target_id = $1::uuid AND e.position < $2"
        " AND ($3::text IS NULL OR e.skill = $3) AND m.status = 'active'"
        " ORDER BY e.position DESC LIMIT $4",
        member_id,
        before,
        skill,
        limit + 1,
    )
    remote = await conn.fetch(
        "SELECT r.id, r.member_id::text, r.skill, r.comment, r.given_at, r.actor_id,"
        " ra.username, ra.host, ra.name, ra.url, r.position FROM received_endorsements r"
        " LEFT JOIN remote_actors ra ON ra.actor_id = r.actor_id"
        " WHERE r.member_id = $1::uuid AND r.position < $2 AND ($3::text IS NULL OR r.skill = $3)"
        " ORDER BY r.position DESC LIMIT $4",
        member_id,
        before,
        skill,
        limit + 1,
    )
    both = sorted(
        [(r[17], _endorsement(r)) for r in ours] + [(r[10], _received(r)) for r in remote],
        key=lambda item: item[0],
        reverse=True,
    )
    return page(both[: limit + 1], limit, lambda item: item[1], lambda item: (item[0],))


def _received(r: asyncpg.Record) -> EndorsementView:
    known = r[6] is not None
    return EndorsementView(
        id=r[0],
        kind="member",
        target_id=r[1],
        skill=r[2],
        comment=r[3],
        endorser=None,
        remote_endorser=RemoteEndorser(
            id=r[5],
            name=f"{r[6]}@{r[7]}" if known else None,
            display_name=(r[8] or r[6]) if known else None,
            url=r[9],
        ),
        given_at=r[4],
    )


async def received_endorsement(
    conn: asyncpg.Connection, actor_id: str, endorse_id: str
) -> tuple[str, str] | None:
    """(member id, skill) of the standing endorsement `actor_id` made by `endorse_id`."""
    row = await conn.fetchrow(
        "SELECT member_id::text, skill FROM received_endorsements"
        " WHERE endorse_id = $1 AND actor_id = $2",
        endorse_id,
        actor_id,
    )
    return None if row is None else (row[0], row[1])


async def list_artefact_endorsements(
    conn: asyncpg.Connection,
    artefact_id: str,
    viewer: str | None,
    cursor: str | None,
    limit: int,
) -> Page[EndorsementView] | None:
    """The artefact's endorsements, newest first; None if `viewer` may not read the artefact
    (no such artefact, deleted, in a members-only community they are not in, or by a suspended
    author)."""
    (before,) = after(cursor, int, first=NEWEST)
    readable = await conn.fetchval(
        "SELECT 1 FROM artefacts a WHERE a.id = $2::uuid"
        f" AND {community_visible('a.community_id', '$1::uuid')}"
        f" AND {author_active('a.author_id')}",
        viewer,
        artefact_id,
    )
    if not readable:
        return None
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} {_FROM}"
        " WHERE e.kind = 'artefact' AND e.target_id = $1::uuid AND e.position < $2"
        " AND m.status = 'active' ORDER BY e.position DESC LIMIT $3",
        artefact_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _endorsement, lambda r: (r[17],))
