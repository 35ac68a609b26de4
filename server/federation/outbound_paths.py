"""Our learning paths, as federation sends them: a path published in a community anyone may
read → its creator's `Create` of its `Article`; changed once published — its description, its
steps, or archived (it stays readable) → an `Update` of the `Article` as it now reads
(server/federation/outbound.py says to whom, and what the community announces). Paths are
archived, never deleted, so no `Delete` goes out.

Drafts never go out: the paths read model's anonymous query does not answer for a draft, and
a change made before the path was published is not sent even when the path is published by
the time it is translated (its `Create` carries it). A path changed several times in one page
of the log makes one `Update`, its last change's.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.types.paths import (
    PathArchived,
    PathPublished,
    PathStepAdded,
    PathStepRemoved,
    PathStepsReordered,
    PathStepUpdated,
    PathUpdated,
)
from server.federation import objects
from server.federation.outbound import Place, created, updated
from server.federation.outgoing import Outgoing
from server.federation.urls import Urls
from server.projections.paths import get_path
from server.projections.runner import tags

CHANGES = tags(
    PathUpdated, PathStepAdded, PathStepUpdated, PathStepRemoved, PathStepsReordered, PathArchived
)


class PathActivities:
    types = tags(PathPublished) | CHANGES
    read_models = ("paths", "communities", "members", "remote_followers")

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        last_change = {e.stream_id: e for e in events if e.type in CHANGES}
        sent = []
        for event in events:
            change = event.type in CHANGES
            if change and last_change[event.stream_id] is not event:
                continue
            learning = await get_path(conn, event.stream_id.removeprefix("path-"), None)
            if learning is None or learning.published_at is None:
                continue  # a draft (perhaps archived), members-only, or its creator suspended
            if change and event.recorded_at <= learning.published_at:
                continue  # made to the draft
            place = Place(learning.creator.id, learning.community_id)
            make = updated if change else created
            sent += await make(conn, self._urls, event, place, objects.path(self._urls, learning))
        return sent
