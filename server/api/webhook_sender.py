"""The webhook sender: in every server process, claims due deliveries and POSTs them.

Each delivery is the event's CloudEvents envelope, signed the Standard Webhooks way
(server/api/webhook_signing.py) with the endpoint's secret — and with its previous secret too
for `PREVIOUS_SECRET_HOURS` after a rotation. A 2xx answer delivers it; anything else is tried
again on the schedule of server/api/webhook_schedule.py until its retry window ends. Redirects
are not followed (Standard Webhooks: update the URL instead).

An endpoint is disabled, with the reason, when it answers 410 Gone, or when a delivery fails
for good and nothing at all reached the endpoint during that delivery's retry window — it has
been failing for the whole window, not just refusing one event.

The sender wakes when this process enqueues or redelivers (`wake`), when a retry falls due,
and at least every `POLL_SECONDS`, which is how deliveries enqueued by another process reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from server.api import webhook_queue, webhook_signing
from server.api.keys import ApiOptions
from server.api.webhook_queue import Attempt, Claimed
from server.api.webhook_schedule import outcome
from server.commands import webhooks
from server.commands.context import Commands
from server.db import CONNECTION_LOST
from server.outbound import REFUSED, GuardedResolver, allowed, literal
from server.retry import retry_after

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
PREVIOUS_SECRET_HOURS = 24
LEASE_MARGIN_SECONDS = 10.0
"""A claim outlasts the request's timeout by this much before another sender may take it."""
USER_AGENT = "Learnwork-Webhooks/1"


class WebhookSender:
    def __init__(self, cx: Commands, options: ApiOptions) -> None:
        self._cx = cx
        self._options = options
        self._wake = asyncio.Event()
        self._sending: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                resolver=GuardedResolver(self._options.webhook_allow_private_addresses),
                limit=self._options.webhook_concurrency,
            ),
            timeout=aiohttp.ClientTimeout(total=self._options.webhook_timeout_seconds),
            headers={"User-Agent": USER_AGENT},
        )
        self._task = asyncio.create_task(self._keep_sending(), name="learnwork-webhook-sender")

    async def close(self) -> None:
        """Stop claiming; deliveries in flight are abandoned, to be claimed again when their
        lease ends (at least once: a receiver may get one twice)."""
        for task in [self._task, *self._sending]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._sending]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._session is not None:
            await self._session.close()

    def wake(self) -> None:
        """Look for due deliveries now."""
        self._wake.set()

    async def _keep_sending(self) -> None:
        while True:
            try:
                await self._claim_and_wait()
            except CONNECTION_LOST as exc:
                log.warning("webhook sender: connection lost (%s); retrying", exc)
                await asyncio.sleep(POLL_SECONDS)
            except Exception:
                log.exception("webhook sender failed; retrying in %.0f s", POLL_SECONDS)
                await asyncio.sleep(POLL_SECONDS)

    async def _claim_and_wait(self) -> None:
        self._wake.clear()
        free = self._options.webhook_concurrency - len(self._sending)
        wait = POLL_SECONDS
        if free > 0:
            lease = self._options.webhook_timeout_seconds + LEASE_MARGIN_SECONDS
            async with self._cx.store.pool.acquire() as conn:
                claimed = await webhook_queue.claim(conn, free, lease)
                if len(claimed) < free and (due := await webhook_queue.seconds_to_next(conn)):
                    wait = min(max(due, 0.001), POLL_SECONDS)
            for delivery in claimed:
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
            log.error("webhook delivery failed to be recorded", exc_info=error)

    async def _send(self, delivery: Claimed) -> None:
        attempt, wait = await self._post(delivery)
        now = datetime.now(UTC)
        result = outcome(
            attempt.status,
            attempts=delivery.attempts + 1,
            now=now,
            retry_until=delivery.retry_until,
            first=self._options.webhook_first_retry_seconds,
            draw=random.random(),
            wait=wait,
        )
        async with self._cx.store.pool.acquire() as conn:
            if not await webhook_queue.record(conn, delivery, attempt, result):
                return  # redelivered meanwhile: the new claim will tell
            reason = result.disable
            if reason is None and result.status == "failed":
                since = delivery.retry_until - timedelta(
                    seconds=self._options.webhook_retry_seconds
                )
                if not await webhook_queue.delivered_since(conn, delivery.endpoint_id, since):
                    last = f"HTTP {attempt.status}" if attempt.status else str(attempt.error)
                    reason = (
                        f"every delivery failed for {_span(now - since)} (the last one, tried"
                        f" {delivery.attempts + 1} times, got {last})"
                    )
        if reason is not None:
            await webhooks.disable(self._cx, delivery.endpoint_id, reason)
            log.info("webhook endpoint %s disabled: %s", delivery.endpoint_id, reason)

    async def _post(self, delivery: Claimed) -> tuple[Attempt, float | None]:
        """POST the delivery once: what came of it, and the Retry-After it was answered with."""
        assert self._session is not None
        started = time.monotonic()
        attempted_at = datetime.now(UTC)
        body = delivery.body
        headers = {
            **webhook_signing.headers(
                self._keys(delivery, attempted_at), delivery.id, int(time.time()), body
            ),
            "Content-Type": "application/json",
        }
        status = error = response = wait = None
        host = urlsplit(delivery.url).hostname or ""
        try:
            if literal(host) is not None and not allowed(host, self._allow_private):
                raise OSError(f"{host} is {REFUSED}")
            async with self._session.post(
                delivery.url, data=body, headers=headers, allow_redirects=False
            ) as answer:
                status = answer.status
                wait = retry_after(answer.headers.get("Retry-After"), datetime.now(UTC))
                excerpt = await answer.content.read(webhook_queue.RESPONSE_EXCERPT)
                response = excerpt.decode("utf-8", "replace").replace("\x00", "")
        except TimeoutError:
            error = f"no answer within {self._options.webhook_timeout_seconds:g} s"
        except (aiohttp.ClientError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}".replace("\x00", "")[:500]
        duration = round((time.monotonic() - started) * 1000)
        return Attempt(attempted_at, duration, status, error, response), wait

    @property
    def _allow_private(self) -> bool:
        return self._options.webhook_allow_private_addresses

    def _keys(self, delivery: Claimed, now: datetime) -> list[bytes]:
        key = self._options.secret_key()
        keys = [webhook_signing.endpoint_key(key, delivery.endpoint_id, delivery.secret_salt)]
        rotated = delivery.rotated_at
        if (
            delivery.previous_salt
            and rotated is not None
            and now - rotated < timedelta(hours=PREVIOUS_SECRET_HOURS)
        ):
            keys.append(
                webhook_signing.endpoint_key(key, delivery.endpoint_id, delivery.previous_salt)
            )
        return keys


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds >= 86400:
        return f"{seconds / 86400:.3g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} hours"
    return f"{seconds:.3g} seconds"


WEBHOOK_SENDER = web.AppKey("webhook_sender", WebhookSender)
