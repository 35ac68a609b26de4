"""Our artefacts, as federation sends them: an artefact anyone may read created → its author's
`Create` of its `Article`; revised → an `Update` of the `Article` at its new revision;
deleted → a `Delete` of its `Tombstone` (server/federation/outbound.py says to whom, and what
the community announces).

The artefacts read model forgets a deleted artefact, so where it was — its author and
community — is read from its first event in the log, and it goes out only if what is there may
be read by anyone now: an artefact of a members-only community never goes out, nor does its
deletion.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.store import EventStore
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted, ArtefactRevised
from server.federation import objects
from server.federation.outbound import Place, created, deleted, public, updated
from server.federation.outgoing import Outgoing
from server.federation.urls import Urls
from server.projections.artefacts import get_artefact
from server.projections.runner import tags


class ArtefactActivities:
    types = tags(ArtefactCreated, ArtefactRevised, ArtefactDeleted)
    read_models = ("artefacts", "communities", "members", "remote_followers")

    def __init__(self, urls: Urls, store: EventStore) -> None:
        self._urls = urls
        self._store = store

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            artefact_id = event.stream_id.removeprefix("artefact-")
            if isinstance(event.data, ArtefactDeleted):
                place = await self._place(event.stream_id)
                if place is not None and await public(conn, place):
                    sent += await deleted(
                        conn, self._urls, event, place, self._urls.artefact(artefact_id), "Article"
                    )
                continue
            made = await get_artefact(conn, artefact_id, None)
            if made is None:
                continue  # not for everyone to read, or deleted since: its Delete goes instead
            place = Place(made.author.id, made.community_id)
            make = created if isinstance(event.data, ArtefactCreated) else updated
            sent += await make(conn, self._urls, event, place, objects.artefact(self._urls, made))
        return sent

    async def _place(self, stream_id: str) -> Place | None:
        first = await self._store.read_stream(stream_id, limit=1)
        if not first or not isinstance(creation := first[0].data, ArtefactCreated):
            return None
        return Place(creation.author_id, creation.community_id)
