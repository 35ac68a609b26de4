"""First pages of home feeds, kept in memory (`PageCache`), dropped as soon as the log says they
changed.

A home feed is read far more often than it changes, and reading one costs an index scan per
followed member and community (fan-out on read: docs/feeds.md). A page depends on its reader;
its sources — the members the reader follows and the communities they belong to, whose new
activities go on top; and every member, community, post, artefact and path it shows.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from server.domain import remote_actors, remote_objects
from server.events import RecordedEvent
from server.events.store import EventStore
from server.events.types.remote import RemoteObjectReceived, RemoteObjectShared
from server.projections import feeds
from server.projections.page_cache import PageCache, named_ids, touches
from server.projections.runner import Projection

FEED_TABLES = frozenset(
    {
        "activities",
        "activity_paths",
        "members",
        "member_follows",
        "communities",
        "community_members",
        "posts",
        "artefacts",
        "paths",
        "remote_following",
        "remote_objects",
        "remote_object_sharers",
        "remote_actors",
    }
)
"""The read models a home feed is read from (server/projections/feeds.py)."""

_SOURCES = """
SELECT followee::text FROM member_follows WHERE follower = $1::uuid
 UNION ALL SELECT community_id::text FROM community_members WHERE member_id = $1::uuid
"""
_REMOTE_SOURCES = """
SELECT actor_id FROM remote_following WHERE member_id = $1::uuid AND status = 'accepted'
"""


class HomeFeedCache(PageCache):
    def __init__(self, store: EventStore, projections: Iterable[Projection], capacity: int) -> None:
        super().__init__(store, projections, FEED_TABLES, capacity, "home-feed-cache")

    def touches(self, event: RecordedEvent) -> frozenset[str] | None:
        """As for any page, and a remote object arriving or shared touches the pages of those
        who follow its author, its group or its sharer (they depend on the actor's key)."""
        match event.data:
            case RemoteObjectReceived() as data:
                actors = [data.author, *([data.audience] if data.audience else [])]
            case RemoteObjectShared() as data:
                actors = [data.by]
            case _:
                return touches(event)
        return named_ids(event) | {remote_actors.key(actor) for actor in actors}

    async def first_page(self, member_id: str, limit: int, at_least: int = 0) -> bytes:
        """The first page of `member_id`'s home feed as JSON, showing every event up to
        `at_least` (the read models must have reached it already)."""
        key = (member_id, limit)
        body = self.get(key, at_least)
        if body is not None:
            return body
        async with self._store.pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                position = await self.read_position(conn)
                sources = await conn.fetch(_SOURCES, member_id)
                remote_sources = await conn.fetch(_REMOTE_SOURCES, member_id)
                feed = await feeds.home_feed(conn, member_id, None, limit)
        shown = {member_id, *(r[0] for r in sources)}
        shown.update(remote_actors.key(r[0]) for r in remote_sources)
        for item in feed.items:
            if item.actor is not None:
                shown.add(item.actor.id)
            if item.remote is not None:
                shown.add(remote_objects.key(item.remote.object_id))
                if item.remote.author is not None:
                    shown.add(remote_actors.key(item.remote.author.actor_id))
            for entity in (item.community, item.post, item.artefact, item.path):
                if entity is not None:
                    shown.add(entity.id)
            if item.endorsement is not None:
                shown.add(item.endorsement.member_id)
        body = msgspec.json.encode(feed)
        self.keep(key, body, position, frozenset(shown))
        return body
