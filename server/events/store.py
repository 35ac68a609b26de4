"""The PostgreSQL event store: append with optimistic concurrency, read a stream, read the whole
log in commit-safe order, subscribe.

Commit-safe order: positions are allocated under a transaction-scoped lock that the `events`
table's INSERT trigger takes (migration 0001), so a position becomes visible only after every
lower one has. `read_all(after=p)` therefore never passes an event that commits later with a
lower position, and a checkpoint is a single integer. The gap test in tests/events proves it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Final

import asyncpg

from server.db import create_pool
from server.events.envelope import (
    ANY,
    NO_METADATA,
    NO_STREAM,
    AppendResult,
    ExpectedVersion,
    Metadata,
    NewEvent,
    Page,
    RecordedEvent,
    StreamAppend,
)
from server.events.errors import EventTooLarge, InvalidAppend, InvalidStreamId
from server.events.group_commit import GroupCommitter, Part, Row
from server.events.registry import Event, EventRegistry
from server.events.subscription import Notifier, subscribe
from server.events.tail import LogTail

MAX_STREAM_ID_LENGTH: Final = 200
MAX_EVENTS_PER_APPEND: Final = 1000

_COLUMNS = (
    "position, event_id, stream_id, stream_version, type, schema_version, data, "
    "actor, causation_id, correlation_id, recorded_at"
)
_READ_ALL = f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
# The events of some types ($3) among positions $1 < p <= $1 + $2, and (the row with no event id)
# how far that read reached: $1 + $2 when the log goes on beyond (positions become visible in
# order, so none can still appear below), else the last position it has. One statement, one
# snapshot: rows of other types are neither sent nor decoded.
_READ_TYPES = f"""
(SELECT {_COLUMNS} FROM events
  WHERE position > $1 AND position <= $1 + $2 AND type = ANY($3::text[]) ORDER BY position)
UNION ALL
SELECT CASE WHEN EXISTS (SELECT 1 FROM events WHERE position > $1 + $2) THEN $1 + $2
            ELSE coalesce((SELECT max(position) FROM events
                            WHERE position > $1 AND position <= $1 + $2), $1) END,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
