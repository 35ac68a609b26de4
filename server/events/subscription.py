"""Subscriptions: catch up from a checkpoint, then follow the log live.

One LISTEN connection per store (the Notifier) wakes every subscription in the process when a
transaction that appended events commits. The wake-up is only a hint: a subscription always
re-reads the log from its own checkpoint, and also polls, so a missed notification, a killed
listener or a killed reader costs latency, never an event. The checkpoint advances only after a
batch has been handed over, so nothing is skipped or repeated across a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg

from server.db import CONNECTION_LOST, connect
from server.events.envelope import Page

log = logging.getLogger(__name__)

CHANNEL = "learnwork_events"


class Notifier:
    """Holds the LISTEN connection and fans wake-ups out to subscriptions; reconnects."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._waiters: set[asyncio.Event] = set()
        self._lost = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_listening(), name="learnwork-listen")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    def register(self) -> asyncio.Event:
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        return waiter

    def unregister(self, waiter: asyncio.Event) -> None:
        self._waiters.discard(waiter)

    def wake_all(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    async def _keep_listening(self) -> None:
        delay = 0.05
        while True:
            try:
                self._lost.clear()
                self._conn = await connect(self._url, "learnwork-listen")
                self._conn.add_termination_listener(lambda _conn: self._lost.set())
                await self._conn.add_listener(CHANNEL, lambda *_args: self.wake_all())
                delay = 0.05
                # Anything committed while we were not listening is found by this re-read.
                self.wake_all()
                await self._lost.wait()
                log.warning("event notification connection lost; reconnecting")
            except CONNECTION_LOST as exc:
                log.warning("cannot listen for events (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


async def subscribe(
    read_page: Callable[[int, int], Awaitable[Page]],
    notifier: Notifier,
    after: int,
    *,
    batch_size: int,
    poll_interval: float,
) -> AsyncIterator[Page]:
    waiter = notifier.register()
    checkpoint = after
    delay = 0.05
    try:
        while True:
            waiter.clear()
            try:
                page = await read_page(checkpoint, batch_size)
            except CONNECTION_LOST as exc:
                log.warning("subscription read failed (%s); retrying from %d", exc, checkpoint)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.05
            if page.read:
                yield page
                checkpoint = page.position
                if page.read == batch_size:
                    continue  # still catching up: read on without waiting
            # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that arrives
            # as the wait ends (gh-86296), and a subscription that ignores its cancellation
            # keeps a closing server waiting forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_interval):
                    await waiter.wait()
    finally:
        notifier.unregister(waiter)
