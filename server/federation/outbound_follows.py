"""Remote follows, as federation answers them: a follow that stands → an `Accept` of the
`Follow`, from the followed actor (a member or a community) to the follower's own inbox."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.types.federation import RemoteFollowAccepted
from server.federation.jsonld import ACTIVITYSTREAMS
from server.federation.outgoing import Outgoing, Recipient
from server.federation.urls import Urls
from server.projections.runner import tags


class AcceptFollows:
    types = tags(RemoteFollowAccepted)
    read_models = ("remote_followers",)

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            row = await conn.fetchrow(
                "SELECT target_kind, target_id::text, follower, inbox FROM remote_followers"
                " WHERE follow_key = $1",
                event.stream_id.removeprefix("remotefollow-"),
            )
            if row is None:
                continue  # undone since
            kind, target_id, follower, inbox = row
            urls = self._urls
            actor = urls.member(target_id) if kind == "member" else urls.community(target_id)
            follow = event.data.follow_id  # type: ignore[attr-defined]
            activity = {
                "@context": ACTIVITYSTREAMS,
                "id": f"{actor.id}#accepts/{event.id}",
                "type": "Accept",
                "actor": actor.id,
                "object": {"id": follow, "type": "Follow", "actor": follower, "object": actor.id},
            }
            sent.append(Outgoing(activity, target_id, actor.main_key, [Recipient(inbox)]))
        return sent
