"""The inbox over real HTTP: a remote server on loopback (its own actor document and RSA key)
signs a `Follow` of our member or community and POSTs it; the follow stands, once however often
it arrives, and an `Undo` ends it. Malformed, oversized, unsigned, forged and misattributed
activities are refused and write nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from server.api.keys import COMMANDS
from server.domain import remote_follows
from server.federation import state
from server.federation.signatures.common import Scheme
from server.federation.signatures.schemes import sign_request
from server.federation.urls import Urls
from tests.api.conftest import Client, register, settle
from tests.api.test_paths import _community
from tests.api.test_streams import streamer


@dataclass
class Remote:
    """Another server: one actor, `alice`, with her key and inbox."""

    base: str
    key: rsa.RSAPrivateKey
    fetched: int = 0
    """How often alice's document was fetched."""

    @property
    def alice(self) -> str:
        return f"{self.base}/users/alice"


def _document(base: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    actor = f"{base}/users/alice"
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor, "type": "Person", "preferredUsername": "alice",
        "inbox": f"{actor}/inbox", "endpoints": {"sharedInbox": f"{base}/inbox"},
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": pem.decode()},
    }  # fmt: skip


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app = web.Application()
    server = TestServer(app, host="127.0.0.1")

    async def alice(request: web.Request) -> web.Response:
        made.fetched += 1
        body = _document(made.base, key)
        return web.json_response(body, content_type="application/activity+json")

    app.router.add_get("/users/alice", alice)
    async with server:
        made = Remote(str(server.make_url("")).rstrip("/"), key)
        yield made


async def _post(
    client: Client,
    remote: Remote,
    activity: dict[str, Any],
    *,
    path: str = "/ap/inbox",
    key: rsa.RSAPrivateKey | None = None,
    key_id: str | None = None,
    scheme: Scheme = Scheme.CAVAGE,
    body: bytes | None = None,
    content_type: str = "application/activity+json",
) -> tuple[int, Any]:
    url = Urls(client.server.app[state.OPTIONS].base_url).base + path
    payload = body if body is not None else msgspec.json.encode(activity)
    headers = sign_request(
        scheme, "POST", url, {"Content-Type": content_type}, payload,
        private_key=key or remote.key, key_id=key_id or remote.alice + "#main-key",
        now=datetime.now(UTC),
    )  # fmt: skip
    response = await client.post(path, data=payload, headers=headers)
    text = await response.text()
    return response.status, msgspec.json.decode(text) if text else None


def _follow(remote: Remote, target: str, n: int = 1) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.alice}#follows/{n}", "type": "Follow",
        "actor": remote.alice, "object": target,
    }  # fmt: skip


async def _followers(client: Client, actor: str) -> int:
    path = actor.removeprefix(client.server.app[state.OPTIONS].base_url) + "/followers"
    response = await client.get(path, headers={"Accept": "application/activity+json"})
    return (await response.json(content_type=None))["totalItems"]


async def _events(client: Client) -> int:
    return await client.server.app[COMMANDS].store.last_position()


