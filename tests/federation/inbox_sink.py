"""Other servers' inboxes for delivery tests: a real aiohttp server on loopback that checks
each request's HTTP signature as a receiving server would, answers with the statuses it is
told to, and records what came and how many requests it had in flight at once."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.test_utils import TestServer

from server.federation.keys import KeyVault
from server.federation.signatures.common import PublicKey, SignatureRejected
from server.federation.signatures.schemes import verify_request


class OurKeys:
    """The key source a receiver of our deliveries ends up with: a member's or community's key
    id (`…/ap/members/{id}#main-key`) gives that actor's public key, from our vault."""

    def __init__(self, vault: KeyVault) -> None:
        self._vault = vault

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKey | None:
        actor, _, fragment = key_id.partition("#")
        if fragment != "main-key" or not ("/ap/members/" in actor or "/ap/communities/" in actor):
            return None
        keys = await self._vault.keys(actor.rsplit("/", 1)[1])
        return PublicKey(key_id=key_id, owner=actor, key=keys.rsa.public_key())


@dataclass
class Received:
    path: str
    body: bytes
    headers: dict[str, str]
    key_id: str | None
    """The key the signature verified with; None when it did not."""
    status: int | None = None
    """What the sink answered; None until it does (never, if the request was cut off)."""

    @property
    def activity(self) -> dict[str, Any]:
        return msgspec.json.decode(self.body)


def free_port() -> int:
    """A loopback port nobody listens on (connections to it are refused until a sink does)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """An inbox server, logging each request as it comes. Each gets the next of `answers` (a
    status, or a status and headers), then 202; one whose signature does not verify gets 401
    as a real server would.
    With `hold` set, each request waits that many seconds before its answer; the next `held`
    requests wait until `release` is set."""

    def __init__(self, keys: OurKeys, port: int | None = None) -> None:
        self.keys = keys
        self.port = port or free_port()
        self.answers: list[int | tuple[int, dict[str, str]]] = []
        self.hold = 0.0
        self.held = 0
        self.release = asyncio.Event()
        self.log: list[Received] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.timeline: list[str] = []
        """`start` and `end` of each request, in the order they happened."""
        self._server: TestServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def accepted(self) -> Counter[tuple[str, str]]:
        """How many times each (path, activity id) was answered with a 2xx."""
        return Counter(
            (r.path, r.activity["id"]) for r in self.log if r.status and 200 <= r.status < 300
        )

    async def __aenter__(self) -> Sink:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1", port=self.port)
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        await self._server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.timeline.append("start")
        try:
            body = await request.read()
            received = Received(
                request.path, body, dict(request.headers), await self._verify(request, body)
            )
            self.log.append(received)
            if self.hold:
                await asyncio.sleep(self.hold)
            if self.held:
                self.held -= 1
                await self.release.wait()
            status, headers = 401, {}
            if received.key_id is not None:
                answer = self.answers.pop(0) if self.answers else 202
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
            received.status = status
            return web.Response(status=status, headers=headers, text=f"answered {status}")
        finally:
            self.in_flight -= 1
            self.timeline.append("end")

    async def _verify(self, request: web.Request, body: bytes) -> str | None:
        try:
            verified = await verify_request(
                "POST", str(request.url), request.headers, body, keys=self.keys,
                now=datetime.now(UTC),
            )  # fmt: skip
        except SignatureRejected:
            return None
        return verified.key_id
