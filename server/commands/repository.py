"""Aggregate state from the log, and the decide-then-append loop with optimistic retries.

`Repository.load` folds a stream into its aggregate's state. States are kept in a bounded
in-process cache with their version, so loading a known stream reads only the events after that
version — usually one indexed query that returns nothing. The cache is never trusted for
correctness: every append carries the expected version it decided on, and a stream that moved
meanwhile (another process, another request) fails the append, which `execute` answers by
loading again and deciding again.

`recent` trusts a cached state for a bounded time without asking the database: for checks on
every request (is this token still valid?) where a few hundred milliseconds of staleness across
processes is acceptable. Appends made through this process evict what they touched, so within
one process a change (a revocation, a suspension) is seen at once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from server.events import (
    NO_STREAM,
    AppendResult,
    Event,
    Metadata,
    NewEvent,
    StreamAppend,
    WrongExpectedVersion,
)
from server.events.store import EventStore

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Aggregate(Generic[S]):
    """How to fold one kind of stream: `<prefix>-<id>` streams, a state per id."""

    prefix: str
    initial: Callable[[str], S]
    evolve: Callable[[S, Event], S]

    def stream(self, entity_id: str) -> str:
        return f"{self.prefix}-{entity_id}"


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    state: S
    version: int  # 0: the stream has no events

    @property
    def expected(self) -> int | str:
        """The expected version to append with, having decided on this state."""
        return self.version or NO_STREAM


class Repository:
    def __init__(self, store: EventStore, *, cache_size: int = 20_000) -> None:
        self.store = store
        # stream id → (version, state, when it was last read from the log: time.monotonic())
        self._cache: OrderedDict[str, tuple[int, Any, float]] = OrderedDict()
        self._cache_size = cache_size

    async def recent(self, aggregate: Aggregate[S], entity_id: str, max_age: float) -> Loaded[S]:
        """The state as of at most `max_age` seconds ago (or newer), with no query when the
        cache has it; see the module docstring for when that is acceptable."""
        cached = self._cache.get(aggregate.stream(entity_id))
        if cached is not None and time.monotonic() - cached[2] <= max_age:
            return Loaded(cached[1], cached[0])
        return await self.load(aggregate, entity_id)

    def new(self, aggregate: Aggregate[S], entity_id: str) -> Loaded[S]:
        """The state of an entity whose id was just made up (a random UUID): there is nothing to
        read. Appending with the NO_STREAM it expects still refuses the impossible clash."""
        return Loaded(aggregate.initial(entity_id), 0)

    def forget(self, stream_ids: Sequence[str]) -> None:
        """Drop cached states of streams this process just appended to, so that `recent` reads
        them again."""
        for stream_id in stream_ids:
            self._cache.pop(stream_id, None)

    async def load(self, aggregate: Aggregate[S], entity_id: str) -> Loaded[S]:
        stream_id = aggregate.stream(entity_id)
        version, state, _ = self._cache.get(stream_id, (0, None, 0.0))
        if state is None:
            state = aggregate.initial(entity_id)
        while True:
            events = await self.store.read_stream(stream_id, version + 1, limit=1000)
            for recorded in events:
                state = aggregate.evolve(state, recorded.data)
                version = recorded.stream_version
            if len(events) < 1000:
                break
        if version:
            self._remember(stream_id, version, state)
        return Loaded(state, version)

    async def exists(self, stream_id: str) -> bool:
        return bool(await self.store.read_stream(stream_id, 1, limit=1))

    def _remember(self, stream_id: str, version: int, state: object) -> None:
        cached = self._cache.get(stream_id)
        if cached is None or cached[0] <= version:  # a slower concurrent load never goes back
            self._cache[stream_id] = (version, state, time.monotonic())
        self._cache.move_to_end(stream_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


Decision = Sequence[StreamAppend]
"""What a command decided: events per stream, each with the version it was decided on."""


async def execute(
    store: EventStore,
    decide: Callable[[], Awaitable[Decision]],
    *,
    metadata: Metadata,
    attempts: int = 10,
) -> list[AppendResult]:
    """Run `decide` (load, decide) and append what it returns atomically; on a concurrent change
    to any of its streams, run it again on fresh state. Domain errors pass through. Returns no
    results when the decision was to change nothing.

    Each lost race waits a random, doubling pause before deciding again, so that n requests
    racing on one stream (a learner completing every step at once) land one after another
    instead of colliding again in lockstep."""
    for attempt in range(attempts):
        appends = [a for a in await decide() if a.events]
        if not appends:
            return []
        appends = [
            StreamAppend(
                a.stream_id,
                # No event ids from here: a retry decides anew (new events), and ids the store
                # makes need no check that they are already in the log.
                [NewEvent(e, metadata=metadata) for e in a.events],  # type: ignore[arg-type]
                a.expected_version,
            )
            for a in appends
        ]
        try:
            return await store.append_all(appends)
        except WrongExpectedVersion:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0, 0.001 * 2**attempt))
    raise AssertionError("unreachable")
