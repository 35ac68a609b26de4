"""The projection runner: feeds the event log to read models, each exactly once.

A projection owns its tables and says how events change them (`apply`). The runner reads the log
from the projection's checkpoint and, for every batch, in ONE transaction: locks the checkpoint
row, checks it is where this runner left it, applies the batch and advances the checkpoint. A
crash anywhere rolls back both, so an event is never applied twice nor skipped.

Across processes, a session advisory lock per projection makes one runner the active one; the
others wait to take over. The checkpoint row lock is the second fence: even a runner that lost
its advisory lock without noticing finds the checkpoint moved and applies nothing.

A projection only reads the event types it uses. While only other events arrive it has nothing to
write, so it records how far it has read at most once per `IDLE_RECORD_INTERVAL` instead of once
per read; `wait_for` knows that a projection with none of its types between its checkpoint and a
position is as good as there.

A projection that raises on an event stops: the events before it are applied, the failing
event's position and error are recorded (`status()`), and it resumes from there once restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import ClassVar

import asyncpg
import msgspec

from server.db import CONNECTION_LOST, connect
from server.events.envelope import Page, RecordedEvent
from server.events.registry import Event
from server.events.store import EventStore

log = logging.getLogger(__name__)

READ_INTERVAL = 0.01
"""Seconds between two reads of the newest events (one read for all the projections of a process,
`LogTail`) while events keep coming: under load each projection commits up to 100 times a second
with everything new, rather than once per append (measured in bench/api.py); a read after a
write waits at most this much longer."""

IDLE_RECORD_INTERVAL = 1.0
"""Seconds between two recordings of the position of a projection that reads only events it
does not use: one transaction a second, rather than one per read (measured in bench/api.py)."""

# Also makes the transaction commit asynchronously (no wait for the WAL flush): a read model is
# derived data. A database crash can lose the last such commits, but each takes its effects and
# its checkpoint together, so the projection resumes from an earlier checkpoint with matching
# tables and applies those events again: still exactly once. Durability stays where it matters,
# on the log's appends.
_LOCK_CHECKPOINT = (
    "SELECT position, set_config('synchronous_commit', 'off', true)"
    " FROM projection_checkpoints WHERE name = $1 FOR UPDATE"
)


class Projection:
    """A read model. Subclasses set `name`, optionally `event_types`, and implement `apply`."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    """The tables it owns and no other projection writes: a rebuild makes them anew."""
    event_types: ClassVar[frozenset[str] | None] = None
    """The event types it reads; None for all. Others are not even decoded for it: they only
    advance its checkpoint."""

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        """Write the effects of `events` with `conn`, inside the runner's transaction. Must not
        commit, and must not depend on anything but the events and its own tables."""
        raise NotImplementedError

    async def prepare(self, events: Sequence[RecordedEvent], helper: Executor) -> None:
        """Work out ahead what `apply` will need of `events` without the database (rendering
        Markdown, say), in `helper` (another process) where it pays: a rebuild calls it on a
        page while the page before is being written. `apply` must write the same without it.
        By default, nothing."""


async def apply_in_segments(
    conn: asyncpg.Connection,
    events: Sequence[RecordedEvent],
    kinds: tuple[type[Event], ...],
    write: Callable[[asyncpg.Connection, list[RecordedEvent]], Awaitable[None]],
    apply_one: Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]],
) -> None:
    """Apply `events` a segment at a time: the runs of events of `kinds` go to `write`
    together, and every other event, which closes the run before it, to `apply_one`.

    For the bulk of a projection's events: `write` may write a segment kind by kind (each in
    one statement) rather than in log order, so it must only do that where the order within a
    run of `kinds` does not matter to the tables (tests/projections/test_segments.py applies a
    history with batches of 1,000 and of 1 and compares)."""
    segment: list[RecordedEvent] = []
    for event in events:
        if isinstance(event.data, kinds):
            segment.append(event)
            continue
        if segment:
            await write(conn, segment)
            segment = []
        await apply_one(conn, event)
    if segment:
        await write(conn, segment)


def tags(*types: type[Event]) -> frozenset[str]:
    """The type names of event classes: a projection's `event_types`."""
    return frozenset(t.__struct_config__.tag for t in types)


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    name: str
    position: int  # the last position it recorded
    lag: int  # events of the types it reads after `position`: what it has left to apply
    lag_seconds: float  # how long ago the oldest of those was written; 0 when none
    running: bool  # some process (this one or another) holds it and applies it
    failed_position: int | None  # where it stopped on an event it could not apply
    error: str | None


