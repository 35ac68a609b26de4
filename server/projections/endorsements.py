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
from server.events.types.endorsements import EndorsementGiven, EndorsementWithdrawn
from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, tags
from server.projections.visibility import author_active, community_visible


class EndorsementsProjection(Projection):
    name = "endorsements"
    tables = ("endorsements",)
    event_types = tags(EndorsementGiven, EndorsementWithdrawn)

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


# -- reading --------------------------------------------------------------------------------


class EndorsementView(msgspec.Struct, kw_only=True):
    id: str
    """The endorsement's key: what its endorser passes to withdraw it."""
    kind: str
    """`member` (a member's skill) or `artefact`."""
    target_id: str
    """The member or artefact endorsed."""
    skill: str
    """The skill endorsed; "" for an artefact endorsed as a whole."""
    comment: str
    endorser: MemberView
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
    """The endorsements of the member's skills (with `skill`, of that one), newest first;
    those by suspended members are left out. The caller checks the member is active."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} {_FROM}"
        " WHERE e.kind = 'member' AND e.target_id = $1::uuid AND e.position < $2"
        " AND ($3::text IS NULL OR e.skill = $3) AND m.status = 'active'"
        " ORDER BY e.position DESC LIMIT $4",
        member_id,
        before,
        skill,
        limit + 1,
    )
    return page(rows, limit, _endorsement, lambda r: (r[17],))


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
