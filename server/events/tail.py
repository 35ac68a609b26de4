"""The newest part of the log, read once per process for all its subscriptions.

Every subscription in a process (each projection; later each stream consumer) follows the same
log. Each reading it on its own meant, under a stream of appends, one query per subscription per
read, every row fetched and every event decoded once per subscription that wanted it. The tail
keeps the newest events read in memory, a window with no gap: it holds every event after
`start` up to `end`.

- A subscriber whose checkpoint lies in the window is served from memory.
- One at the end of the window waits for the next read of the log, which it shares with
  everyone else at the end: at most one read at a time, and at most one per `min_interval`.
- One behind the window (catching up from an older checkpoint) reads the database itself
  (`EventStore.read_page`: only the types it asks for), and joins the window once it reaches
  it. A reader that reaches the head of the log where there is no window yet starts one there.

A subscriber served from memory may have let a notification of newer events pass (it woke,
read, and found only what the window held); so whenever a read brings new events into the
window, `woken` wakes every subscriber to look again.

Each event in the window is decoded at most once, when the first subscriber asks for its type.
Positions become visible in order (see `EventStore`), so an event read once at the end of the
window can never be preceded later by one with a lower position.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Awaitable, Callable, Collection, Sequence

import asyncpg

from server.events.envelope import Page, RecordedEvent

Fetch = Callable[[int, int], Awaitable[Sequence[asyncpg.Record]]]
"""Rows of the events table after a position, at most a number of them, in position order;
each row's first column is the position and its fifth the type."""
ReadPage = Callable[[int, int, Collection[str] | None], Awaitable[Page]]
"""`EventStore.read_page`."""


class LogTail:
    def __init__(
        self,
        fetch: Fetch,
        read_page: ReadPage,
        decode: Callable[[asyncpg.Record], RecordedEvent],
        woken: Callable[[], None],
        size: int = 4000,
    ) -> None:
        self._fetch = fetch
        self._read_page = read_page
        self._decode = decode
        self._woken = woken
        self._size = size
        self._start: int | None = None  # None: no window yet
        self._end = 0
        self._positions: list[int] = []
        self._rows: list[asyncpg.Record] = []
        self._events: list[RecordedEvent | None] = []
        self._reading = asyncio.Lock()
        self._last_read = float("-inf")

    async def read_page(
        self,
        after: int,
        limit: int,
        types: Collection[str] | None = None,
        *,
        min_interval: float = 0.0,
    ) -> Page:
        """As `EventStore.read_page`. A read at the end of the window waits until
        `min_interval` has passed since the tail's last read of the log."""
        if self._covers(after) and after == self._end:
            await self._extend(after, limit, min_interval)
        if self._covers(after):
            return self._serve(after, limit, types)
        page = await self._read_page(after, limit, types)
        if page.read < limit and (self._start is None or after > self._end):
            self._reset(page.position)  # it reached the head where no window was: start one here
        return page

    def _covers(self, after: int) -> bool:
        return self._start is not None and self._start <= after <= self._end

    async def _extend(self, after: int, limit: int, min_interval: float) -> None:
        async with self._reading:
            if self._end != after or not self._covers(after):
                return  # a read made meanwhile moved the window on
            loop = asyncio.get_running_loop()
            if (pause := self._last_read + min_interval - loop.time()) > 0:
                await asyncio.sleep(pause)  # busy: let appends gather into one larger read
            self._last_read = loop.time()
            rows = await self._fetch(self._end, max(limit, 1))
            if rows:
                self._append(rows)
                self._woken()

    def _serve(self, after: int, limit: int, types: Collection[str] | None) -> Page:
        first = bisect.bisect_right(self._positions, after)
        last = min(first + limit, len(self._positions))
        events = [
            self._event(i) for i in range(first, last) if types is None or self._rows[i][4] in types
        ]
        return Page(events, self._positions[last - 1] if last > first else after, last - first)

    def _event(self, i: int) -> RecordedEvent:
        event = self._events[i]
        if event is None:
            event = self._events[i] = self._decode(self._rows[i])
        return event

    def _reset(self, position: int) -> None:
        self._start = self._end = position
        self._positions, self._rows, self._events = [], [], []

    def _append(self, rows: Sequence[asyncpg.Record]) -> None:
        self._positions.extend(r[0] for r in rows)
        self._rows.extend(rows)
        self._events.extend([None] * len(rows))
        if rows:
            self._end = rows[-1][0]
        if (excess := len(self._positions) - self._size) > self._size // 4:
            self._start = self._positions[excess - 1]  # drop the oldest, a quarter at a time
            del self._positions[:excess], self._rows[:excess], self._events[:excess]
