"""First pages of home feeds, kept in memory, dropped as soon as the log says they changed.

A home feed is read far more often than it changes, and reading one costs an index scan per
followed member and community (fan-out on read: docs/feeds.md). So each server process keeps the
first pages it served last — the JSON it sent — and follows the log to drop a page as soon as
an event may have changed it. What makes that safe:

1. **What a page depends on** (read in one snapshot with the page): its reader; its sources —
   the members the reader follows and the communities they belong to, whose new activities go on
   top; and every member, community, post, artefact and path it shows. With it, `position`:
   how far the read models it was read from show the log, so the page shows every event up to
   there.
2. **What an event touches**: the ids it names — its stream's entity and each id field
   (`author_id`, `member_id`, `in_reply_to`, …). A like names its post, a follow its follower
   (the stream) and followee, a join its member and community. An event that can change what a
   reader may see without naming anything the page depends on — a suspension or its end,
   progress made visible or hidden, a community opened or closed — drops every page
   (`DROP_ALL`). Events that cannot change a feed (sign-ins, passwords, OAuth) are not read
   (`IGNORED`).
3. **No page from the past**: an event after a page's `position` drops it. A page read while
   the process had already followed the log past its `position` is kept only if none of the
   events in between touches it (a short history of what events touched is kept for that). A
   request that asks for a later position (`Learnwork-Min-Position`) than a page's gets a fresh
   one.

If following the log fails, the cache empties and stops keeping pages: it never serves from a
log it no longer follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, get_args, get_origin, get_type_hints

import msgspec

from server.events import RecordedEvent
from server.events.registry import Event
from server.events.store import EventStore
from server.events.types import auth
from server.events.types.communities import CommunityUpdated, SlugClaimed
from server.events.types.fields import Id
from server.events.types.members import (
    HandleClaimed,
    MemberSuspended,
    MemberUnsuspended,
    PasswordSet,
    ProfileUpdated,
)
from server.projections import feeds
from server.projections.runner import READ_INTERVAL, Projection, tags

log = logging.getLogger(__name__)

IGNORED = tags(*auth.TYPES, PasswordSet, HandleClaimed, SlugClaimed)
"""Events no feed shows or depends on: not even read."""

DROP_ALL = tags(MemberSuspended, MemberUnsuspended, ProfileUpdated, CommunityUpdated)
"""Events that can hide or reveal items of pages that do not depend on anything they name:
a suspended author's items leave feeds, a member's completions show once they share progress,
a community's items show to non-members once it is public. Rare enough to drop every page."""

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
    }
)
"""The read models a home feed is read from (server/projections/feeds.py)."""

HISTORY = 10_000
"""How many of the latest events' touched ids are kept for checking a page just read."""

# How far the read models $1 (with the event types each reads, $2) show the log: each is as far
# as its checkpoint (0 without one), or as the head of the log when none of its types came after
# that (a read model with nothing to write records its position only now and then).
_POSITION = """
SELECT min(CASE WHEN EXISTS (
                SELECT 1 FROM events e
                 WHERE e.position > coalesce(c.position, 0) AND e.position <= h.p
                   AND e.type IN (SELECT jsonb_array_elements_text($2::jsonb -> w.name)))
           THEN coalesce(c.position, 0) ELSE h.p END)
  FROM unnest($1::text[]) AS w(name)
  LEFT JOIN projection_checkpoints c USING (name)
 CROSS JOIN (SELECT coalesce(max(position), 0) AS p FROM events) h
"""
_SOURCES = """
SELECT followee::text FROM member_follows WHERE follower = $1::uuid
 UNION ALL SELECT community_id::text FROM community_members WHERE member_id = $1::uuid
"""


@dataclass(slots=True)
class _Page:
    body: bytes
    position: int
    depends_on: frozenset[str]


