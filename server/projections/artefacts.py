"""The artefacts read model: each artefact with its current revision, and every revision of it,
with the body rendered to safe HTML when the event is applied; and the queries over them.

Every query takes the reading member (`viewer`, None when anonymous): an artefact attached to a
members-only community is served to its members and instance admins only, and a suspended
member's artefacts are not served at all. A deleted artefact's rows are removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.domain.rendering import render
from server.events import RecordedEvent
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted, ArtefactRevised
from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, apply_in_segments, tags
from server.projections.visibility import author_active, community_visible


class ArtefactsProjection(Projection):
    name = "artefacts"
    tables = ("artefacts", "artefact_revisions")
    event_types = tags(ArtefactCreated, ArtefactRevised, ArtefactDeleted)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # Creations and revisions are written a segment at a time, each kind in one pipelined
        # statement: new artefacts, then revisions (an artefact is created before it is revised,
        # and a revision only replaces an older one), then every revision's row. A deletion
        # closes the segment.
        await apply_in_segments(conn, events, (ArtefactCreated, ArtefactRevised), _write, _delete)


async def _delete(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    artefact_id = event.stream_id.removeprefix("artefact-")
    await conn.execute("DELETE FROM artefact_revisions WHERE artefact_id = $1", artefact_id)
    await conn.execute("DELETE FROM artefacts WHERE id = $1", artefact_id)


_CONTENT = "title, summary, body, format, html, links, skills"
_CREATE = (
    f"INSERT INTO artefacts (id, author_id, community_id, revision, {_CONTENT},"
    " created_at, revised_at, position)"
    " VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)"
    " ON CONFLICT DO NOTHING"
)
_REVISE = (
    "UPDATE artefacts SET revision = $2, title = $3, summary = $4, body = $5,"
    " format = $6, html = $7, links = $8, skills = $9, revised_at = $10"
    " WHERE id = $1 AND revision < $2"
)
_ADD_REVISION = (
    f"INSERT INTO artefact_revisions (artefact_id, revision, {_CONTENT}, revised_at,"
    " position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    " ON CONFLICT DO NOTHING"
)


async def _write(conn: asyncpg.Connection, written: list[RecordedEvent]) -> None:
    creations, changes, revisions = [], [], []
    for event in written:
        data = event.data
        assert isinstance(data, ArtefactCreated | ArtefactRevised)
        artefact_id = event.stream_id.removeprefix("artefact-")
        content = _content(data, render(data.body, data.format))
        at = event.recorded_at
        if isinstance(data, ArtefactCreated):
            revision = 1
            creations.append(
                (artefact_id, data.author_id, data.community_id, *content, at, event.position)
            )
        else:
            revision = data.revision
            changes.append((artefact_id, revision, *content, at))
        revisions.append((artefact_id, revision, *content, at, event.position))
    for statement, rows in ((_CREATE, creations), (_REVISE, changes), (_ADD_REVISION, revisions)):
        if rows:
            await conn.executemany(statement, rows)


def _content(data: ArtefactCreated | ArtefactRevised, html: str) -> tuple[object, ...]:
    """The values of the `_CONTENT` columns."""
    return (data.title, data.summary, data.body, data.format, html, data.links, data.skills)


# -- reading --------------------------------------------------------------------------------


class RevisionView(msgspec.Struct, kw_only=True):
    """One revision of an artefact, as its author wrote it."""

    revision: int
    """The number of the revision (1: the first)."""
    title: str
    summary: str
    body: str
    """As the author wrote it, in `format`."""
    format: str
    """`markdown` or `plain`."""
    html: str
    """The body rendered to sanitised HTML."""
    links: list[str]
    skills: list[str]
    revised_at: datetime


class ArtefactView(RevisionView, kw_only=True):
    """An artefact with its current revision."""

    id: str
    author: MemberView
    community_id: str | None
    """The community it is attached to; null: only on the author's profile."""
    created_at: datetime


_ARTEFACT_COLUMNS = (
    f"{MEMBER_COLUMNS}, a.id::text, a.community_id::text, a.revision, a.title, a.summary,"
    " a.body, a.format, a.html, a.links, a.skills, a.created_at, a.revised_at, a.position"
)
_FROM_ARTEFACTS = "FROM artefacts a JOIN members m ON m.id = a.author_id"


