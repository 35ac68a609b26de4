"""The outbox: follows the log and enqueues what the translators say each event makes
federation send — in one process at a time.

Each page of events goes to every translator whose types it holds (server/federation/
outgoing.py), once the read models the translator reads show the page; each activity becomes
one delivery per inbox, followers sharing an inbox getting one there, with the activity's
JSON fixed as it will be sent.

Exactly one process enqueues: the one holding a PostgreSQL advisory lock; the others keep
trying to take it. Each page's deliveries and the checkpoint move in one transaction that
first checks the checkpoint is where this enqueuer left it, so a process that lost the lock
without noticing writes nothing. Enqueueing a page again is harmless besides (a delivery is
unique per activity id and inbox): a page that makes no delivery moves the checkpoint at most
once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Sequence

import msgspec

from server.db import CONNECTION_LOST, connect
from server.events.envelope import Page
from server.events.store import EventStore
from server.federation.delivery_queue import NewActivity, enqueue
from server.federation.outgoing import Outgoing, Translator, host_of, inboxes
from server.projections.runner import ProjectionRunner

log = logging.getLogger(__name__)

LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"learnwork.federation.outbox", digest_size=8).digest(), "big", signed=True
)
IDLE_RECORD_INTERVAL = 1.0
"""Seconds between two checkpoint writes while pages make no delivery."""


class OutboxEnqueuer:
    def __init__(
        self,
        store: EventStore,
        runner: ProjectionRunner,
        url: str,
        translators: Sequence[Translator],
        *,
        retry_seconds: float,
        enqueued: Callable[[], None],
        poll_interval: float = 1.0,
    ) -> None:
        """`url` is the database's (the advisory lock has a connection of its own);
        `enqueued` is called after deliveries are committed (to wake this process's sender);
        `poll_interval` is how often a standby asks for the lock."""
        self._store = store
        self._runner = runner
        self._url = url
        self._translators = list(translators)
        self._types = sorted({t for translator in translators for t in translator.types})
        self._retry_seconds = retry_seconds
        self._enqueued = enqueued
        self._poll_interval = poll_interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep_running(), name="learnwork-federation-outbox")

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
                log.warning("federation outbox: connection lost (%s); restarting", exc)
            except Exception:
                log.exception("federation outbox failed; restarting")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _run_while_leader(self) -> None:
        lock = await connect(self._url, "learnwork-federation-outbox")
        try:
            # Another process enqueues: stand by, asking the database (no local event to wait on).
            while not await lock.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):  # noqa: ASYNC110
                await asyncio.sleep(self._poll_interval)
            async with self._store.pool.acquire() as conn:
                position = await conn.fetchval("SELECT position FROM federation_outbox")
            loop = asyncio.get_running_loop()
            recorded_at = loop.time()
            # With no translator, the checkpoint still follows the log: one added later
            # translates what happens from then on, not the history.
            pages = self._store.subscribe(position, types=self._types, poll_interval=1.0)
            async with contextlib.aclosing(pages):
                async for page in pages:
                    if lock.is_closed():
                        return  # the lock went with its connection: compete for it again
                    activities = await self._activities(page)
                    if not activities and loop.time() - recorded_at < IDLE_RECORD_INTERVAL:
                        continue
                    if not await self._commit(position, page, activities):
                        return  # someone else moved the checkpoint: start again from it
                    position, recorded_at = page.position, loop.time()
        finally:
            if not lock.is_closed():
                await lock.close()  # releases the advisory lock

    async def _commit(self, position: int, page: Page, activities: list[NewActivity]) -> bool:
        async with self._store.pool.acquire() as conn, conn.transaction():
            current = await conn.fetchval("SELECT position FROM federation_outbox FOR UPDATE")
            if current != position:
                return False
            added = await enqueue(conn, activities, self._retry_seconds)
            await conn.execute("UPDATE federation_outbox SET position = $1", page.position)
        if added:
            self._enqueued()
        return True

    async def _activities(self, page: Page) -> list[NewActivity]:
        if not page.events:
            return []
        made: list[NewActivity] = []
        for translator in self._translators:
            wanted = set(translator.types)
            events = [e for e in page.events if e.type in wanted]
            if not events:
                continue
            if translator.read_models:
                await self._runner.wait_for(events[-1].position, list(translator.read_models))
            async with self._store.pool.acquire() as conn:
                outgoing = await translator.translate(conn, events)
            made.extend(_prepared(o) for o in outgoing)
        return made


def _prepared(outgoing: Outgoing) -> NewActivity:
    return NewActivity(
        outgoing.id,
        msgspec.json.encode(outgoing.activity),
        outgoing.actor,
        outgoing.key_id,
        [(inbox, host_of(inbox)) for inbox in inboxes(outgoing.recipients)],
    )