"""
_READ_FORWARD = (
    f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 "
    "ORDER BY stream_version LIMIT $3"
)
_READ_BACKWARD = (
    f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version <= $2 "
    "ORDER BY stream_version DESC LIMIT $3"
)


class EventStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        registry: EventRegistry,
        *,
        url: str,
        writers: int = 2,
        max_batch: int = 1000,
        max_wait: float = 0.0,
        max_event_bytes: int = 256 * 1024,
    ) -> None:
        self.pool = pool
        self.registry = registry
        self.max_event_bytes = max_event_bytes
        self.committer = GroupCommitter(
            url, writers=writers, max_batch=max_batch, max_wait=max_wait
        )
        self.notifier = Notifier(url)
        self._tail = LogTail(
            self._fetch_after, self.read_page, self._recorded, self.notifier.wake_all
        )
        self._owns_pool = False

    @classmethod
    async def open(
        cls, url: str, registry: EventRegistry, *, pool_size: int = 10, **options: object
    ) -> EventStore:
        """A running store with its own pool, writer connections and LISTEN connection."""
        pool = await create_pool(url, size=pool_size)
        store = cls(pool, registry, url=url, **options)  # type: ignore[arg-type]
        store._owns_pool = True
        await store.start()
        return store

    async def start(self) -> None:
        self.committer.start()
        await self.notifier.start()

    async def close(self) -> None:
        await self.committer.close()
        await self.notifier.close()
        if self._owns_pool:
            await self.pool.close()

    # -- writing ---------------------------------------------------------------------------

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent | Event],
        expected_version: ExpectedVersion = ANY,
    ) -> AppendResult:
        """Append `events` to `stream_id` atomically, if the stream is at `expected_version`.

        Raises InvalidAppend (bad input; nothing queued), WrongExpectedVersion (the stream moved
        on; nothing written) or IdempotencyConflict. Events whose ids are all stored already
        return their original positions and write nothing.
        """
        part = self.prepare(stream_id, events, expected_version)
        _check_unique_ids([part], "events")
        [result] = await self.committer.append([part])
        return result

    async def append_all(self, appends: Sequence[StreamAppend]) -> list[AppendResult]:
        """Append to several streams in one transaction: all of it is written, or none.

        This is how an invariant that spans aggregates is kept without a read model: e.g.
        registering a member also appends to `handle-<handle>` expecting NO_STREAM, so a taken
        handle fails the whole registration. One result per StreamAppend, in order. Raises as
        `append` does; a WrongExpectedVersion names the stream that did not match.
        """
        if not appends:
            raise InvalidAppend("appends", "at least one stream append is needed")
        parts = [
            self.prepare(a.stream_id, a.events, a.expected_version, f"appends[{i}].")
            for i, a in enumerate(appends)
        ]
        if sum(len(part.rows) for part in parts) > MAX_EVENTS_PER_APPEND:
            raise InvalidAppend("appends", f"at most {MAX_EVENTS_PER_APPEND} events per append")
        _check_unique_ids(parts, "appends")
        return await self.committer.append(parts)

    def prepare(
        self,
        stream_id: str,
        events: Sequence[NewEvent | Event],
        expected_version: ExpectedVersion,
        prefix: str = "",
    ) -> Part:
        """One stream's append checked and encoded, as `append` and `append_all` do before
        queueing it (bulk writers use it too); raises as they do. `prefix` goes before the
        fields an error names."""
        _check_stream_id(stream_id, f"{prefix}stream_id")
        _check_expected(expected_version, f"{prefix}expected_version")
        if not events:
            raise InvalidAppend(f"{prefix}events", "at least one event is needed")
        if len(events) > MAX_EVENTS_PER_APPEND:
            raise InvalidAppend(
                f"{prefix}events", f"at most {MAX_EVENTS_PER_APPEND} events per append"
            )
        rows = [self._row(event, f"{prefix}events[{i}]") for i, event in enumerate(events)]
        return Part(stream_id, expected_version, rows)

    def _row(self, event: NewEvent | Event, field: str) -> Row:
        if isinstance(event, NewEvent):
            data, event_id, metadata = event.data, event.id, event.metadata
        else:
            data, event_id, metadata = event, None, NO_METADATA
        if not isinstance(data, Event):
            raise InvalidAppend(f"{field}.data", "not an event: expected an Event struct")
        encoded = self.registry.encode(data, f"{field}.data")
        if len(encoded) > self.max_event_bytes:
            raise EventTooLarge(f"{field}.data", len(encoded), self.max_event_bytes)
        if metadata.actor is not None and not _is_clean_text(metadata.actor, 400):
            raise InvalidAppend(f"{field}.metadata.actor", "must be 1–400 printable characters")
        return Row(
            id=event_id or uuid.uuid4(),
            type=self.registry.name_of(data),
            schema_version=type(data).schema_version,
            data=encoded,
            actor=metadata.actor,
            causation_id=metadata.causation_id,
            correlation_id=metadata.correlation_id,
            id_supplied=event_id is not None,
        )

    # -- reading ---------------------------------------------------------------------------

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Events with position > `after`, in position order (which is commit order)."""
        return (await self.read_page(after, limit)).events

    async def read_page(
        self, after: int = 0, limit: int = 1000, types: Collection[str] | None = None
    ) -> Page:
        """The next `limit` events after `after`, keeping only those of `types` (all when
        None). With types, the database leaves the others out: a reader of a few types pays
        little for the rest of the log, and still learns how far it has read (the next
        `limit` positions, as far as the log has them)."""
        if types is None:
            rows = await self._fetch_after(after, limit)
            events = [self._recorded(r) for r in rows]
            return Page(events, rows[-1][0] if rows else after, len(rows))
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(_READ_TYPES, after, limit, list(types))
        reached = next(r[0] for r in rows if r[1] is None)
        events = [self._recorded(r) for r in rows if r[1] is not None]
        return Page(events, reached, reached - after)

    async def _fetch_after(self, after: int, limit: int) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await conn.fetch(_READ_ALL, after, limit)

    async def read_stream(
        self,
        stream_id: str,
        from_version: int | None = None,
        *,
        backward: bool = False,
        limit: int = 1000,
    ) -> list[RecordedEvent]:
        """A stream's events from `from_version` on (forward, default 1) or down from it
        (backward, default the latest)."""
        async with self.pool.acquire() as conn:
            if backward:
                start = (2**63 - 1) if from_version is None else from_version
                rows = await conn.fetch(_READ_BACKWARD, stream_id, start, limit)
            else:
                rows = await conn.fetch(_READ_FORWARD, stream_id, from_version or 1, limit)
        return [self._recorded(r) for r in rows]

    async def stream_version(self, stream_id: str) -> int:
        """The stream's last version; 0 when it has no events."""
        async with self.pool.acquire() as conn:
            version = await conn.fetchval(
                "SELECT max(stream_version) FROM events WHERE stream_id = $1", stream_id
            )
        return version or 0

    async def last_position(self) -> int:
        async with self.pool.acquire() as conn:
            return await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")

    def subscribe(
        self,
        after: int = 0,
        *,
        types: Collection[str] | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        min_interval: float = 0.0,
    ) -> AsyncIterator[Page]:
        """Catch up from `after`, then follow live: pages of events, each event exactly once,
        in order. Survives lost connections; stop it with `aclose()` or by leaving the loop.

        `types`: only events of these types (all when None). A page may then hold no events
        yet move `position` on, past events of other types.

        `min_interval`: the least time between two reads of the log. Under a stream of appends
        a subscriber then reads (and a projection commits) once per interval with everything
        gathered meanwhile, instead of once per append; when idle it still reads at once.

        The subscriptions of one store share their reads of the newest events (`LogTail`): one
        query for all of them, each event decoded once."""
        return subscribe(
            functools.partial(self._tail.read_page, types=types, min_interval=min_interval),
            self.notifier,
            after,
            batch_size=batch_size,
            poll_interval=poll_interval,
        )

    def _recorded(self, r: asyncpg.Record) -> RecordedEvent:
        (position, event_id, stream_id, version, type_name, schema_version, data,
         actor, causation_id, correlation_id, recorded_at) = r  # fmt: skip
        if actor is None and causation_id is None and correlation_id is None:
            metadata = NO_METADATA
        else:
            metadata = Metadata(actor, causation_id, correlation_id)
        return RecordedEvent(
            id=event_id,
            type=type_name,
            stream_id=stream_id,
            stream_version=version,
            position=position,
            recorded_at=recorded_at,
            metadata=metadata,
            data=self.registry.decode(type_name, schema_version, data),
        )


def _check_unique_ids(parts: list[Part], field: str) -> None:
    ids = [row.id for part in parts for row in part.rows]
    if len(set(ids)) != len(ids):
        raise InvalidAppend(field, "the same event id appears twice in one append")


def _check_stream_id(stream_id: object, field: str) -> None:
    if not isinstance(stream_id, str) or not stream_id:
        raise InvalidStreamId(field, "must be a non-empty string")
    if not _is_clean_text(stream_id, MAX_STREAM_ID_LENGTH):
        raise InvalidStreamId(
            field,
            f"must be at most {MAX_STREAM_ID_LENGTH} characters, with no control characters",
        )


def _check_expected(expected: object, field: str) -> None:
    if expected in (ANY, NO_STREAM):
        return
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 1:
        raise InvalidAppend(field, "must be a version >= 1, 'any' or 'no_stream'")


def _is_clean_text(text: str, max_length: int) -> bool:
    return 0 < len(text) <= max_length and text.isprintable()
