"""The webhook enqueuer: follows the log and turns each event into a delivery for every endpoint
that gets it — in one process at a time.

An endpoint gets an event when it is enabled and its token still valid, the event comes after
the endpoint's registration (or its last re-enabling), it matches the endpoint's filters, and
the endpoint's member may see it — an admin every event streamed, a member what
server/projections/event_visibility.py lets them, decided once the read models have reached the
event, exactly as for event streams. Filters and visibility are as they stand when the event is
handled, which is moments after it happened.

Exactly one process enqueues (server/projections/log_leader.py): the one holding a PostgreSQL
advisory lock; the others keep trying to take it. Each page's deliveries and the checkpoint move
in one transaction that first checks the checkpoint is where this enqueuer left it, so a process
that lost the lock without noticing writes nothing. Enqueueing a page again is harmless besides
(a delivery is unique per endpoint and event): a page that makes no delivery moves the
checkpoint at most once a second. The same process prunes the delivery log now and then
(`webhook_log_days`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence

import asyncpg

from server.api.cloudevents import envelope
from server.api.event_filters import STREAMED, EventFilter, parse_types
from server.api.webhook_queue import NewDelivery, enqueue, message_id, prune
from server.events import RecordedEvent
from server.events.envelope import Page
from server.events.store import EventStore
from server.projections.event_visibility import READ_MODELS, Visibility
from server.projections.log_leader import LogLeader
from server.projections.members import MembersProjection
from server.projections.runner import ProjectionRunner
from server.projections.webhooks import Target, WebhooksProjection, targets

log = logging.getLogger(__name__)

LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"learnwork.webhooks.enqueuer", digest_size=8).digest(), "big", signed=True
)
ENDPOINT_MODELS = (WebhooksProjection.name, MembersProjection.name)
"""The read models `targets` reads: endpoints, and their tokens and members."""
PRUNE_INTERVAL = 600.0
"""Seconds between two prunings of the delivery log (by the enqueuing process)."""


class WebhookEnqueuer(LogLeader[list[NewDelivery]]):
    name = "webhook-enqueuer"
    lock_key = LOCK_KEY
    checkpoint_table = "webhook_enqueuer"

    def __init__(
        self,
        store: EventStore,
        runner: ProjectionRunner,
        url: str,
        *,
        source: str,
        retry_seconds: float,
        log_days: int,
        enqueued: Callable[[], None],
        poll_interval: float = 1.0,
    ) -> None:
        """`enqueued` is called after deliveries are committed (to wake this process's
        sender); `poll_interval` is how often a standby asks for the lock."""
        super().__init__(store, url, STREAMED, poll_interval=poll_interval)
        self._runner = runner
        self._source = source
        self._retry_seconds = retry_seconds
        self._log_days = log_days
        self._enqueued = enqueued
        self._filters: dict[Target, EventFilter] = {}
        self._pruned_at = -PRUNE_INTERVAL

    async def prepare(self, page: Page) -> list[NewDelivery]:
        loop = asyncio.get_running_loop()
        if loop.time() - self._pruned_at >= PRUNE_INTERVAL:
            await self._prune()
            self._pruned_at = loop.time()
        return await self._deliveries(page.events)

    async def write(self, conn: asyncpg.Connection, made: list[NewDelivery]) -> None:
        await enqueue(conn, made, self._retry_seconds)

    def written(self, made: list[NewDelivery]) -> None:
        self._enqueued()

    async def _prune(self) -> None:
        async with self._store.pool.acquire() as conn:
            if pruned := await prune(conn, self._log_days):
                log.info("webhook delivery log: %d deliveries past their keeping dropped", pruned)

    async def _deliveries(self, events: Sequence[RecordedEvent]) -> list[NewDelivery]:
        if not events:
            return []
        # The read models of endpoints and of their tokens must show the page (an endpoint
        # registered just before it gets its events), and, if some endpoint may get them,
        # those visibility is read from.
        await self._runner.wait_for(events[-1].position, ENDPOINT_MODELS)
        async with self._store.pool.acquire() as conn:
            found = await targets(conn)
        if not found:
            return []
        await self._runner.wait_for(events[-1].position, READ_MODELS)
        async with self._store.pool.acquire() as conn:
            wanted = {t: [e for e in events if self._matches(t, e)] for t in found}
            members = {t.member_id for t, matched in wanted.items() if matched and not t.admin}
            visibility = await _visibility(conn, events, members)
        index = {e.position: i for i, e in enumerate(events)}
        bodies: dict[int, bytes] = {}
        deliveries = []
        for target, matched in wanted.items():
            for event in matched:
                if visibility is not None and not target.admin:
                    if not visibility.may_see(index[event.position], event, target.member_id):
                        continue
                if (body := bodies.get(event.position)) is None:
                    body = bodies[event.position] = envelope(event, self._source)
                deliveries.append(
                    NewDelivery(
                        message_id(target.id, event.id),
                        target.id,
                        event.position,
                        event.type,
                        body,
                    )
                )
        return deliveries

    def _matches(self, target: Target, event: RecordedEvent) -> bool:
        return event.position > target.since_position and self._filter(target).matches(event)

    def _filter(self, target: Target) -> EventFilter:
        found = self._filters.get(target)
        if found is None:
            ids = (target.community, target.member, target.path)
            found = EventFilter(
                parse_types(",".join(target.types)), frozenset(i for i in ids if i is not None)
            )
            if len(self._filters) > 10_000:
                self._filters.clear()
            self._filters[target] = found
        return found


async def _visibility(
    conn: asyncpg.Connection, events: Sequence[RecordedEvent], members: set[str]
) -> Visibility | None:
    if not members:
        return None
    visibility = await Visibility.of(conn, events)
    await visibility.know(conn, members)
    return visibility
