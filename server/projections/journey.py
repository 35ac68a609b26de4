"""The journey read model: how a member got where they are, as milestones in time order,
derived from the log alone.

| kind | when |
|---|---|
| `joined_learnwork` | the member registered |
| `founded_community` | they created a community (its first owner) |
| `joined_community` | they joined one (open, approved or invited) |
| `completed_path` | they completed a learning path (docs/paths.md: once per path) |
| `published_artefact` | they published an artefact (removed again if it is deleted) |
| `endorsed_for_skill` | another member endorsed one of their skills (removed if withdrawn) |

Each milestone is served only where its subject is: a community, path or artefact the reader
may read (members-only communities stay hidden from outsiders), an endorser who is not
suspended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted
from server.events.types.communities import CommunityCreated, MemberJoined
from server.events.types.endorsements import EndorsementGiven, EndorsementWithdrawn
from server.events.types.members import MemberRegistered
from server.events.types.paths import PathCompleted
from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.paths import path_readable
from server.projections.runner import Projection, tags
from server.projections.visibility import author_active, community_visible, progress_shared

_TYPES = (
    MemberRegistered,
    CommunityCreated,
    MemberJoined,
    PathCompleted,
    ArtefactCreated,
    ArtefactDeleted,
    EndorsementGiven,
    EndorsementWithdrawn,
)


class JourneyProjection(Projection):
    name = "journey"
    tables = ("journey_milestones",)
    event_types = tags(*_TYPES)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        milestones: list[tuple[object, ...]] = []
        for event in events:
            entity_id = event.stream_id.partition("-")[2]
            undone = _UNDONE_BY.get(type(event.data))
            if undone is not None:
                # It undoes a milestone that may be among those not yet written: write them.
                await _insert(conn, milestones)
                milestones = []
                await conn.execute(f"DELETE FROM journey_milestones WHERE {undone} = $1", entity_id)
            elif (milestone := _milestone(event, entity_id)) is not None:
                milestones.append(milestone)
        await _insert(conn, milestones)


_UNDONE_BY = {ArtefactDeleted: "artefact_id", EndorsementWithdrawn: "endorsement_id"}
"""Events that take a milestone back, with the column that names it (the event's entity)."""

_COLUMNS = (
    "community_id",
    "path_id",
    "artefact_id",
    "endorsement_id",
    "endorser_id",
    "skill",
)


def _milestone(event: RecordedEvent, entity_id: str) -> tuple[object, ...] | None:
    """The row of the milestone `event` is (`entity_id`: its stream's entity), if any."""
    data = event.data
    refs: dict[str, str]
    match data:
        case MemberRegistered():
            member, kind, refs = entity_id, "joined_learnwork", {}
        case CommunityCreated():
            member, kind, refs = data.by, "founded_community", {"community_id": entity_id}
        case MemberJoined():
            member, kind, refs = data.member_id, "joined_community", {"community_id": entity_id}
        case PathCompleted():
            member, kind, refs = data.member_id, "completed_path", {"path_id": data.path_id}
        case ArtefactCreated():
            member, kind, refs = data.author_id, "published_artefact", {"artefact_id": entity_id}
        case EndorsementGiven() if data.kind == "member":
            member, kind = data.target_id, "endorsed_for_skill"
            refs = {
                "endorsement_id": entity_id,
                "endorser_id": data.endorser_id,
                "skill": data.skill,
            }
        case _:
            return None
    return (
        member,
        event.position,
        kind,
        event.recorded_at,
        *(refs.get(column) for column in _COLUMNS),
    )


async def _insert(conn: asyncpg.Connection, milestones: list[tuple[object, ...]]) -> None:
    if milestones:
        await conn.executemany(
            "INSERT INTO journey_milestones (member_id, position, kind, occurred_at,"
            f" {', '.join(_COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            milestones,
        )


# -- reading --------------------------------------------------------------------------------


class SubjectView(msgspec.Struct, kw_only=True):
    """What a milestone is about: a community (with its `slug`), a path or an artefact."""

    id: str
    title: str
    """The community's name, or the path's or artefact's title, as it is now."""
    slug: str | None = None


class MilestoneView(msgspec.Struct, kw_only=True):
    kind: str
    """`joined_learnwork`, `founded_community`, `joined_community`, `completed_path`,
    `published_artefact` or `endorsed_for_skill`."""
    at: datetime
    position: int
    """The event's position in the log."""
    community: SubjectView | None = None
    path: SubjectView | None = None
    artefact: SubjectView | None = None
    skill: str | None = None
    """The skill an `endorsed_for_skill` milestone is about."""
    endorser: MemberView | None = None


_READ = f"""
SELECT j.kind, j.occurred_at, j.position,
       c.id::text, c.name, c.slug, p.id::text, p.title, a.id::text, a.title, j.skill,
       {MEMBER_COLUMNS}
  FROM journey_milestones j
  LEFT JOIN communities c ON c.id = j.community_id
  LEFT JOIN paths p ON p.id = j.path_id
  LEFT JOIN artefacts a ON a.id = j.artefact_id
  LEFT JOIN members m ON m.id = j.endorser_id
 WHERE j.member_id = $2::uuid AND {{after}}
   AND CASE j.kind
       WHEN 'joined_learnwork' THEN true
       WHEN 'completed_path' THEN p.id IS NOT NULL AND {path_readable("$1::uuid")}
            AND {progress_shared("j.member_id", "$1::uuid")}
       WHEN 'published_artefact' THEN a.id IS NOT NULL
            AND {community_visible("a.community_id", "$1::uuid")}
       WHEN 'endorsed_for_skill' THEN {author_active("j.endorser_id")}
       ELSE c.id IS NOT NULL AND {community_visible("c.id", "$1::uuid")}
       END
 ORDER BY j.position {{direction}} LIMIT $4
"""
_OLDEST_FIRST = _READ.format(after="j.position > $3", direction="ASC")
_NEWEST_FIRST = _READ.format(after="j.position < $3", direction="DESC")


def _view(r: asyncpg.Record) -> MilestoneView:
    return MilestoneView(
        kind=r[0],
        at=r[1],
        position=r[2],
        community=SubjectView(id=r[3], title=r[4], slug=r[5]) if r[3] else None,
        path=SubjectView(id=r[6], title=r[7]) if r[6] else None,
        artefact=SubjectView(id=r[8], title=r[9]) if r[8] else None,
        skill=r[10],
        endorser=member_view(r[11:]) if r[11] else None,
    )


async def list_journey(
    conn: asyncpg.Connection,
    member_id: str,
    viewer: str | None,
    newest_first: bool,
    cursor: str | None,
    limit: int,
) -> Page[MilestoneView]:
    """The member's milestones `viewer` may see, oldest first (or newest first)."""
    (start,) = after(cursor, int, first=NEWEST if newest_first else (0,))
    rows = await conn.fetch(
        _NEWEST_FIRST if newest_first else _OLDEST_FIRST, viewer, member_id, start, limit + 1
    )
    return page(rows, limit, _view, lambda r: (r[2],))