async def test_a_follow_of_a_member_stands_once_and_an_undo_ends_it(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    await settle(client)
    target = Urls(client.server.app[state.OPTIONS].base_url).member(ada.id).id
    follow = _follow(remote, target)

    for scheme in (Scheme.CAVAGE, Scheme.RFC9421):  # delivered twice, either scheme
        assert (await _post(client, remote, follow, scheme=scheme))[0] == 202
    await settle(client)
    assert await _followers(client, target) == 1
    written = await _events(client)
    assert (await _post(client, remote, follow, path=f"/ap/members/{ada.id}/inbox"))[0] == 202
    assert await _events(client) == written  # the same activity: nothing more

    undo = {"id": f"{remote.alice}#undo/1", "type": "Undo", "actor": remote.alice,
            "object": follow}  # fmt: skip
    assert (await _post(client, remote, undo))[0] == 202
    await settle(client)
    assert await _followers(client, target) == 0


async def test_communities_that_approve_members_leave_follows_pending(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    open_one = await _community(ada, "sql")
    body = {"slug": "club", "name": "Club", "visibility": "public", "join_policy": "approval"}
    club = (await ada.expect("POST", "/api/v1/communities", 201, json=body))["id"]
    hidden = await _community(ada, "hidden", visibility="members_only")
    await settle(client)
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    for n, community in enumerate((open_one, club)):
        status, _ = await _post(client, remote, _follow(remote, urls.community(community).id, n))
        assert status == 202
    status, refused = await _post(client, remote, _follow(remote, urls.community(hidden).id, 9))
    assert status == 404, refused  # members-only: not followable from elsewhere
    await settle(client)
    members_of_open = 1  # ada, who made it
    assert await _followers(client, urls.community(open_one).id) == members_of_open + 1
    assert await _followers(client, urls.community(club).id) == 1  # ada; alice waits


async def test_what_is_refused_writes_nothing(client: Client, remote: Remote) -> None:
    ada = await register(client, "ada")
    await settle(client)
    follow = _follow(remote, Urls(client.server.app[state.OPTIONS].base_url).member(ada.id).id)
    await client.get("/ap/instance")  # its keys exist (made when first needed) before we count
    before = await _events(client)
    mallory = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    status, problem = await _post(client, remote, follow, key=mallory)
    assert status == 401 and problem["reason"] == "bad_signature"
    someone_else = {**follow, "actor": f"{remote.base}/users/bob"}
    status, problem = await _post(client, remote, someone_else)
    assert status == 401 and problem["reason"] == "key_not_actors"
    status, problem = await _post(client, remote, follow, key_id=f"{remote.base}/users/x#k")
    assert status == 401 and problem["reason"] == "unknown_key"
    unsigned = {"Content-Type": "application/activity+json"}
    response = await client.post("/ap/inbox", data=msgspec.json.encode(follow), headers=unsigned)
    assert response.status == 401 and (await response.json())["reason"] == "no_signature"

    status, problem = await _post(client, remote, follow, body=b"{not json")
    assert status == 400 and problem["errors"][0]["field"] == "body"
    status, problem = await _post(client, remote, {"type": "Follow", "actor": remote.alice})
    assert status == 400 and problem["errors"][0]["field"] == "id"
    status, _ = await _post(client, remote, follow, content_type="text/plain")
    assert status == 415
    status, _ = await _post(client, remote, {**follow, "padding": "x" * 300_000})
    assert status == 413
    status, _ = await _post(client, remote, {**follow, "object": "https://elsewhere.example/u"})
    assert status == 404
    assert await _events(client) == before


async def test_the_same_follow_arriving_six_times_at_once_is_written_once(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    await settle(client)
    target = Urls(client.server.app[state.OPTIONS].base_url).member(ada.id)
    follow = _follow(remote, target.id)
    answers = await asyncio.gather(*(_post(client, remote, follow) for _ in range(6)))
    assert [status for status, _ in answers] == [202] * 6
    stream = "remotefollow-" + remote_follows.key(ada.id, remote.alice)
    written = await client.server.app[COMMANDS].store.read_stream(stream)
    assert [e.type for e in written] == ["remote.follow_requested", "remote.follow_accepted"]


async def test_a_blocked_domain_is_refused_before_anything_is_fetched(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    root = await streamer(client)
    remote_host = remote.base.removeprefix("http://")
    await root.expect("POST", "/api/v1/admin/domain_blocks", 201, json={"domain": remote_host})
    await settle(client)
    follow = _follow(remote, Urls(client.server.app[state.OPTIONS].base_url).member(ada.id).id)
    before = await _events(client)
    status, problem = await _post(client, remote, follow)
    assert status == 403 and problem["reason"] == "domain_blocked"
    assert remote.fetched == 0 and await _events(client) == before
