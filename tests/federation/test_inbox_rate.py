"""The inbox's rate per remote server, over real HTTP: a server that sends more than its burst
gets 429 with Retry-After — before its signature is looked at, and with nothing written — while
another server is unaffected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
import pytest

from server.config import Settings
from tests.api.conftest import SECRET_KEY, Client
from tests.federation.test_inbox_checks import Remote, _events, _follow, _member, _post, remotes

__all__ = ["remotes"]  # the fixture, shared


@pytest.fixture
def settings(port: int) -> Settings:
    """Three activities per remote server, and next to no refill."""
    return Settings(
        secret_key=SECRET_KEY,
        public_url=f"http://127.0.0.1:{port}",
        federation_allow_private_addresses=True,
        federation_inbox_rate=0.01,
        federation_inbox_burst=3,
    )


async def test_a_server_over_its_rate_gets_429_and_another_is_unaffected(
    client: Client, remotes: Callable[[], Awaitable[Remote]]
) -> None:
    busy, quiet = await remotes(), await remotes()
    target = await _member(client)
    for n in range(3):
        assert (await _post(client, busy, _follow(busy, target, n))).status == 202
    before = await _events(client)

    over = await _post(client, busy, _follow(busy, target, 3))
    assert over.status == 429
    assert over.content_type == "application/problem+json"
    assert int(over.headers["Retry-After"]) >= 1
    unsigned = await client.post(
        "/ap/inbox",
        data=msgspec.json.encode(_follow(busy, target, 4)),
        headers={"Content-Type": "application/activity+json"},
    )
    assert unsigned.status == 429  # refused before the signature is looked at
    assert await _events(client) == before

    assert (await _post(client, quiet, _follow(quiet, target))).status == 202
