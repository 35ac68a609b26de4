"""A webhook receiver for tests: a real aiohttp server on loopback that records every delivery,
answers with the statuses it is told to, and checks signatures by the Standard Webhooks spec
itself — and with the standardwebhooks reference library."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web
from standardwebhooks import Webhook

WAIT = 15
"""Seconds a test waits for a delivery before it fails."""
TOLERANCE = 5 * 60
"""Seconds a `webhook-timestamp` may be from the receiver's clock (the spec's suggestion)."""


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def envelope(self) -> dict[str, Any]:
        return msgspec.json.decode(self.body)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The spec's check, written from its text: the key is the base64 after `whsec_`; the
    signed content is `{webhook-id}.{webhook-timestamp}.{body}` under HMAC-SHA256; any of the
    space-separated `v1,<base64>` signatures may match; the timestamp must be recent."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE:
        return False
    content = f"{headers['webhook-id']}.{timestamp}.".encode() + body
    expected = hmac.new(key, content, hashlib.sha256).digest()
    for signature in headers["webhook-signature"].split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
            return True
    return False


def verify_with_library(secret: str, delivery: Delivery) -> Any:
    """What a receiver using the reference library would accept (raises otherwise)."""
    return Webhook(secret).verify(delivery.body, delivery.headers)


class Receiver:
    """Answers each delivery with the next of `statuses` (then 204), recording it."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[Delivery] = asyncio.Queue()
        self.log: list[Delivery] = []
        self.statuses: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        delivery = Delivery(dict(request.headers), await request.read())
        delivery.headers = {k.lower(): v for k, v in delivery.headers.items()}
        self.log.append(delivery)
        self.received.put_nowait(delivery)
        status = self.statuses.pop(0) if self.statuses else 204
        return web.Response(status=status, text="" if status == 204 else f"answered {status}")

    async def next(self) -> Delivery:
        """The next delivery received (failing the test after `WAIT` seconds)."""
        async with asyncio.timeout(WAIT):
            return await self.received.get()


@asynccontextmanager
async def receiving(receiver: Receiver | None = None) -> AsyncIterator[Receiver]:
    """`receiver` served on a loopback port of its own until the block ends."""
    receiver = receiver or Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()
