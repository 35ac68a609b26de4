"""Group commit: appends from many concurrent callers written together in one transaction.

One durable commit per event caps out at a few thousand events a second; one commit per batch
does not. Callers queue their appends; a single writer task takes everything queued (up to
`max_batch` events), decides each caller's append against the stream versions it reads in the
same transaction, inserts all accepted events with one statement and commits. Each caller gets
its own result or its own error: a conflict or a duplicate is decided per caller and never fails
the rest of the batch. Under no load a batch is one append, committed at once.

Retries are safe because every event has its id before the first attempt: a batch whose commit
outcome is unknown (the connection died) is simply sent again, and ids already stored are
answered with their original positions.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import asyncpg

from server.db import CONNECTION_LOST, connect
from server.events.envelope import ANY, NO_STREAM, AppendResult, ExpectedVersion
from server.events.errors import EventStoreError, IdempotencyConflict, WrongExpectedVersion

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
"""Attempts for one batch: a lost connection or a race with another process retries it."""
MAX_REMEMBERED_STREAMS = 100_000
"""A writer forgets the versions it remembers past this many streams (they are re-read)."""

_READ_HEADS_AND_STORED = """
SELECT s.stream_id, coalesce(h.stream_version, 0) AS stream_version,
       NULL::uuid AS event_id, NULL::bigint AS position
  FROM unnest($1::text[]) AS s(stream_id)
  LEFT JOIN LATERAL (
        SELECT e.stream_version FROM events e
         WHERE e.stream_id = s.stream_id
         ORDER BY e.stream_version DESC LIMIT 1) h ON true
UNION ALL
SELECT stream_id, stream_version, event_id, position
  FROM events WHERE event_id = ANY($2::uuid[])
"""

_INSERT = """
INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data,
                    actor, causation_id, correlation_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::jsonb[],
                     $7::text[], $8::uuid[], $9::uuid[])
RETURNING event_id, position
"""


class Row(NamedTuple):
    """One validated, encoded event, ready to insert."""

    id: uuid.UUID
    type: str
    schema_version: int
    data: bytes
    actor: str | None
    causation_id: uuid.UUID | None
    correlation_id: uuid.UUID | None
    id_supplied: bool
    """The caller chose the id (an idempotency key), so it may be stored already."""


@dataclass(slots=True)
class Part:
    """Events for one stream, written only if the stream is at `expected`."""

    stream_id: str
    expected: ExpectedVersion
    rows: list[Row]


@dataclass(slots=True, eq=False)
class _Append:
    """One caller's append: one part per stream, all written together or none."""

    parts: list[Part]
    future: asyncio.Future[list[AppendResult]]

    @property
    def size(self) -> int:
        return sum(len(part.rows) for part in self.parts)


class _Accepted(NamedTuple):
    """To be written by this batch; each part from this version on."""

    first_versions: list[int]


class _Replay(NamedTuple):
    """Every id is already known in this stream: answer with where those events are."""


class _Known(NamedTuple):
    """Where an event id is: stored before this batch, or accepted earlier in it."""

    stream_id: str
    stream_version: int


@dataclass(slots=True)
class Stats:
    batches: int = 0
    events: int = 0
    retries: int = 0
    largest_batch: int = 0


class GroupCommitter:
    """Routes each append to one of `writers` writer tasks by its stream, so one stream is
    always written by the same writer (no in-process races) while the writers' batches overlap:
    one prepares its batch while another waits for its commit."""

    def __init__(
        self, url: str, *, writers: int = 2, max_batch: int = 1000, max_wait: float = 0.0
    ) -> None:
        self.stats = Stats()
        self._writers = [
            _Writer(url, max_batch, max_wait, self.stats, f"learnwork-append-{n}")
            for n in range(writers)
        ]
        self._closing = False

    def start(self) -> None:
        for writer in self._writers:
            writer.start()

    async def close(self) -> None:
        """Stop taking appends; finish the ones already queued."""
        self._closing = True
        await asyncio.gather(*(writer.close() for writer in self._writers))

    async def append(self, parts: list[Part]) -> list[AppendResult]:
        """Write every part atomically; one result per part, in order."""
        if self._closing:
            raise EventStoreError("the event store is closed")
        # By the first stream: a multi-stream append may share a stream with another writer's
        # appends; the unique constraints then settle the race (see _Writer).
        writer = self._writers[hash(parts[0].stream_id) % len(self._writers)]
        return await writer.append(_Append(parts, _new_future()))


def _new_future() -> asyncio.Future[list[AppendResult]]:
    return asyncio.get_running_loop().create_future()


