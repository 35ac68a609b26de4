"""The activities read model, behind the home and community feeds (server/projections/feeds.py):
one row per thing worth seeing, with who did it and where.

| kind | from | actor |
|---|---|---|
| `post` | a post or reply published (removed again when deleted or removed) | its author |
| `artefact` | an artefact published (removed again when deleted) | its author |
| `path_published` | a learning path published | who published it |
| `path_completed` | a learner completed a path | the learner |
| `endorsement` | a member's skill endorsed (removed again when withdrawn) | the endorser |
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted
from server.events.types.endorsements import EndorsementGiven, EndorsementWithdrawn
from server.events.types.paths import PathCompleted, PathCreated, PathPublished
from server.events.types.posts import PostDeleted, PostPublished, PostRemoved
from server.projections.runner import Projection, tags

_TYPES = (
    PostPublished,
    PostDeleted,
    PostRemoved,
    ArtefactCreated,
    ArtefactDeleted,
    PathCreated,
    PathPublished,
    PathCompleted,
    EndorsementGiven,
    EndorsementWithdrawn,
)

_COLUMNS = (
    "position, kind, at, actor_id, community_id, post_id, artefact_id, endorsement_id,"
    " target_id, skill"
)
_COLUMN_NAMES = [name.strip() for name in _COLUMNS.split(",")]
# A path's activities take its community from activity_paths.
_INSERT_ABOUT_PATH = (
    "INSERT INTO activities (position, kind, at, actor_id, path_id, community_id)"
    " SELECT $1, $2, $3, $4, $5, community_id FROM activity_paths WHERE path_id = $5"
)
_UNDONE_BY = {
    PostDeleted: "post_id",
    PostRemoved: "post_id",
    ArtefactDeleted: "artefact_id",
    EndorsementWithdrawn: "endorsement_id",
}
"""Events that take an activity back, with the column that names it (the event's entity)."""


class ActivitiesProjection(Projection):
    name = "activities"
    tables = ("activities", "activity_paths")
    event_types = tags(*_TYPES)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        new: list[tuple[object, ...]] = []
        for event in events:
            entity_id = event.stream_id.partition("-")[2]
            row = _activity(event, entity_id)
            if row is not None:
                new.append(row)
                continue
            # The rest reads or removes rows that may be among those not yet written.
            await _insert(conn, new)
            new = []
            await _apply_other(conn, event, entity_id)
        await _insert(conn, new)


async def _insert(conn: asyncpg.Connection, rows: list[tuple[object, ...]]) -> None:
    """New activities, in one COPY: as fast as a pipelined INSERT for two rows, a quarter
    faster for 200 (measured with their indexes on the seeded instance); rebuilding the
    activities alone went from 17.5 s to 11.0 s."""
    if rows:
        await conn.copy_records_to_table("activities", records=rows, columns=_COLUMN_NAMES)


def _activity(event: RecordedEvent, entity_id: str) -> tuple[object, ...] | None:
    """The activity row `event` adds on its own (all but those about paths), if any."""
    data = event.data
    head = (event.position,)
    match data:
        case PostPublished():
            row = ("post", data.author_id, data.community_id, entity_id, None, None, None, None)
        case ArtefactCreated():
            row = ("artefact", data.author_id, data.community_id, None, entity_id, None, None, None)
        case EndorsementGiven() if data.kind == "member":
            row = ("endorsement", data.endorser_id, None, None, None, entity_id, data.target_id)
            row = (*row, data.skill)
        case _:
            return None
    return (*head, row[0], event.recorded_at, *row[1:])


async def _apply_other(conn: asyncpg.Connection, event: RecordedEvent, entity_id: str) -> None:
    data = event.data
    match data:
        case PathCreated():
            await conn.execute(
                "INSERT INTO activity_paths (path_id, community_id) VALUES ($1, $2)",
                entity_id,
                data.community_id,
            )
        case PathPublished():
            await conn.execute(
                _INSERT_ABOUT_PATH,
                event.position,
                "path_published",
                event.recorded_at,
                data.by,
                entity_id,
            )
        case PathCompleted():
            await conn.execute(
                _INSERT_ABOUT_PATH,
                event.position,
                "path_completed",
                event.recorded_at,
                data.member_id,
                data.path_id,
            )
        case _ if (column := _UNDONE_BY.get(type(data))) is not None:
            await conn.execute(f"DELETE FROM activities WHERE {column} = $1", entity_id)
