"""Signed requests to other servers, over real HTTP on loopback: a key fetched from an actor's
document verifies what that actor signed; a server that refuses RFC 9421 is asked again with
draft-cavage, and that is remembered; private addresses, oversized and malformed answers are
refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from server.federation import state
from server.federation.client import FetchFailed, SignedClient
from server.federation.keys import INSTANCE
from server.federation.remote_keys import RemoteKeys
from server.federation.signatures import cavage, rfc9421
from server.federation.signatures.common import Scheme
from server.federation.urls import Urls
from tests.api.conftest import Client, register, settle


@pytest.fixture
async def signed(client: Client) -> AsyncIterator[SignedClient]:
    made = SignedClient(client.server.app[state.VAULT], allow_private=True, max_bytes=64 * 1024)
    await made.start()
    yield made
    await made.close()


def _urls(client: Client) -> Urls:
    return Urls(client.server.app[state.OPTIONS].base_url)


async def test_a_fetched_key_verifies_what_its_actor_signed(
    client: Client, signed: SignedClient
) -> None:
    ada = await register(client, "ada")
    await settle(client)
    urls = _urls(client)
    actor = urls.member(ada.id)
    keys = await client.server.app[state.VAULT].keys(ada.id)
    inbox = urls.shared_inbox
    body = b'{"type":"Like"}'
    headers = rfc9421.sign_request("POST", inbox, {}, body, private_key=keys.rsa,
                                   key_id=actor.main_key, now=datetime.now(UTC))  # fmt: skip
    remote = RemoteKeys(signed, urls.instance.main_key)
    verified = await rfc9421.verify_request("POST", inbox, headers, body, keys=remote,
                                            now=datetime.now(UTC), require_digest=True)  # fmt: skip
    assert verified.owner == actor.id and verified.key_id == actor.main_key
    # A key id the actor does not publish, and an actor that does not exist, are no keys.
    assert await remote(actor.id + "#other-key", refresh=True) is None
    assert await remote(urls.member("0" * 8 + "-0000-4000-8000-" + "0" * 12).main_key,
                        refresh=False) is None  # fmt: skip


async def test_a_server_that_refuses_rfc9421_is_asked_with_cavage_and_remembered(
    client: Client, signed: SignedClient
) -> None:
    seen: list[str] = []

    async def only_cavage(request: web.Request) -> web.Response:
        scheme = "rfc9421" if "Signature-Input" in request.headers else "cavage"
        seen.append(scheme)
        if scheme == "rfc9421":
            return web.Response(status=401)
        return web.json_response({"id": str(request.url), "type": "Note"})

    app = web.Application()
    app.router.add_get("/note", only_cavage)
    async with TestServer(app, host="127.0.0.1") as remote:
        url = str(remote.make_url("/note"))
        urls = _urls(client)
        first = await signed.get(url, actor=INSTANCE, key_id=urls.instance.main_key)
        assert first["type"] == "Note" and seen == ["rfc9421", "cavage"]
        assert signed.scheme_for(url) is Scheme.CAVAGE
        await signed.get(url, actor=INSTANCE, key_id=urls.instance.main_key)
        assert seen == ["rfc9421", "cavage", "cavage"]  # knocks once now


async def test_what_is_refused(client: Client, signed: SignedClient) -> None:
    async def big(request: web.Request) -> web.Response:
        return web.json_response({"id": "x", "content": "x" * 100_000})

    async def deep(request: web.Request) -> web.Response:
        return web.Response(text='{"a":' * 40 + "1" + "}" * 40, content_type="application/json")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/big", big)
    app.router.add_get("/deep", deep)
    app.router.add_get("/html", html)
    key_id = _urls(client).instance.main_key
    async with TestServer(app, host="127.0.0.1") as remote:
        for path, why in (
            ("/big", "more than"),
            ("/deep", "too deep"),
            ("/html", "not answer JSON"),
        ):
            with pytest.raises(FetchFailed, match=why):
                await signed.get(str(remote.make_url(path)), actor=INSTANCE, key_id=key_id)
        guarded = SignedClient(client.server.app[state.VAULT], allow_private=False)
        await guarded.start()
        try:
            with pytest.raises(FetchFailed, match="private"):
                await guarded.get(str(remote.make_url("/big")), actor=INSTANCE, key_id=key_id)
        finally:
            await guarded.close()


async def test_cavage_signatures_verify_against_a_fetched_key_too(
    client: Client, signed: SignedClient
) -> None:
    ada = await register(client, "ada")
    await settle(client)
    urls = _urls(client)
    keys = await client.server.app[state.VAULT].keys(ada.id)
    actor = urls.member(ada.id)
    headers = cavage.sign_request("POST", actor.inbox, {}, b"{}", private_key=keys.rsa,
                                  key_id=actor.main_key, now=datetime.now(UTC))  # fmt: skip
    verified = await cavage.verify_request("POST", actor.inbox, headers, b"{}",
                                           keys=RemoteKeys(signed, urls.instance.main_key),
                                           now=datetime.now(UTC), require_digest=True)  # fmt: skip
    assert verified.owner == actor.id