class _Writer:
    """One writer task with its own connection and queue.

    A batch is at most two statements and no explicit transaction: read what the decisions
    need, decide in Python, then one INSERT (atomic on its own). The writer remembers the last
    version of the streams it wrote, and store-generated ids cannot be stored yet, so a batch
    usually needs no read at all: the INSERT alone, one round trip. The remembered versions are
    only trusted where PostgreSQL checks them: if another process appended meanwhile, the
    (stream_id, stream_version) unique constraint refuses the INSERT and the batch is decided
    again from fresh reads; a conflict is only ever reported from a fresh read.
    """

    def __init__(self, url: str, max_batch: int, max_wait: float, stats: Stats, name: str) -> None:
        self._url = url
        self._name = name
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._stats = stats
        self._queue: deque[_Append] = deque()
        self._wakeup = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._heads: dict[str, int] = {}  # stream → last version, as this writer last saw it

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def close(self) -> None:
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()

    async def append(self, append: _Append) -> list[AppendResult]:
        if self._task is None or self._task.done():
            raise EventStoreError("the event store is not running")
        self._queue.append(append)
        self._wakeup.set()
        # A caller that gives up cancels its future; a batch not yet started then skips it.
        return await append.future

    async def _run(self) -> None:
        while self._queue or not self._closing:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self._max_wait and not self._closing:
                await asyncio.sleep(self._max_wait)
            batch = self._take_batch()
            if batch:
                await self._commit(batch)

    def _take_batch(self) -> list[_Append]:
        batch: list[_Append] = []
        size = 0
        while self._queue:
            head = self._queue[0]
            if batch and size + head.size > self._max_batch:
                break
            self._queue.popleft()
            if not head.future.done():
                batch.append(head)
                size += head.size
        return batch

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            # The batch statements take arrays; a generic plan spares re-planning every batch.
            self._conn = await connect(
                self._url, "learnwork-append", plan_cache_mode="force_generic_plan"
            )
        return self._conn

    async def _commit(self, batch: list[_Append]) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                # After a failed attempt nothing remembered is trusted: read everything fresh.
                outcomes = await self._write(await self._connection(), batch, fresh=attempt > 1)
            except asyncpg.UniqueViolationError:
                # Another process appended to one of these streams (or stored one of these ids)
                # since we last looked: decide again against what is there now.
                self._stats.retries += 1
                continue
            except CONNECTION_LOST as exc:
                # The INSERT may or may not have committed: the fresh retry finds out by id.
                self._stats.retries += 1
                if self._conn is not None:
                    self._conn.terminate()
                if attempt == MAX_ATTEMPTS:
                    _settle(batch, [exc] * len(batch))
                    return
                log.warning("append batch: database connection lost (%s); retrying", exc)
                await asyncio.sleep(0.05 * 2**attempt)
                continue
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch, [exc])
                    return
                # Something about one append broke the statement: isolate it by writing each
                # append on its own, so the others still land.
                log.exception("append batch of %d failed; writing each append alone", len(batch))
                for single in batch:
                    await self._commit([single])
                return
            _settle(batch, outcomes)
            return
        _settle(batch, [EventStoreError("append kept racing other writers")] * len(batch))

    async def _write(
        self, conn: asyncpg.Connection, batch: list[_Append], *, fresh: bool
    ) -> list[list[AppendResult] | Exception]:
        streams = {part.stream_id for a in batch for part in a.parts}
        if not fresh:
            # A stream every append here expects not to exist (a new entity's) is taken to be
            # empty without a read: if it is not, the unique constraint refuses the INSERT and
            # the retry reads it fresh, so a conflict is still only reported from a fresh read.
            expectations: dict[str, set[object]] = {}
            for append in batch:
                for part in append.parts:
                    expectations.setdefault(part.stream_id, set()).add(part.expected)
            for stream_id, expected in expectations.items():
                if expected == {NO_STREAM} and stream_id not in self._heads:
                    self._heads[stream_id] = 0
        unknown = [s for s in streams if fresh or s not in self._heads]
        maybe_stored = [
            r.id for a in batch for part in a.parts for r in part.rows if fresh or r.id_supplied
        ]
        stored: dict[uuid.UUID, tuple[_Known, int]] = {}
        if unknown or maybe_stored:
            stored = await self._read(conn, unknown, maybe_stored)
        known_fresh = set(unknown)
        positions = {event_id: position for event_id, (_, position) in stored.items()}

        decisions = _decide_batch(batch, self._heads, stored)
        doubted = {
            o.stream_id
            for o in decisions.outcomes
            if isinstance(o, WrongExpectedVersion) and o.stream_id not in known_fresh
        }
        if doubted:
            # Remembered versions may be stale: confirm a conflict before reporting it.
            await self._read(conn, list(doubted), [])
            decisions = _decide_batch(batch, self._heads, stored)

        written = 0
        if decisions.columns[0]:
            try:
                for r in await conn.fetch(_INSERT, *decisions.columns):
                    positions[r["event_id"]] = r["position"]
                    written += 1
            except asyncpg.UniqueViolationError:
                for stream_id in streams:
                    self._heads.pop(stream_id, None)
                raise
        if len(self._heads) > MAX_REMEMBERED_STREAMS:
            self._heads.clear()
        self._heads.update(decisions.heads)

        self._stats.batches += 1
        self._stats.events += written
        self._stats.largest_batch = max(self._stats.largest_batch, written)
        results: list[list[AppendResult] | Exception] = []
        for append, outcome in zip(batch, decisions.outcomes, strict=True):
            if isinstance(outcome, Exception):
                results.append(outcome)
                continue
            results.append([_result(part, positions, decisions.known) for part in append.parts])
        return results

    async def _read(
        self, conn: asyncpg.Connection, stream_ids: list[str], event_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[_Known, int]]:
        """Refresh the remembered versions of `stream_ids`; return where those of `event_ids`
        that are stored already are, and their positions."""
        stored: dict[uuid.UUID, tuple[_Known, int]] = {}
        for r in await conn.fetch(_READ_HEADS_AND_STORED, stream_ids, event_ids):
            if r["event_id"] is None:
                self._heads[r["stream_id"]] = r["stream_version"]
            else:
                known = _Known(r["stream_id"], r["stream_version"])
                stored[r["event_id"]] = (known, r["position"])
        return stored


