"""Search with its public results kept in memory, over real HTTP: every reader gets, page by
page, what the search read model gives them afresh (server/projections/search.py), and a cached
result lasts until the next change to the documents."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import msgspec

from server.api.keys import COMMANDS, RUNNER, SEARCHES
from server.projections import search
from server.projections.search import CANDIDATES
from tests.api.conftest import Client, Member, make_admin, register
from tests.api.test_paths import _community, _join


async def settle(client: Client) -> None:
    app = client.server.app
    head = await app[COMMANDS].store.last_position()
    async with asyncio.timeout(10):
        await app[RUNNER].wait_for(head)
        while app[SEARCHES].position < head:  # noqa: ASYNC110 (nothing to wait on)
            await asyncio.sleep(0.005)


async def served(client: Client, reader: Member | None, **query: Any) -> Any:
    headers = reader.headers if reader else {}
    response = await client.get("/api/v1/search", params=query, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def fresh(client: Client, reader: Member | None, **query: Any) -> Any:
    async with client.server.app[COMMANDS].store.pool.acquire() as conn:
        found = await search.search(
            conn,
            query["q"],
            query.get("type"),
            reader.id if reader else None,
            query.get("cursor"),
            int(query.get("limit", 20)),
        )
    return msgspec.json.decode(msgspec.json.encode(found))


async def every_page_as_fresh(client: Client, reader: Member | None, **query: Any) -> list[Any]:
    """Walk every page as served, checking each against a fresh read; the items of all."""
    items: list[Any] = []
    while True:
        page = await served(client, reader, **query)
        assert page == await fresh(client, reader, **query), (reader and reader.handle, query)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]


async def post(member: Member, body: str, community: str | None = None) -> str:
    json = {"body": body} | ({"community_id": community} if community else {})
    return (await member.expect("POST", "/api/v1/posts", 201, json=json))["id"]


async def test_every_reader_gets_what_a_fresh_search_gives_page_by_page(client: Client) -> None:
    """More matches than a search ranks (CANDIDATES), public and members-only interleaved: the
    newest the reader may see are ranked, whoever reads."""
    rng = random.Random(3)
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    root = await make_admin(client)
    await _community(ada, "open")
    inner = await _community(ada, "inner", visibility="members_only")
    other = await _community(cy, "other", visibility="members_only")
    await ada.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": bob.id}
    )
    await _join(bob, "inner")
    places = [None, None, inner, inner, other]
    words = ["common"] * 3 + ["common common", "common rare"] * 2 + ["rare"]
    for i in range(CANDIDATES + 300):  # bob may see ~560 "common", the admin ~700
        author = ada if (place := rng.choice(places)) != other else cy
        await post(author, f"{rng.choice(words)} note {i}", place)
    body = {"title": "Common ground", "summary": "rare", "community_id": inner}
    await ada.expect("POST", "/api/v1/artefacts", 201, json=body)
    await settle(client)

    readers: list[Member | None] = [None, ada, bob, cy, root]
    for query in ({"q": "common", "limit": "100"}, {"q": "rare", "limit": "7"}):
        for reader in readers:
            found = await every_page_as_fresh(client, reader, **query)
            assert found, query
    for reader in readers:
        await every_page_as_fresh(client, reader, q="common", type="artefact")
    # The public results were read once per query and kind, and each signed-in reader's
    # members-only communities once; the rest was served from memory.
    assert client.server.app[SEARCHES].misses == 3 + 4


async def test_a_cached_result_lasts_until_the_documents_change(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await make_admin(client)
    cache = client.server.app[SEARCHES]
    first = await post(ada, "gardening notes")
    await settle(client)

    async def found() -> list[str]:
        await settle(client)
        return [hit["id"] for hit in await every_page_as_fresh(client, bob, q="gardening")]

    assert await found() == [first]
    misses = cache.misses
    assert await found() == [first] and cache.misses == misses
    # Nothing a search shows changes with a like (by someone else than the reader, whose
    # communities any event naming him makes the cache read again): still served from memory.
    await root.expect("POST", f"/api/v1/posts/{first}/like", 200)
    assert await found() == [first] and cache.misses == misses

    second = await post(ada, "more gardening")
    assert await found() == [second, first]
    await ada.expect("PATCH", f"/api/v1/posts/{first}", 200, json={"body": "cooking"})
    assert await found() == [second]
    ada.saw(bob)
    root.saw(ada)
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    assert await found() == []
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/unsuspend", 200)
    assert await found() == [second]
    await ada.expect("DELETE", f"/api/v1/posts/{second}", 200)
    assert await found() == []

    # Bob joins a members-only community, and leaves it: its posts are found, then not.
    inner = await _community(ada, "inner", visibility="members_only")
    hidden = await post(ada, "gardening inside", inner)
    assert await found() == []
    await ada.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": bob.id}
    )
    await _join(bob, "inner")
    misses = cache.misses
    assert await found() == [hidden]
    assert cache.misses == misses + 1  # bob's communities, read again; the public results kept
    await bob.expect("POST", "/api/v1/communities/inner/leave", 200)
    assert await found() == []
