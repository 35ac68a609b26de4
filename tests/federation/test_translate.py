"""What our events make other servers receive, end to end over loopback: a remote actor follows
a member and a community and gets each follow's `Accept`; a post in the community reaches it as
the author's `Create` and the community's `Announce` (FEP-1b12) — at its shared inbox, signed by
each actor — and a members-only post never does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from server.federation import state
from server.federation.signatures.common import SignatureRejected
from server.federation.signatures.schemes import verify_request
from server.federation.urls import Urls
from tests.api.conftest import Client, register, settle
from tests.api.test_paths import _community
from tests.federation.inbox_sink import OurKeys
from tests.federation.test_inbox import Remote, _document, _follow, _post


@dataclass
class Server(Remote):
    """Alice's server: her actor document, and every POST to it with the key that signed it."""

    received: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [activity for _, activity, _ in self.received if activity["type"] == kind]


@pytest.fixture
async def alice(client: Client) -> AsyncIterator[Server]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ours = OurKeys(client.server.app[state.VAULT])
    app = web.Application()
    server = TestServer(app, host="127.0.0.1")

    async def actor(request: web.Request) -> web.Response:
        return web.json_response(
            _document(made.base, key), content_type="application/activity+json"
        )

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verified = await verify_request("POST", str(request.url), request.headers, body,
                                            keys=ours, now=datetime.now(UTC))  # fmt: skip
        except SignatureRejected:
            return web.Response(status=401)
        made.received.append((request.path, msgspec.json.decode(body), verified.key_id))
        return web.Response(status=202)

    app.router.add_get("/users/alice", actor)
    app.router.add_post("/{path:.*}", inbox)
    async with server:
        made = Server(str(server.make_url("")).rstrip("/"), key)
        yield made


async def _until(check: Any, seconds: float = 15) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 (waiting on another server's deliveries)
            await asyncio.sleep(0.05)


async def test_a_remote_follower_gets_accepts_then_posts(client: Client, alice: Server) -> None:
    ada = await register(client, "ada")
    sql = await _community(ada, "sql")
    hidden = await _community(ada, "hidden", visibility="members_only")
    await settle(client)
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    member, community = urls.member(ada.id), urls.community(sql)
    for n, target in enumerate((member.id, community.id)):
        assert (await _post(client, alice, _follow(alice, target, n)))[0] == 202

    await _until(lambda: len(alice.of_type("Accept")) == 2)
    accepts = {a["actor"]: a for a in alice.of_type("Accept")}
    assert accepts[member.id]["object"]["id"] == _follow(alice, member.id, 0)["id"]
    assert accepts[community.id]["object"]["actor"] == alice.alice
    # Each Accept went to alice's own inbox, signed by the actor that accepts.
    assert {(path, key) for path, a, key in alice.received if a["type"] == "Accept"} == {
        ("/users/alice/inbox", member.main_key),
        ("/users/alice/inbox", community.main_key),
    }

    inside = await ada.expect("POST", "/api/v1/posts", 201,
                              json={"body": "members only", "community_id": hidden})  # fmt: skip
    post = await ada.expect("POST", "/api/v1/posts", 201,
                            json={"body": "Hello *fediverse*", "community_id": sql})  # fmt: skip
    await _until(lambda: alice.of_type("Create") and alice.of_type("Announce"))
    [create], [announce] = alice.of_type("Create"), alice.of_type("Announce")
    assert create["actor"] == member.id and announce["actor"] == community.id
    for activity in (create, announce):
        note = activity["object"]
        assert note["id"] == urls.post(post["id"]) and note["type"] == "Note"
        assert note["content"] == "<p>Hello <em>fediverse</em></p>"
        assert note["audience"] == community.id
    assert {path for path, a, _ in alice.received if a["type"] in ("Create", "Announce")} == {
        "/inbox"  # public: her server's shared inbox
    }
    seen = msgspec.json.encode([activity for _, activity, _ in alice.received])
    assert inside["id"].encode() not in seen and b"members only" not in seen
