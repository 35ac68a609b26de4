"""The outbox: follows the log and enqueues what the translators say each event makes
federation send — in one process at a time.

Each page of events goes to every translator whose types it holds (server/federation/
outgoing.py), once the read models the translator reads show the page; each activity becomes
one delivery per inbox, followers sharing an inbox getting one there — none to a host under a
blocked domain — with the activity's JSON fixed as it will be sent, its integrity proof
included (server/federation/outbound_proofs.py).

Exactly one process enqueues (server/projections/log_leader.py): the one holding a PostgreSQL
advisory lock; the others keep trying to take it. Each page's deliveries and the checkpoint move
in one transaction that first checks the checkpoint is where this enqueuer left it, so a process
that lost the lock without noticing writes nothing. Enqueueing a page again is harmless besides
(a delivery is unique per activity id and inbox): a page that makes no delivery moves the
checkpoint at most once a second.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import asyncpg
import msgspec

from server.events.envelope import Page
from server.events.store import EventStore
from server.federation.delivery_queue import NewActivity, enqueue
from server.federation.keys import KeyVault
from server.federation.outbound_proofs import prove
from server.federation.outgoing import Outgoing, Translator, host_of, inboxes
from server.projections.domain_blocks import blocked_hosts
from server.projections.log_leader import LogLeader
from server.projections.runner import ProjectionRunner

log = logging.getLogger(__name__)

LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"learnwork.federation.outbox", digest_size=8).digest(), "big", signed=True
)


class OutboxEnqueuer(LogLeader[list[NewActivity]]):
    name = "federation-outbox"
    lock_key = LOCK_KEY
    checkpoint_table = "federation_outbox"

    def __init__(
        self,
        store: EventStore,
        runner: ProjectionRunner,
        url: str,
        translators: Sequence[Translator],
        vault: KeyVault,
        *,
        retry_seconds: float,
        enqueued: Callable[[], None],
        poll_interval: float = 1.0,
    ) -> None:
        """`url` is the database's (the advisory lock has a connection of its own);
        `vault` holds the keys activities are signed with (their integrity proofs);
        `enqueued` is called after deliveries are committed (to wake this process's sender);
        `poll_interval` is how often a standby asks for the lock. With no translator, the
        checkpoint still follows the log: one added later translates what happens from then
        on, not the history."""
        types = sorted({t for translator in translators for t in translator.types})
        super().__init__(store, url, types, poll_interval=poll_interval)
        self._runner = runner
        self._translators = list(translators)
        self._vault = vault
        self._retry_seconds = retry_seconds
        self._enqueued = enqueued

    async def prepare(self, page: Page) -> list[NewActivity]:
        return await self._activities(page)

    async def write(self, conn: asyncpg.Connection, made: list[NewActivity]) -> None:
        await enqueue(conn, made, self._retry_seconds)

    def written(self, made: list[NewActivity]) -> None:
        self._enqueued()

    async def _activities(self, page: Page) -> list[NewActivity]:
        if not page.events:
            return []
        outgoing: list[Outgoing] = []
        for translator in self._translators:
            wanted = set(translator.types)
            events = [e for e in page.events if e.type in wanted]
            if not events:
                continue
            if translator.read_models:
                await self._runner.wait_for(events[-1].position, list(translator.read_models))
            async with self._store.pool.acquire() as conn:
                outgoing.extend(await translator.translate(conn, events))
        if not outgoing:
            return []
        targets = [(o, inboxes(o.recipients)) for o in outgoing]
        async with self._store.pool.acquire() as conn:
            blocked = await blocked_hosts(conn, {host_of(i) for _, found in targets for i in found})
        created = datetime.now(UTC).replace(microsecond=0)
        made = []
        for activity, found in targets:
            kept = [(inbox, host) for inbox in found if (host := host_of(inbox)) not in blocked]
            if kept:
                made.append(await self._prepared(activity, kept, created))
        return made

    async def _prepared(
        self, outgoing: Outgoing, kept: list[tuple[str, str]], created: datetime
    ) -> NewActivity:
        signed = await prove(self._vault, outgoing, created)
        return NewActivity(
            outgoing.id, msgspec.json.encode(signed), outgoing.actor, outgoing.key_id, kept
        )
