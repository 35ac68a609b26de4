"""The delivery sender: in every server process, claims due deliveries from the queue
(server/federation/delivery_queue.py) and POSTs them to their inboxes, signed by their actor.

Each request goes through the signed client (server/federation/client.py): signed as the
activity's actor, RFC 9421 first and draft-cavage at once after a 400 or 401, to public
addresses only. The answer moves the delivery on and counts for or against its host as
server/federation/delivery_rules.py says. At most `concurrency` requests are in flight from
this process, and at most `host_concurrency` to one host from the whole cluster.

A delivery whose host has come under a blocked domain since it was enqueued is not sent: it
fails at once, saying so, and counts neither as an attempt nor against its host.

The sender wakes when this process enqueues (`wake`), when a request ends (a slot is free),
when a retry falls due, and at least every `POLL_SECONDS`, which is how deliveries enqueued by
another process reach it. Every minute it also fails deliveries whose retry window ended
while their host stayed unreachable, and forgets deliveries finished `KEEP_DAYS` ago.

At least once: a process that stops or dies mid-request leaves the delivery to be claimed
again when its lease ends, and the inbox may get it twice; receivers drop repeats by the
activity's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from server.db import CONNECTION_LOST
from server.events.store import EventStore
from server.federation import delivery_queue, delivery_rules
from server.federation.client import FetchFailed, SignedClient
from server.federation.delivery_queue import Attempt, Claimed
from server.projections.domain_blocks import blocked_hosts
from server.retry import retry_after

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
LEASE_MARGIN_SECONDS = 10.0
"""A claim outlasts the longest a request can take (two knocks, each within the timeout) by
this much before another sender may take it."""
MAINTENANCE_SECONDS = 60.0
"""Seconds between two sweeps of expired and finished deliveries."""
KEEP_DAYS = 7
"""Days a finished delivery (delivered or failed) stays in the queue, for operators to see."""
ERROR_CHARACTERS = 500
"""Characters of an error, or of a refusing answer's body, kept with a delivery."""


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    concurrency: int
    """Requests this process has in flight at most."""
    host_concurrency: int
    """Requests in flight to one host at most, from all processes together."""
    first_retry_seconds: float
    """Wait before a failed delivery's first retry (and an unreachable host's first probe)."""
    timeout_seconds: float
    """How long a server has to answer one request (the signed client's timeout)."""


class DeliverySender:
    def __init__(self, store: EventStore, client: SignedClient, options: DeliveryOptions) -> None:
        self._store = store
        self._client = client
        self._options = options
        self._wake = asyncio.Event()
        self._sending: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._maintained_at = -MAINTENANCE_SECONDS

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep_sending(), name="learnwork-federation-sender")

    async def close(self) -> None:
        """Stop claiming; requests in flight are abandoned, to be claimed again when their
        lease ends (at least once: an inbox may get one twice)."""
        for task in [self._task, *self._sending]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._sending]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def wake(self) -> None:
        """Look for due deliveries now."""
        self._wake.set()

    async def _keep_sending(self) -> None:
        while True:
            try:
                await self._maintain()
                await self._claim_and_wait()
            except CONNECTION_LOST as exc:
                log.warning("federation sender: connection lost (%s); retrying", exc)
                await asyncio.sleep(POLL_SECONDS)
            except Exception:
                log.exception("federation sender failed; retrying in %.0f s", POLL_SECONDS)
                await asyncio.sleep(POLL_SECONDS)

    async def _maintain(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._maintained_at < MAINTENANCE_SECONDS:
            return
        self._maintained_at = now
        async with self._store.pool.acquire() as conn:
            if expired := await delivery_queue.expire(conn):
                log.info("federation: %d deliveries failed, their retry window over", expired)
            await delivery_queue.prune(conn, KEEP_DAYS)

    async def _claim_and_wait(self) -> None:
        self._wake.clear()
        free = self._options.concurrency - len(self._sending)
        wait = POLL_SECONDS
        if free > 0:
            lease = 2 * self._options.timeout_seconds + LEASE_MARGIN_SECONDS
            async with self._store.pool.acquire() as conn:
                claimed = await delivery_queue.claim(
                    conn, free, self._options.host_concurrency, lease
                )
                if len(claimed) < free and (due := await delivery_queue.seconds_to_next(conn)):
                    wait = min(max(due, 0.001), POLL_SECONDS)
                sendable = await _drop_blocked(conn, claimed)
            for delivery in sendable:
                task = asyncio.create_task(self._send(delivery))
                self._sending.add(task)
                task.add_done_callback(self._done)
            if len(claimed) == free:
                return  # perhaps more are due: claim again when a slot frees
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._wake.wait()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._wake.set()  # a slot is free
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("federation delivery failed; tried again when its lease ends", exc_info=error)

    async def _send(self, delivery: Claimed) -> None:
        attempt, wait = await self._post(delivery)
        options = self._options
        result = delivery_rules.outcome(
            attempt.status,
            attempts=delivery.attempts + 1,
            now=datetime.now(UTC),
            retry_until=delivery.retry_until,
            first=options.first_retry_seconds,
            draw=random.random(),
            wait=wait,
        )
        async with self._store.pool.acquire() as conn:
            await delivery_queue.record(
                conn,
                delivery,
                attempt,
                result,
                host_failed=delivery_rules.host_failed(attempt.status),
                host_wait=lambda failures: delivery_rules.host_wait(
                    failures, options.first_retry_seconds, random.random()
                ),
            )

    async def _post(self, delivery: Claimed) -> tuple[Attempt, float | None]:
        """POST the delivery once (two knocks at most): what came of it, and the Retry-After it
        was answered with."""
        try:
            answer = await self._client.deliver(
                delivery.inbox, delivery.body, actor=delivery.actor, key_id=delivery.key_id
            )
        except FetchFailed as exc:
            return Attempt(error=_clean(str(exc))), None
        error = None
        if not 200 <= answer.status < 300 and answer.body:
            error = _clean(answer.body.decode("utf-8", "replace"))
        wait = retry_after(answer.retry_after, datetime.now(UTC))
        return Attempt(answer.status, error), wait


async def _drop_blocked(conn: asyncpg.Connection, claimed: list[Claimed]) -> list[Claimed]:
    """The claimed deliveries to send: those whose host a domain block keeps out are failed
    instead."""
    if not claimed:
        return claimed
    blocked = await blocked_hosts(conn, {delivery.host for delivery in claimed})
    if not blocked:
        return claimed
    dropped = [(d, f"not sent: {blocked[d.host]} is blocked") for d in claimed if d.host in blocked]
    await delivery_queue.drop(conn, dropped)
    log.info("federation: %d deliveries to blocked domains dropped", len(dropped))
    return [delivery for delivery in claimed if delivery.host not in blocked]


def _clean(text: str) -> str:
    return text.replace("\x00", "")[:ERROR_CHARACTERS]


DELIVERY = web.AppKey("federation_delivery", DeliverySender)