class HomeFeedCache:
    def __init__(self, store: EventStore, projections: Iterable[Projection], capacity: int) -> None:
        self._store = store
        read_from = [p for p in projections if FEED_TABLES & set(p.tables)]
        if any(p.event_types is None for p in read_from):
            raise ValueError("a read model behind feeds must name the event types it reads")
        self._read_from = [p.name for p in read_from]
        self._types_read = msgspec.json.encode(
            {p.name: sorted(p.event_types or ()) for p in read_from}
        )
        self._capacity = capacity
        self._pages: OrderedDict[tuple[str, int], _Page] = OrderedDict()
        self._dependents: dict[str, set[tuple[str, int]]] = {}
        self._touched: deque[tuple[int, frozenset[str] | None]] = deque(maxlen=HISTORY)
        self._followed = 0  # how far this process has followed the log
        self._history_from = 0  # `_touched` holds every event after this position
        self._task: asyncio.Task[None] | None = None
        self.hits = 0
        self.misses = 0

    async def start(self) -> None:
        if self._capacity:
            head = await self._store.last_position()
            self._followed = self._history_from = head
            self._task = asyncio.create_task(self._follow(head), name="learnwork-home-cache")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def position(self) -> int:
        """How far this process has followed the log: every event up to here has dropped the
        pages it touches."""
        return self._followed

    async def first_page(self, member_id: str, limit: int, at_least: int = 0) -> bytes:
        """The first page of `member_id`'s home feed as JSON, showing every event up to
        `at_least` (the read models must have reached it already)."""
        key = (member_id, limit)
        page = self._pages.get(key)
        if page is not None and page.position >= at_least:
            self._pages.move_to_end(key)
            self.hits += 1
            return page.body
        self.misses += 1
        page = await self._read(member_id, limit)
        if self._capacity and self._still_true(page):
            self._keep(key, page)
        return page.body

    async def _read(self, member_id: str, limit: int) -> _Page:
        async with self._store.pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                position = await conn.fetchval(_POSITION, self._read_from, self._types_read)
                sources = await conn.fetch(_SOURCES, member_id)
                feed = await feeds.home_feed(conn, member_id, None, limit)
        shown = {member_id, *(r[0] for r in sources)}
        for item in feed.items:
            shown.add(item.actor.id)
            for entity in (item.community, item.post, item.artefact, item.path):
                if entity is not None:
                    shown.add(entity.id)
            if item.endorsement is not None:
                shown.add(item.endorsement.member_id)
        return _Page(msgspec.json.encode(feed), position, frozenset(shown))

    def _still_true(self, page: _Page) -> bool:
        """Whether no event already followed past `page.position` touches the page."""
        if page.position >= self._followed:
            return True  # what comes after it will drop it as it arrives
        if page.position < self._history_from:
            return False  # the history does not reach back that far
        for position, touched in reversed(self._touched):
            if position <= page.position:
                break
            if touched is None or not touched.isdisjoint(page.depends_on):
                return False
        return True

    def _keep(self, key: tuple[str, int], page: _Page) -> None:
        self._drop(key)
        self._pages[key] = page
        for id_ in page.depends_on:
            self._dependents.setdefault(id_, set()).add(key)
        while len(self._pages) > self._capacity:
            self._drop(next(iter(self._pages)))  # the least recently read

    def _drop(self, key: tuple[str, int]) -> None:
        page = self._pages.pop(key, None)
        if page is None:
            return
        for id_ in page.depends_on:
            keys = self._dependents.get(id_)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._dependents[id_]

    def _drop_all(self) -> None:
        self._pages.clear()
        self._dependents.clear()

    async def _follow(self, after: int) -> None:
        types = set(self._store.registry.types) - IGNORED
        try:
            subscription = self._store.subscribe(
                after, types=types, poll_interval=1.0, min_interval=READ_INTERVAL
            )
            async with contextlib.aclosing(subscription) as pages:
                async for page in pages:
                    for event in page.events:
                        self._note(event.position, touches(event))
                    self._followed = page.position
        except Exception:
            log.exception("home feed cache: following the log failed; the cache is now off")
            self._capacity = 0
            self._drop_all()

    def _note(self, position: int, touched: frozenset[str] | None) -> None:
        if len(self._touched) == self._touched.maxlen:
            self._history_from = self._touched[0][0]
        self._touched.append((position, touched))
        if touched is None:
            self._drop_all()
            return
        for id_ in touched:
            for key in list(self._dependents.get(id_, ())):
                if self._pages[key].position < position:
                    self._drop(key)


def touches(event: RecordedEvent) -> frozenset[str] | None:
    """The ids `event` names (its stream's entity and its id fields); None: it may touch any
    page (`DROP_ALL`)."""
    if event.type in DROP_ALL:
        return None
    data = event.data
    ids = {event.stream_id.partition("-")[2]}
    for name in _id_fields(type(data)):
        if (value := getattr(data, name)) is not None:
            ids.add(value)
    return frozenset(ids)


_ID_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def _id_fields(cls: type[Event]) -> tuple[str, ...]:
    """The fields of `cls` that hold an `Id` (or an optional one)."""
    names = _ID_FIELDS.get(cls)
    if names is None:
        hints = get_type_hints(cls, include_extras=True)
        names = _ID_FIELDS[cls] = tuple(n for n in cls.__struct_fields__ if _is_id(hints[n]))
    return names


def _is_id(hint: object) -> bool:
    if hint == Id:
        return True
    return get_origin(hint) is not Annotated and any(arg == Id for arg in get_args(hint))
