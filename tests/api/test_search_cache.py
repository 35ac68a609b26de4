"""Search with its public results kept in memory, over real HTTP: every reader gets, page by
page, what the search read model gives them afresh (server/projections/search.py), and a cached
result lasts until the next change to the documents."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import msgspec
import pytest

from server.api.keys import COMMANDS, SEARCHES
from server.projections import search, search_cache
from server.projections.search import CANDIDATES
from tests.api.conftest import Client, Member, make_admin, register, settle
from tests.api.test_paths import _community, _join


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


async def found(client: Client, reader: Member, at_least: int | None = None) -> list[str]:
    """The ids a search for "gardening" finds, once the cache has followed the whole log;
    asking for the log's position `at_least` (Learnwork-Min-Position) if given."""
    await settle(client)
    headers = {"Learnwork-Min-Position": str(at_least)} if at_least is not None else {}
    response = await client.get(
        "/api/v1/search", params={"q": "gardening"}, headers={**reader.headers, **headers}
    )
    assert response.status == 200, await response.text()
    return [hit["id"] for hit in (await response.json())["items"]]


async def head(client: Client) -> int:
    return await client.server.app[COMMANDS].store.last_position()


async def test_a_search_misses_what_was_added_for_at_most_refresh_seconds(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_cache, "REFRESH", 3600.0)
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await make_admin(client)
    cache = client.server.app[SEARCHES]
    first = await post(ada, "gardening notes")
    assert await found(client, bob) == [first]
    misses = cache.misses
    assert await found(client, bob) == [first] and cache.misses == misses
    # Nothing a search shows changes with a like (by someone else than the reader, whose
    # communities any event naming him makes the cache read again): still served from memory.
    await root.expect("POST", f"/api/v1/posts/{first}/like", 200)
    assert await found(client, bob) == [first] and cache.misses == misses

    second = await post(ada, "more gardening")
    assert await found(client, bob) == [first]  # added since the results were read
    assert await found(client, bob, at_least=await head(client)) == [second, first]
    third = await post(ada, "gardening again")
    assert await found(client, bob) == [second, first]
    monkeypatch.setattr(search_cache, "REFRESH", 0.0)  # the results are now older than that
    assert await found(client, bob) == [third, second, first]


async def test_what_hides_a_document_leaves_the_results_at_once(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_cache, "REFRESH", 3600.0)
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await make_admin(client)
    first, second = await post(ada, "gardening notes"), await post(ada, "more gardening")
    assert await found(client, bob) == [second, first]
    await ada.expect("PATCH", f"/api/v1/posts/{first}", 200, json={"body": "cooking"})
    assert await found(client, bob) == [second]
    ada.saw(bob)
    root.saw(ada)
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    assert await found(client, bob) == []
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/unsuspend", 200)
    assert await found(client, bob, at_least=await head(client)) == [second]
    await ada.expect("DELETE", f"/api/v1/posts/{second}", 200)
    assert await found(client, bob) == []

    # Bob joins a members-only community, and leaves it: its posts are found, then not.
    inner = await _community(ada, "inner", visibility="members_only")
    hidden = await post(ada, "gardening inside", inner)
    assert await found(client, bob, at_least=await head(client)) == []
    await ada.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": bob.id}
    )
    await _join(bob, "inner")
    assert await found(client, bob) == [hidden]
    await bob.expect("POST", "/api/v1/communities/inner/leave", 200)
    assert await found(client, bob) == []


async def test_searches_waiting_for_the_same_results_read_them_once(client: Client) -> None:
    ada = await register(client, "ada")
    for i in range(30):
        await post(ada, f"gardening {i}")
    await settle(client)
    cache = client.server.app[SEARCHES]

    pages = await asyncio.gather(*(served(client, None, q="gardening") for _ in range(20)))
    assert all(p == pages[0] for p in pages) and len(pages[0]["items"]) == 20
    assert cache.reads == 1
