"""Alice's server, for tests of what federation sends: a real aiohttp server on loopback with
her actor document, whose inbox checks each POST as a receiving server would — its HTTP
signature, with the key of the actor it names, and the activity's integrity proof (FEP-8b32),
with the Ed25519 key that actor's document publishes, fetched from our app over HTTP — and
records what came. While `refusing`, it answers 503, as a server down for a while does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import msgspec
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from server.federation import state
from server.federation.integrity import ProofRejected, verify_object
from server.federation.multikey import from_public_key_multibase
from server.federation.negotiation import ACTIVITY_JSON
from server.federation.signatures.common import SignatureRejected
from server.federation.signatures.schemes import verify_request
from tests.api.conftest import Client
from tests.federation.inbox_sink import OurKeys
from tests.federation.test_inbox import Remote, _document, _follow, _post


@dataclass
class Delivered:
    path: str
    activity: dict[str, Any]
    key_id: str
    """The key the HTTP signature verified with."""
    proof: str | None
    """The verification method the integrity proof verified with; None: it did not verify."""


@dataclass
class Server(Remote):
    received: list[Delivered] = field(default_factory=list)
    refusing: bool = False
    refused: int = 0
    """Deliveries answered 503 while refusing."""

    @property
    def host(self) -> str:
        """As deliveries name the server: with its port."""
        return self.base.removeprefix("http://")

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [d.activity for d in self.received if d.activity["type"] == kind]

    def mentioning(self, text: str) -> list[dict[str, Any]]:
        """The activities received whose JSON holds `text`."""
        found = text.encode()
        return [d.activity for d in self.received if found in msgspec.json.encode(d.activity)]


@asynccontextmanager
async def follower(client: Client) -> AsyncIterator[Server]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ours = OurKeys(client.server.app[state.VAULT])
    app = web.Application()
    server = TestServer(app, host="127.0.0.1")

    async def actor(request: web.Request) -> web.Response:
        return web.json_response(_document(made.base, key), content_type=ACTIVITY_JSON)

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verified = await verify_request("POST", str(request.url), request.headers, body,
                                            keys=ours, now=datetime.now(UTC))  # fmt: skip
        except SignatureRejected:
            return web.Response(status=401)
        if made.refusing:
            made.refused += 1
            return web.Response(status=503)
        activity = msgspec.json.decode(body)
        proof = await _proof(session, activity)
        made.received.append(Delivered(request.path, activity, verified.key_id, proof))
        return web.Response(status=202)

    app.router.add_get("/users/alice", actor)
    app.router.add_post("/{path:.*}", inbox)
    async with server, aiohttp.ClientSession() as session:
        made = Server(str(server.make_url("")).rstrip("/"), key)
        yield made


async def _proof(session: aiohttp.ClientSession, activity: dict[str, Any]) -> str | None:
    """The verification method of the activity's proof, checked with the key its actor's
    document lists under that id in `assertionMethod`; None if it does not verify."""

    async def resolve(method: str) -> Ed25519PublicKey | None:
        async with session.get(method.partition("#")[0], headers={"Accept": ACTIVITY_JSON}) as r:
            document = await r.json(content_type=None)
        for found in document.get("assertionMethod", []):
            if found["id"] == method and found["controller"] == document["id"]:
                return from_public_key_multibase(found["publicKeyMultibase"])
        return None

    try:
        return await verify_object(activity, resolve)
    except ProofRejected:
        return None


async def until(check: Callable[[], Any], seconds: float = 15) -> None:
    """Wait for `check` (a function, or a coroutine function) to hold, failing the test after
    `seconds`."""
    async with asyncio.timeout(seconds):
        while True:
            held = check()
            if await held if asyncio.iscoroutine(held) else held:
                return
            await asyncio.sleep(0.05)


async def follow(client: Client, alice: Server, *targets: str) -> None:
    """Alice follows each of `targets` (actor ids of ours), and has their Accepts."""
    accepted = len(alice.of_type("Accept"))
    for n, target in enumerate(targets):
        assert (await _post(client, alice, _follow(alice, target, accepted + n)))[0] == 202
    await until(lambda: len(alice.of_type("Accept")) == accepted + len(targets))
