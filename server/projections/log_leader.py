"""A worker that follows the log in one process of the cluster at a time, and turns pages of
events into rows of its own queue (the webhook enqueuer, the federation outbox).

- One process leads: the one holding the worker's PostgreSQL advisory lock (on a connection of
  its own); the others keep asking for it every `poll_interval`.
- The leader reads the log from the worker's checkpoint (a one-row table), asks `prepare` what
  each page makes, and writes it with `write` in the transaction that moves the checkpoint —
  after checking the checkpoint is where this leader left it, so a process that lost the lock
  without noticing writes nothing. A page that makes nothing moves the checkpoint at most once
  per `IDLE_RECORD_INTERVAL`.
- Lost connections and failures restart it after a doubling pause (at most 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Generic, TypeVar

import asyncpg

from server.db import CONNECTION_LOST, connect
from server.events.envelope import Page
from server.events.store import EventStore

log = logging.getLogger(__name__)

IDLE_RECORD_INTERVAL = 1.0
"""Seconds between two checkpoint writes while pages make nothing."""

Made = TypeVar("Made")


class LogLeader(Generic[Made]):
    name: str
    """For logs and the lock's connection."""
    lock_key: int
    checkpoint_table: str
    """A table of one row with a `position` column."""

    def __init__(
        self,
        store: EventStore,
        url: str,
        types: Collection[str] | None,
        *,
        poll_interval: float = 1.0,
    ) -> None:
        """`url` is the database's; `types` the event types read (None: all)."""
        self._store = store
        self._url = url
        self._types = types
        self._poll_interval = poll_interval
        self._task: asyncio.Task[None] | None = None

    async def prepare(self, page: Page) -> Made | None:
        """What `page` makes; None (or empty) for nothing."""
        raise NotImplementedError

    async def write(self, conn: asyncpg.Connection, made: Made) -> None:
        """Write what a page made, in the transaction that moves the checkpoint past it."""
        raise NotImplementedError

    def written(self, made: Made) -> None:
        """Called once what a page made is committed."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep_running(), name=f"learnwork-{self.name}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _keep_running(self) -> None:
        delay = 0.05
        while True:
            try:
                await self._run_while_leader()
            except CONNECTION_LOST as exc:
                log.warning("%s: connection lost (%s); restarting", self.name, exc)
            except Exception:
                log.exception("%s failed; restarting", self.name)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _run_while_leader(self) -> None:
        lock = await connect(self._url, f"learnwork-{self.name}")
        try:
            # Another process leads: stand by, asking the database (no local event to wait on).
            while not await lock.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_key):  # noqa: ASYNC110
                await asyncio.sleep(self._poll_interval)
            async with self._store.pool.acquire() as conn:
                position = await conn.fetchval(f"SELECT position FROM {self.checkpoint_table}")
            loop = asyncio.get_running_loop()
            recorded_at = loop.time()
            pages = self._store.subscribe(position, types=self._types, poll_interval=1.0)
            async with contextlib.aclosing(pages):
                async for page in pages:
                    if lock.is_closed():
                        return  # the lock went with its connection: compete for it again
                    made = await self.prepare(page)
                    if not made and loop.time() - recorded_at < IDLE_RECORD_INTERVAL:
                        continue
                    if not await self._commit(position, page, made):
                        return  # someone else moved the checkpoint: start again from it
                    position, recorded_at = page.position, loop.time()
        finally:
            if not lock.is_closed():
                await lock.close()  # releases the advisory lock

    async def _commit(self, position: int, page: Page, made: Made | None) -> bool:
        table = self.checkpoint_table
        async with self._store.pool.acquire() as conn, conn.transaction():
            current = await conn.fetchval(f"SELECT position FROM {table} FOR UPDATE")
            if current != position:
                return False
            if made:
                await self.write(conn, made)
            await conn.execute(f"UPDATE {table} SET position = $1", page.position)
        if made:
            self.written(made)
        return True