class ProjectionFailed(Exception):
    def __init__(self, name: str, position: int, error: BaseException) -> None:
        super().__init__(f"projection {name} failed on the event at position {position}: {error}")
        self.name = name
        self.position = position


class ProjectionRunner:
    def __init__(
        self,
        store: EventStore,
        url: str,
        projections: Sequence[Projection],
        *,
        batch_size: int = 2000,  # catching up: 500 took 110 s for all at 1M events, this 98 s
        poll_interval: float = 1.0,
        idle_record_interval: float = IDLE_RECORD_INTERVAL,
    ) -> None:
        names = [p.name for p in projections]
        if len(set(names)) != len(names):
            raise ValueError(f"two projections share a name: {names}")
        self.store = store
        self.projections = {p.name: p for p in projections}
        self._url = url
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._idle_record_interval = idle_record_interval
        # For `wait_for`: each projection's types, absent when it reads them all.
        self._types_read = msgspec.json.encode(
            {p.name: sorted(p.event_types) for p in projections if p.event_types is not None}
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._reached: dict[str, int] = {}
        """How far each projection this process runs shows the log (applied, or nothing of its
        types), as soon as it does: `wait_for` need not ask the database about these."""
        self._advanced = asyncio.Event()

    # -- stepping (tests, rebuild tools) ----------------------------------------------------

    async def run_once(self, name: str) -> int:
        """Apply the next batch to one projection; return how many events it covered."""
        projection = self.projections[name]
        position = await self.position(name)
        page = await self.store.read_page(position, self._batch_size, projection.event_types)
        if page.read:
            await self._apply_or_pin(projection, position, page)
        return page.read

    async def apply_page(self, name: str, position: int, page: Page) -> bool:
        """Apply `page`, read after `position`, to one projection; False, with nothing written,
        if its checkpoint is no longer at `position`."""
        return await self._apply_or_pin(self.projections[name], position, page)

    async def catch_up(self, name: str | None = None) -> None:
        """Apply everything in the log now to one projection (or all), then return."""
        for each in [name] if name else list(self.projections):
            while await self.run_once(each):
                pass

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        for projection in self.projections.values():
            task = asyncio.create_task(self._keep_running(projection), name=projection.name)
            self._tasks.append(task)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, ProjectionFailed):
                await task
        self._tasks.clear()

    async def _keep_running(self, projection: Projection) -> None:
        delay = 0.05
        while True:
            try:
                await self._run_while_leader(projection)
            except ProjectionFailed:
                raise  # recorded in its status; needs a fix and a restart
            except CONNECTION_LOST as exc:
                log.warning("projection %s: connection lost (%s); restarting", projection.name, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _run_while_leader(self, projection: Projection) -> None:
        lock_conn = await connect(self._url, f"learnwork-projection-{projection.name}")
        try:
            key = _lock_key(projection.name)
            # Another process runs it: stand by, asking the database (no local event to wait on).
            while not await lock_conn.fetchval(  # noqa: ASYNC110
                "SELECT pg_try_advisory_lock($1)", key
            ):
                await asyncio.sleep(self._poll_interval)
            position = await self.position(projection.name)
            subscription = self.store.subscribe(
                position,
                types=projection.event_types,
                batch_size=self._batch_size,
                poll_interval=self._poll_interval,
                min_interval=READ_INTERVAL,
            )
            loop = asyncio.get_running_loop()
            recorded_at = loop.time()
            unrecorded: Page | None = None  # read, with nothing to write, not yet recorded
            try:
                ticking = _ticking(subscription, self._idle_record_interval)
                async with contextlib.aclosing(ticking) as pages:
                    async for page in pages:
                        if lock_conn.is_closed():
                            return  # the lock went with its connection: compete for it again
                        if page is None:  # a quiet moment: record how far it has read
                            if unrecorded is None:
                                continue
                            page = unrecorded
                        elif not page.events and (
                            loop.time() - recorded_at < self._idle_record_interval
                        ):
                            unrecorded = page
                            self._reach(projection.name, page.position)
                            continue
                        if not await self._apply_or_pin(projection, position, page):
                            return  # someone else moved the checkpoint: start again from it
                        position, unrecorded, recorded_at = page.position, None, loop.time()
                        self._reach(projection.name, position)
            finally:
                await subscription.aclose()
        finally:
            self._reached.pop(projection.name, None)
            self._reach()  # its waiters ask the database from now on
            if not lock_conn.is_closed():
                await lock_conn.close()  # releases the advisory lock

    def _reach(self, name: str | None = None, position: int = 0) -> None:
        """Note that projection `name` shows the log up to `position` (None: only wake the
        waiters), and wake whoever waits for it."""
        if name is not None:
            self._reached[name] = position
        advanced, self._advanced = self._advanced, asyncio.Event()
        advanced.set()

    # -- applying --------------------------------------------------------------------------

    async def _apply_or_pin(self, projection: Projection, position: int, page: Page) -> bool:
        """Apply a page; if it fails, find and record the failing event, then raise."""
        try:
            return await self._apply(projection, position, page.events, page.position)
        except CONNECTION_LOST:
            raise
        except Exception:
            if len(page.events) == 1:
                raise
        for event in page.events:  # one by one: everything before the culprit lands
            if not await self._apply(projection, position, [event], event.position):
                return False
            position = event.position
        return position == page.position or await self._apply(
            projection, position, [], page.position
        )

    async def _apply(
        self, projection: Projection, position: int, events: list[RecordedEvent], to: int
    ) -> bool:
        """Apply `events` and move the checkpoint from `position` on to `to`, in one
        transaction; False, with nothing written, if the checkpoint is not at `position`."""
        async with self.store.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    current = await conn.fetchval(_LOCK_CHECKPOINT, projection.name)
                    if current is None:
                        # No row to lock yet. Create it (a concurrent creator makes this wait for
                        # its commit), then lock it: never treat a missing row as "at 0".
                        await conn.execute(
                            "INSERT INTO projection_checkpoints (name) VALUES ($1)"
                            " ON CONFLICT DO NOTHING",
                            projection.name,
                        )
                        current = await conn.fetchval(_LOCK_CHECKPOINT, projection.name)
                    if current != position:
                        return False
                    if events:
                        await projection.apply(conn, events)
                    await conn.execute(
                        "UPDATE projection_checkpoints SET position = $2, updated_at = now(),"
                        " failed_position = NULL, error = NULL WHERE name = $1",
                        projection.name,
                        to,
                    )
            except CONNECTION_LOST:
                raise
            except Exception as exc:
                if len(events) == 1:
                    await self._record_failure(conn, projection.name, events[0].position, exc)
                    raise ProjectionFailed(projection.name, events[0].position, exc) from exc
                raise
        return True

    async def _record_failure(
        self, conn: asyncpg.Connection, name: str, position: int, exc: BaseException
    ) -> None:
        log.error("projection %s stopped at the event at position %d: %r", name, position, exc)
        await conn.execute(
            "INSERT INTO projection_checkpoints (name, failed_position, error)"
            " VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE"
            " SET failed_position = $2, error = $3, updated_at = now()",
            name,
            position,
            f"{type(exc).__name__}: {exc}",
        )

    # -- reading positions -----------------------------------------------------------------

    async def position(self, name: str) -> int:
        """The position projection `name` recorded last."""
        async with self.store.pool.acquire() as conn:
            position = await conn.fetchval(
                "SELECT position FROM projection_checkpoints WHERE name = $1", name
            )
        return position or 0

    async def status(self) -> list[ProjectionStatus]:
        """Where each projection is, what it has left to apply, and whether a process runs it
        (holds its advisory lock: this one or any other)."""
        names = list(self.projections)
        keys = [_lock_key(name) for name in names]
        async with self.store.pool.acquire() as conn:
            rows = await conn.fetch(_STATUS, names, keys, self._types_read)
        return [
            ProjectionStatus(
                name=r["name"],
                position=r["position"],
                lag=r["lag"],
                lag_seconds=r["lag_seconds"],
                running=r["running"],
                failed_position=r["failed_position"],
                error=r["error"],
            )
            for r in rows
        ]

    async def wait_for(self, position: int, names: Sequence[str] = ()) -> None:
        """Return once the projections (all by default) show everything up to `position`, so a
        reader sees its own writes: each has passed it, or has none of its event types before
        it. Bound it with `asyncio.timeout()`. Projections this process runs are followed in
        memory; others are asked of the database, so it works whichever process runs them."""
        wanted = list(names or self.projections)
        while all(name in self._reached for name in wanted):
            if min(self._reached[name] for name in wanted) >= position:
                return
            await self._advanced.wait()
        delay = 0.002
        while True:
            async with self.store.pool.acquire() as conn:
                behind = await conn.fetchval(_BEHIND, wanted, position, self._types_read)
            if behind == 0:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)