@dataclass(slots=True)
class _Decisions:
    outcomes: list[Exception | _Accepted | _Replay]
    heads: dict[str, int]  # the streams' versions once the accepted appends are written
    known: dict[uuid.UUID, _Known]  # every id stored before or accepted by this batch
    columns: list[list]  # the INSERT's arrays, one per column


def _decide_batch(
    batch: list[_Append],
    known_heads: dict[str, int],
    stored: dict[uuid.UUID, tuple[_Known, int]],
) -> _Decisions:
    """Decide every append in order, as if each were committed before the next is decided."""
    decisions = _Decisions(
        outcomes=[],
        heads={part.stream_id: known_heads[part.stream_id] for a in batch for part in a.parts},
        known={event_id: known for event_id, (known, _) in stored.items()},
        columns=[[] for _ in range(9)],
    )
    columns = decisions.columns
    for append in batch:
        outcome = _decide(append, decisions.heads, decisions.known)
        decisions.outcomes.append(outcome)
        if not isinstance(outcome, _Accepted):
            continue
        for part, first in zip(append.parts, outcome.first_versions, strict=True):
            for offset, row in enumerate(part.rows):
                columns[0].append(row.id)
                columns[1].append(part.stream_id)
                columns[2].append(first + offset)
                columns[3].append(row.type)
                columns[4].append(row.schema_version)
                columns[5].append(row.data)
                columns[6].append(row.actor)
                columns[7].append(row.causation_id)
                columns[8].append(row.correlation_id)
    return decisions


def _decide(
    append: _Append, heads: dict[str, int], known: dict[uuid.UUID, _Known]
) -> Exception | _Accepted | _Replay:
    """One append against the streams' versions and the ids known so far (both advanced only
    when every part of the append is accepted)."""
    placed = [(part.stream_id, row.id) for part in append.parts for row in part.rows]
    found = [known.get(event_id) for _, event_id in placed]
    if any(found):
        if all(f is not None and f.stream_id == s for (s, _), f in zip(placed, found, strict=True)):
            return _Replay()
        reused = [i for (_, i), f in zip(placed, found, strict=True) if f is not None]
        return IdempotencyConflict(append.parts[0].stream_id, reused)
    moved: dict[str, int] = {}
    first_versions = []
    for part in append.parts:
        current = moved.get(part.stream_id, heads[part.stream_id])
        expected = part.expected
        if not (
            expected == ANY
            or (expected == NO_STREAM and current == 0)
            or (isinstance(expected, int) and expected == current)
        ):
            return WrongExpectedVersion(part.stream_id, expected, current)
        first_versions.append(current + 1)
        moved[part.stream_id] = current + len(part.rows)
    heads.update(moved)
    for part, first in zip(append.parts, first_versions, strict=True):
        for offset, row in enumerate(part.rows):
            known[row.id] = _Known(part.stream_id, first + offset)
    return _Accepted(first_versions)


def _result(
    part: Part, positions: dict[uuid.UUID, int], known: dict[uuid.UUID, _Known]
) -> AppendResult:
    ids = [row.id for row in part.rows]
    return AppendResult(
        stream_id=part.stream_id,
        positions=[positions[i] for i in ids],
        first_version=known[ids[0]].stream_version,
        last_version=known[ids[-1]].stream_version,
    )


def _settle(batch: list[_Append], outcomes: list) -> None:
    for append, outcome in zip(batch, outcomes, strict=True):
        if append.future.done():
            continue
        if isinstance(outcome, BaseException):
            append.future.set_exception(outcome)
        else:
            append.future.set_result(outcome)
