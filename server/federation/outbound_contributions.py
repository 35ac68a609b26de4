"""What remote members write in our communities, passed on (FEP-1b12): a post or reply by an
author who follows one of our public communities, written in it, is announced by the community
to its remote followers — so its followers everywhere, Mastodon's included, see it as they see
our members' posts. The `Announce` names the object by its id: it is the author's server's to
serve."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.types.remote import RemoteObjectReceived
from server.federation import objects
from server.federation.outbound import followers
from server.federation.outgoing import Outgoing
from server.federation.urls import Urls
from server.projections.runner import tags


class AnnounceContributions:
    types = tags(RemoteObjectReceived)
    read_models = ("remote_followers",)

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            data: RemoteObjectReceived = event.data  # type: ignore[assignment]
            if data.community_id is None:
                continue
            recipients = await followers(conn, data.community_id)
            if not recipients:
                continue
            community = self._urls.community(data.community_id)
            announce = {
                "@context": objects.CONTEXT,
                "id": f"{community.id}#announces/{event.id}",
                "type": "Announce",
                "actor": community.id,
                "published": objects.timestamp(event.recorded_at),
                "to": [objects.PUBLIC],
                "cc": [community.followers],
                "audience": community.id,
                "object": data.object_id,
            }
            sent.append(Outgoing(announce, data.community_id, community.main_key, recipients))
        return sent