async def _ticking(pages: AsyncIterator[Page], every: float) -> AsyncIterator[Page | None]:
    """`pages`, with a None each time `every` seconds pass without one."""
    next_page = asyncio.ensure_future(anext(pages))
    try:
        while True:
            done, _ = await asyncio.wait({next_page}, timeout=every)
            if not done:
                yield None
                continue
            yield next_page.result()
            next_page = asyncio.ensure_future(anext(pages))
    finally:
        next_page.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await next_page


# Projections (of $1) that have not passed position $2 and have an event of a type they read
# ($3: name → types, absent for a projection that reads every type) up to it. Only a position
# the log has reached is settled: below it, no event can still appear (see EventStore).
_BEHIND = """
SELECT count(*) FROM unnest($1::text[]) AS w(name)
  LEFT JOIN projection_checkpoints c USING (name)
 WHERE coalesce(c.position, 0) < $2
   AND ($3::jsonb -> w.name IS NULL
        OR $2 > (SELECT coalesce(max(position), 0) FROM events)
        OR EXISTS (
        SELECT 1 FROM events e
         WHERE e.position > coalesce(c.position, 0) AND e.position <= $2
           AND e.type IN (SELECT jsonb_array_elements_text($3::jsonb -> w.name))))
"""


# Each projection (names $1, advisory lock keys $2, types read $3 as for _BEHIND) with its
# checkpoint, what it has left, and whether a session holds its lock: pg_locks shows a bigint
# advisory key as its high and low 32 bits in classid and objid, with objsubid 1.
_STATUS = """
SELECT w.name, coalesce(c.position, 0) AS position, c.failed_position, c.error,
       pending.lag,
       coalesce(extract(epoch FROM now() - pending.oldest), 0)::float8 AS lag_seconds,
       EXISTS (SELECT 1 FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
                  AND l.classid::bigint = (w.key >> 32) & 4294967295
                  AND l.objid::bigint = w.key & 4294967295) AS running
  FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS w(name, key, n)
  LEFT JOIN projection_checkpoints c USING (name)
  CROSS JOIN LATERAL (
        SELECT count(*) AS lag, min(e.recorded_at) AS oldest FROM events e
         WHERE e.position > coalesce(c.position, 0)
           AND ($3::jsonb -> w.name IS NULL
                OR e.type IN (SELECT jsonb_array_elements_text($3::jsonb -> w.name)))) pending
 ORDER BY w.n
"""


def _lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key per projection name."""
    digest = hashlib.blake2b(f"learnwork.projection.{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
