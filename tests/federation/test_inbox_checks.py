"""The inbox's checks after the signature, over real HTTP against remote servers on loopback:
activities are handed on as read in our context (Pleroma's unknown context is fine, a broken
one a 400), and integrity proofs verify with the actor's Multikey or are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.api.keys import COMMANDS
from server.federation import state
from server.federation.integrity import sign_object
from server.federation.multikey import multikey
from server.federation.signatures.common import Scheme
from server.federation.signatures.schemes import sign_request
from server.federation.urls import Urls
from tests.api.conftest import Client, register, settle
from tests.federation.keyring import OTHER_ED25519


@dataclass
class Remote:
    """Another server with one actor, `alice`: her RSA key (HTTP signatures) and Ed25519 key
    (integrity proofs, her Multikey `#ed25519-key`)."""

    base: str
    rsa_key: rsa.RSAPrivateKey
    ed_key: Ed25519PrivateKey

    @property
    def alice(self) -> str:
        return f"{self.base}/users/alice"

    @property
    def method(self) -> str:
        return f"{self.alice}#ed25519-key"

    def document(self) -> dict[str, Any]:
        pem = self.rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                         "https://w3id.org/security/multikey/v1"],
            "id": self.alice, "type": "Person", "preferredUsername": "alice",
            "inbox": f"{self.alice}/inbox", "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": f"{self.alice}#main-key", "owner": self.alice,
                          "publicKeyPem": pem.decode()},
            "assertionMethod": [multikey(self.method, self.alice, self.ed_key.public_key())],
        }  # fmt: skip


@pytest.fixture
async def remotes() -> AsyncIterator[Callable[[], Awaitable[Remote]]]:
    """Starts remote servers, each on a port of its own: a host of its own to the inbox."""
    servers: list[TestServer] = []
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def start() -> Remote:
        app = web.Application()
        made: list[Remote] = []

        async def alice(_: web.Request) -> web.Response:
            document = made[0].document()
            return web.json_response(document, content_type="application/activity+json")

        app.router.add_get("/users/alice", alice)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        base = str(server.make_url("")).rstrip("/")
        made.append(Remote(base, rsa_key, Ed25519PrivateKey.generate()))
        return made[0]

    yield start
    for server in servers:
        await server.close()


async def _post(client: Client, remote: Remote, activity: dict[str, Any]) -> web.Response:
    url = Urls(client.server.app[state.OPTIONS].base_url).base + "/ap/inbox"
    body = msgspec.json.encode(activity)
    headers = sign_request(
        Scheme.RFC9421, "POST", url, {"Content-Type": "application/activity+json"}, body,
        private_key=remote.rsa_key, key_id=remote.alice + "#main-key", now=datetime.now(UTC),
    )  # fmt: skip
    return await client.post("/ap/inbox", data=body, headers=headers)


def _follow(remote: Remote, target: str, n: int = 1, **context: Any) -> dict[str, Any]:
    return {
        "@context": context.get("context", "https://www.w3.org/ns/activitystreams"),
        "id": f"{remote.alice}#follows/{n}", "type": "Follow",
        "actor": remote.alice, "object": target,
    }  # fmt: skip


async def _events(client: Client) -> int:
    return await client.server.app[COMMANDS].store.last_position()


async def _followers(client: Client, actor: str) -> int:
    path = actor.removeprefix(client.server.app[state.OPTIONS].base_url) + "/followers"
    response = await client.get(path, headers={"Accept": "application/activity+json"})
    return (await response.json(content_type=None))["totalItems"]


async def _member(client: Client) -> str:
    ada = await register(client, "ada")
    await client.get("/ap/instance")  # its keys exist (made when first needed) before we count
    await settle(client)
    return Urls(client.server.app[state.OPTIONS].base_url).member(ada.id).id


async def test_what_is_handed_on_is_read_in_our_context(
    client: Client, remotes: Callable[[], Awaitable[Remote]]
) -> None:
    remote = await remotes()
    target = await _member(client)
    litepub = ["https://www.w3.org/ns/activitystreams",
               f"{remote.base}/schemas/litepub-0.1.jsonld", {"@language": "und"}]  # fmt: skip
    assert (await _post(client, remote, _follow(remote, target, context=litepub))).status == 202
    await settle(client)
    assert await _followers(client, target) == 1

    before = await _events(client)
    broken = _follow(remote, target, 2, context={"actor": {"@id": 5}})
    response = await _post(client, remote, broken)
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "@context"
    # `actor` meaning something else: no actor once read as ActivityStreams.
    renamed = _follow(remote, target, 3, context={"actor": "https://elsewhere.example/ns#by"})
    response = await _post(client, remote, renamed)
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "actor"
    # ... and the real actor smuggled in under another name, past the checks of `actor`'s host.
    smuggled = {**renamed, "id": f"{remote.alice}#follows/4", "as:actor": remote.alice,
                "actor": "https://innocent.example/users/x"}  # fmt: skip
    response = await _post(client, remote, smuggled)
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "actor"
    assert await _events(client) == before


async def test_an_integrity_proof_must_verify_with_the_actors_own_key(
    client: Client, remotes: Callable[[], Awaitable[Remote]]
) -> None:
    remote = await remotes()
    target = await _member(client)
    now = datetime.now(UTC).replace(microsecond=0)
    before = await _events(client)

    tampered = sign_object(_follow(remote, target, 1), remote.ed_key, remote.method, now)
    tampered["object"] = f"{target}-not"
    response = await _post(client, remote, tampered)
    problem = await response.json()
    assert response.status == 401 and problem["reason"] == "bad_proof"
    assert problem["proof"] == "bad_proof"
    forged = sign_object(_follow(remote, target, 2), OTHER_ED25519, remote.method, now)
    response = await _post(client, remote, forged)
    assert response.status == 401 and (await response.json())["proof"] == "bad_proof"
    elsewhere = sign_object(_follow(remote, target, 3), remote.ed_key, f"{remote.alice}#k2", now)
    response = await _post(client, remote, elsewhere)
    assert response.status == 401 and (await response.json())["proof"] == "unknown_method"
    assert await _events(client) == before

    signed = sign_object(_follow(remote, target, 4), remote.ed_key, remote.method, now)
    assert (await _post(client, remote, signed)).status == 202
    other_suite = {**_follow(remote, target, 5), "proof": {**signed["proof"], "cryptosuite": "x"}}
    assert (await _post(client, remote, other_suite)).status == 202  # not ours to check


async def test_a_proof_with_someone_elses_key_is_refused(
    client: Client, remotes: Callable[[], Awaitable[Remote]]
) -> None:
    alice, mallory = await remotes(), await remotes()
    target = await _member(client)
    now = datetime.now(UTC).replace(microsecond=0)
    follow = sign_object(_follow(alice, target), mallory.ed_key, mallory.method, now)
    response = await _post(client, alice, follow)
    problem = await response.json()
    assert response.status == 401 and problem["proof"] == "not_actors", problem
