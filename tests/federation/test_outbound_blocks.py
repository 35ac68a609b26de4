"""Domain blocks stop what federation sends, end to end over loopback: nothing is enqueued for
an inbox on a blocked domain (or a host under it), and a delivery already queued when the
block is made is dropped when its turn comes — not sent, failed with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from server.api.keys import COMMANDS
from server.config import Settings
from tests.api.conftest import Client, register, settle
from tests.api.test_streams import streamer
from tests.federation.follower import Server, follow, follower, until
from tests.federation.test_translate import _urls


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A refused delivery is tried again within a second."""
    return msgspec.structs.replace(settings, federation_first_retry_seconds=0.2)


@pytest.fixture
async def alice(client: Client) -> AsyncIterator[Server]:
    async with follower(client) as server:
        yield server


async def _rows(client: Client, query: str, *args: Any) -> list[Any]:
    async with client.server.app[COMMANDS].store.pool.acquire() as conn:
        return await conn.fetch(query, *args)


async def _deliveries(client: Client, post_id: str) -> list[tuple[str, str, str | None]]:
    """The deliveries of the activities about a post: (host, status, last error)."""
    rows = await _rows(
        client,
        "SELECT host, status, last_error FROM federation_deliveries WHERE activity_id LIKE $1",
        f"%/ap/posts/{post_id}#%",
    )
    return [tuple(r) for r in rows]


async def test_nothing_is_enqueued_for_a_blocked_domain(client: Client, alice: Server) -> None:
    ada, root = await register(client, "ada"), await streamer(client)
    await settle(client)
    author = _urls(client).member(ada.id).id
    async with follower(client) as carol:  # on another port, not blocked
        await follow(client, alice, author)
        await follow(client, carol, author)
        block = {"domain": alice.host}
        await root.expect("POST", "/api/v1/admin/domain_blocks", 201, json=block)
        await settle(client)

        post = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Hello?"})
        await until(lambda: carol.of_type("Create"))
    assert [h for h, _, _ in await _deliveries(client, post["id"])] == [carol.host]
    assert not alice.of_type("Create")


async def test_a_delivery_queued_before_a_block_is_dropped_unsent(
    client: Client, alice: Server
) -> None:
    ada, root = await register(client, "ada"), await streamer(client)
    await settle(client)
    await follow(client, alice, _urls(client).member(ada.id).id)
    alice.refusing = True  # down for a while: the Create waits in the queue for its retry
    post = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Hello?"})
    await until(lambda: alice.refused)

    # The domain, not the host with its port: it keeps out every port and every host under it.
    await root.expect("POST", "/api/v1/admin/domain_blocks", 201, json={"domain": "127.0.0.1"})
    await settle(client)

    async def none_in_flight() -> bool:  # a request sent before the block is refused too
        leased = "SELECT 1 FROM federation_deliveries WHERE lease IS NOT NULL"
        return not await _rows(client, leased + " AND next_attempt_at > now()")

    await until(none_in_flight)
    alice.refusing = False  # back: a retry sent now would be accepted

    async def finished() -> bool:
        return all(status != "pending" for _, status, _ in await _deliveries(client, post["id"]))

    await until(finished)
    dropped = (alice.host, "failed", "not sent: 127.0.0.1 is blocked")
    assert await _deliveries(client, post["id"]) == [dropped]
    assert not alice.of_type("Create")
