"""Our posts, as federation sends them: a post anyone may read published → the author's
`Create` of its `Note`; edited → an `Update` of the `Note`; deleted by its author or removed by
a moderator → a `Delete` of its `Tombstone` (server/federation/outbound.py says to whom, and
what the community announces).

The posts read model keeps a deleted or removed post as a tombstone with its author and
community, and its anonymous query answers only for a post anyone may read: so a post of a
members-only community never goes out, nor does its edit or its deletion.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.types.posts import PostDeleted, PostEdited, PostPublished, PostRemoved
from server.federation import objects
from server.federation.outbound import Place, created, deleted, updated
from server.federation.outgoing import Outgoing, Recipient
from server.federation.urls import Urls
from server.projections.posts import get_post
from server.projections.remote_actors import inboxes
from server.projections.runner import tags


class PostActivities:
    types = tags(PostPublished, PostEdited, PostDeleted, PostRemoved)
    read_models = (
        "posts",
        "communities",
        "members",
        "remote_followers",
        "remote_objects",
        "remote_actors",
    )

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            post = await get_post(conn, event.stream_id.removeprefix("post-"), None)
            if post is None:
                continue  # not for everyone to read: a members-only community, a suspended author
            place = Place(post.author.id, post.community_id)
            also = await _replied_to(conn, post.in_reply_to_remote, post.group_remote)
            if isinstance(event.data, PostDeleted | PostRemoved):
                object_id = self._urls.post(post.id)
                sent += await deleted(conn, self._urls, event, place, object_id, "Note", also)
            elif post.status == "published":  # else deleted since: its Delete goes instead
                make = created if isinstance(event.data, PostPublished) else updated
                note = objects.note(self._urls, post)
                sent += await make(conn, self._urls, event, place, note, also)
        return sent


async def _replied_to(
    conn: asyncpg.Connection, object_id: str | None, group: str | None
) -> list[Recipient]:
    """For a reply to a remote object: its author, and the group it is in; for a post in a
    group elsewhere, the group — which passes it on to its followers (FEP-1b12)."""
    actors = [group] if group is not None else []
    if object_id is not None:
        row = await conn.fetchrow(
            "SELECT author, audience FROM remote_objects WHERE object_id = $1", object_id
        )
        actors += [actor_id for actor_id in row or () if actor_id]
    found = []
    for actor_id in dict.fromkeys(actors):
        known = await inboxes(conn, actor_id)
        if known is not None:
            found.append(Recipient(known.inbox, known.shared_inbox))
    return found
