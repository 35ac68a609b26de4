"""Answers kept in memory, each dropped as soon as the log says it may have changed.

Some reads are asked far more often than what they show changes: a home feed, a profile. A
`PageCache` keeps such answers (pages) in one server process, and follows the log to drop a
page as soon as an event may have changed it. What makes that safe:

1. **What a page depends on** (read in one snapshot with the page): the ids of everything it
   was made from — members, communities, posts, artefacts, paths. With it, `position`: how far
   the read models it was read from show the log (`read_position`), so the page shows every
   event up to there.
2. **What an event touches**: the ids it names — its stream's entity and each id field
   (`author_id`, `member_id`, `in_reply_to`, …). A like names its post, a follow its follower
   (the stream) and followee, a join its member and community. An event that can change what a
   reader may see without naming anything a page depends on — a suspension or its end,
   progress made visible or hidden, a community opened or closed — drops every page
   (`DROP_ALL`). Events that cannot change a page (sign-ins, passwords, OAuth) are not read
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
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.registry import Event
from server.events.store import EventStore
from server.events.types import PRIVATE_TYPES
from server.events.types.communities import CommunityUpdated, SlugClaimed
from server.events.types.fields import Id
from server.events.types.members import (
    HandleClaimed,
    MemberSuspended,
    MemberUnsuspended,
    ProfileUpdated,
)
from server.projections.runner import READ_INTERVAL, Projection, tags

log = logging.getLogger(__name__)

IGNORED = PRIVATE_TYPES | tags(HandleClaimed, SlugClaimed)
"""Events no cached page shows or depends on: not even read."""

DROP_ALL = tags(MemberSuspended, MemberUnsuspended, ProfileUpdated, CommunityUpdated)
"""Events that can hide or reveal parts of pages that do not depend on anything they name:
a suspended member's content leaves every page, a member's progress shows once they share it,
a community's content shows to non-members once it is public. Rare enough to drop every page."""

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


@dataclass(slots=True)
class _Page:
    value: Any
    position: int
    depends_on: frozenset[str]


class PageCache:
    def __init__(
        self,
        store: EventStore,
        projections: Iterable[Projection],
        tables: Iterable[str],
        capacity: int,
        name: str,
    ) -> None:
        """A cache of at most `capacity` pages read from `tables` (0: off), kept by the
        read models among `projections` that own them."""
        self._store = store
        read_from = [p for p in projections if set(tables) & set(p.tables)]
        if any(p.event_types is None for p in read_from):
            raise ValueError("a read model behind cached pages must name the event types it reads")
        self._read_from = [p.name for p in read_from]
        self._types_read = msgspec.json.encode(
            {p.name: sorted(p.event_types or ()) for p in read_from}
        )
        self._capacity = capacity
        self._name = name
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()
        self._dependents: dict[str, set[Hashable]] = {}
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
            self._task = asyncio.create_task(self._follow(head), name=f"learnwork-{self._name}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def enabled(self) -> bool:
        """Pages are kept (capacity above 0, and following the log has not failed)."""
        return self._capacity > 0

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def position(self) -> int:
        """How far this process has followed the log: every event up to here has dropped the
        pages it touches."""
        return self._followed

    def get(self, key: Hashable, at_least: int = 0) -> Any | None:
        """The page kept under `key` if it shows every event up to `at_least`; else None."""
        page = self._pages.get(key)
        if page is None or page.position < at_least:
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return page.value

    async def read_position(self, conn: asyncpg.Connection) -> int:
        """How far the read models show the log, in `conn`'s snapshot: read it in the same
        repeatable-read transaction as the page."""
        return await conn.fetchval(_POSITION, self._read_from, self._types_read)

    def keep(self, key: Hashable, value: Any, position: int, depends_on: frozenset[str]) -> None:
        """Keep `value` under `key` — unless an event already followed past `position` touches
        `depends_on`."""
        if self._capacity and self._still_true(position, depends_on):
            self._drop(key)
            self._pages[key] = _Page(value, position, depends_on)
            for id_ in depends_on:
                self._dependents.setdefault(id_, set()).add(key)
            while len(self._pages) > self._capacity:
                self._drop(next(iter(self._pages)))  # the least recently read

    def _still_true(self, position: int, depends_on: frozenset[str]) -> bool:
        if position >= self._followed:
            return True  # what comes after it will drop it as it arrives
        if position < self._history_from:
            return False  # the history does not reach back that far
        for at, touched in reversed(self._touched):
            if at <= position:
                break
            if touched is None or not touched.isdisjoint(depends_on):
                return False
        return True

    def _drop(self, key: Hashable) -> None:
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
                        self._note(event.position, self.touches(event))
                    self._followed = page.position
        except Exception:
            log.exception("%s: following the log failed; the cache is now off", self._name)
            self._capacity = 0
            self._drop_all()

    def touches(self, event: RecordedEvent) -> frozenset[str] | None:
        """The ids whose pages `event` may change; None: any page."""
        return touches(event)

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
    return named_ids(event)


def named_ids(event: RecordedEvent) -> frozenset[str]:
    """The ids `event` names: its stream's entity and its id fields (`author_id`, …)."""
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