def _served(viewer: str) -> str:
    """`a` may be read by `viewer`: its community is visible to them and its author active."""
    return f"{community_visible('a.community_id', viewer)} AND {author_active('a.author_id')}"


def _artefact(r: asyncpg.Record) -> ArtefactView:
    return ArtefactView(
        id=r[11],
        author=member_view(r),
        community_id=r[12],
        revision=r[13],
        title=r[14],
        summary=r[15],
        body=r[16],
        format=r[17],
        html=r[18],
        links=list(r[19]),
        skills=list(r[20]),
        created_at=r[21],
        revised_at=r[22],
    )


def _revision(r: asyncpg.Record) -> RevisionView:
    return RevisionView(
        revision=r[0],
        title=r[1],
        summary=r[2],
        body=r[3],
        format=r[4],
        html=r[5],
        links=list(r[6]),
        skills=list(r[7]),
        revised_at=r[8],
    )


async def get_artefact(
    conn: asyncpg.Connection, artefact_id: str, viewer: str | None
) -> ArtefactView | None:
    """The artefact with its current revision, if `viewer` may read it."""
    row = await conn.fetchrow(
        f"SELECT {_ARTEFACT_COLUMNS} {_FROM_ARTEFACTS}"
        f" WHERE a.id = $2::uuid AND {_served('$1::uuid')}",
        viewer,
        artefact_id,
    )
    return _artefact(row) if row else None


async def _readable(conn: asyncpg.Connection, artefact_id: str, viewer: str | None) -> bool:
    return bool(
        await conn.fetchval(
            f"SELECT 1 FROM artefacts a WHERE a.id = $2::uuid AND {_served('$1::uuid')}",
            viewer,
            artefact_id,
        )
    )


_REVISION_COLUMNS = (
    "r.revision, r.title, r.summary, r.body, r.format, r.html, r.links, r.skills, r.revised_at"
)


async def list_revisions(
    conn: asyncpg.Connection,
    artefact_id: str,
    viewer: str | None,
    cursor: str | None,
    limit: int,
) -> Page[RevisionView] | None:
    """Every revision of the artefact, newest first; None if `viewer` may not read it."""
    (before,) = after(cursor, int, first=(2**31 - 1,))
    if not await _readable(conn, artefact_id, viewer):
        return None
    rows = await conn.fetch(
        f"SELECT {_REVISION_COLUMNS} FROM artefact_revisions r"
        " WHERE r.artefact_id = $1::uuid AND r.revision < $2"
        " ORDER BY r.revision DESC LIMIT $3",
        artefact_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _revision, lambda r: (r[0],))


async def get_revision(
    conn: asyncpg.Connection, artefact_id: str, revision: int, viewer: str | None
) -> RevisionView | None:
    """Revision `revision` of the artefact, if it has one and `viewer` may read it."""
    row = await conn.fetchrow(
        f"SELECT {_REVISION_COLUMNS} FROM artefact_revisions r"
        " JOIN artefacts a ON a.id = r.artefact_id"
        f" WHERE r.artefact_id = $2::uuid AND r.revision = $3 AND {_served('$1::uuid')}",
        viewer,
        artefact_id,
        revision,
    )
    return _revision(row) if row else None


async def list_member_artefacts(
    conn: asyncpg.Connection,
    member_id: str,
    viewer: str | None,
    cursor: str | None,
    limit: int,
) -> Page[ArtefactView]:
    """The member's artefacts `viewer` may read, newest first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_ARTEFACT_COLUMNS} {_FROM_ARTEFACTS}"
        f" WHERE a.author_id = $2::uuid AND a.position < $3 AND {_served('$1::uuid')}"
        " ORDER BY a.position DESC LIMIT $4",
        viewer,
        member_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _artefact, lambda r: (r[23],))


async def list_community_artefacts(
    conn: asyncpg.Connection,
    community_id: str,
    viewer: str | None,
    cursor: str | None,
    limit: int,
) -> Page[ArtefactView]:
    """The artefacts attached to the community, newest first (none if `viewer` may not see
    the community)."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_ARTEFACT_COLUMNS} {_FROM_ARTEFACTS}"
        f" WHERE a.community_id = $2::uuid AND a.position < $3 AND {_served('$1::uuid')}"
        " ORDER BY a.position DESC LIMIT $4",
        viewer,
        community_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _artefact, lambda r: (r[23],))
