"""The home feed cache over real HTTP: a page is served again until an event changes it, then
the next read shows the change — whichever way the event changes it, and under concurrent
writes and reads. The oracle is always the feed read afresh from the read models."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import msgspec
import pytest

from server.api.keys import COMMANDS, HOME_FEEDS, RUNNER
from server.config import Settings
from server.projections import feeds
from server.projections.catalog import all_projections
from server.projections.page_cache import DROP_ALL, IGNORED
from tests.api.conftest import Client, Member, make_admin, reads_while, register, settle
from tests.api.test_paths import _community, _join


async def served(client: Client, reader: Member) -> Any:
    """The first page as a read without Learnwork-Min-Position gets it."""
    response = await client.get("/api/v1/feeds/home", headers=reader.headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def fresh(client: Client, reader: Member) -> Any:
    """The first page read from the read models now, past any cache."""
    async with client.server.app[COMMANDS].store.pool.acquire() as conn:
        page = await feeds.home_feed(conn, reader.id, None, 20)
    return msgspec.json.decode(msgspec.json.encode(page))


async def cached_then_current(client: Client, reader: Member) -> Any:
    """Settle, then check that the reader's page is served from the cache and is the page
    the read models give; return it."""
    await settle(client)
    cache = client.server.app[HOME_FEEDS]
    first = await served(client, reader)
    hits = cache.hits
    assert await served(client, reader) == first and cache.hits == hits + 1
    assert first == await fresh(client, reader)
    return first


def texts(page: Any) -> list[str]:
    return [item["post"]["html"] for item in page["items"] if item["post"]]


async def test_each_kind_of_change_reaches_a_cached_page(client: Client) -> None:
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    root = await make_admin(client)
    await bob.expect("POST", "/api/v1/members/ada/follow", 200)
    first = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "first"})
    assert texts(await cached_then_current(client, bob)) == ["<p>first</p>"]

    async def after(change: Any) -> Any:
        await change
        return await cached_then_current(client, bob)

    # New on top, from a followed member.
    page = await after(ada.expect("POST", "/api/v1/posts", 201, json={"body": "second"}))
    assert texts(page) == ["<p>second</p>", "<p>first</p>"]
    # A like, a reply and an edit of a shown post.
    page = await after(cy.expect("POST", f"/api/v1/posts/{first['id']}/like", 200))
    assert page["items"][1]["post"]["likes_count"] == 1
    reply = {"body": "a reply", "in_reply_to": first["id"]}
    page = await after(cy.expect("POST", "/api/v1/posts", 201, json=reply))
    assert page["items"][1]["post"]["replies_count"] == 1
    edit = {"body": "first, edited"}
    page = await after(ada.expect("PATCH", f"/api/v1/posts/{first['id']}", 200, json=edit))
    assert texts(page) == ["<p>second</p>", "<p>first, edited</p>"]
    # A shown member renamed.
    page = await after(ada.expect("PATCH", "/api/v1/me", 200, json={"display_name": "Ada L."}))
    assert page["items"][0]["actor"]["display_name"] == "Ada L."
    # The reader joins a members-only community: what was hidden from them appears.
    await _community(cy, "inner", visibility="members_only")
    await cy.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": bob.id}
    )
    inner = await cy.expect("GET", "/api/v1/communities/inner", 200)
    await cy.expect(
        "POST", "/api/v1/posts", 201, json={"body": "inside", "community_id": inner["id"]}
    )
    await settle(client)
    assert "<p>inside</p>" not in texts(await served(client, bob))
    bob.saw(cy)
    page = await after(_join(bob, "inner"))
    assert "<p>inside</p>" in texts(page)
    # Bob leaves: the members-only item is hidden again.
    await bob.expect("POST", "/api/v1/communities/inner/leave", 200)
    page = await cached_then_current(client, bob)
    assert "<p>inside</p>" not in texts(page)
    # A suspension, and its end.
    suspend = root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    assert texts(await after(suspend)) == []
    unsuspend = root.expect("POST", f"/api/v1/admin/members/{ada.id}/unsuspend", 200)
    assert texts(await after(unsuspend)) == ["<p>second</p>", "<p>first, edited</p>"]
    # A delete, then an unfollow.
    page = await after(ada.expect("DELETE", f"/api/v1/posts/{first['id']}", 200))
    assert texts(page) == ["<p>second</p>"]
    page = await after(bob.expect("POST", "/api/v1/members/ada/unfollow", 200))
    assert texts(page) == []


class TestWithLaggingReadModels:
    @pytest.fixture
    def settings(self) -> Settings:
        # The test drives the read models itself, so that they can lag behind the log.
        return Settings(
            sign_ins_per_minute=10_000, writes_per_minute=100_000, read_wait_seconds=5,
            projections=False, home_feed_cache=2,
        )  # fmt: skip

    async def test_a_page_read_from_them_is_not_kept(self, client: Client) -> None:
        """The cache has followed the log past a post the read models do not show yet: the page
        read from them is served but not kept, or it would hide the post until the next change."""
        app = client.server.app
        runner, cache = app[RUNNER], app[HOME_FEEDS]
        ada, bob = await register(client, "ada"), await register(client, "bob")
        await bob.expect("POST", "/api/v1/members/ada/follow", 200)
        await runner.catch_up()
        await ada.expect("POST", "/api/v1/posts", 201, json={"body": "new"})
        head = await app[COMMANDS].store.last_position()
        async with asyncio.timeout(10):
            while cache.position < head:  # noqa: ASYNC110 (nothing to wait on)
                await asyncio.sleep(0.005)

        assert texts(await served(client, bob)) == []  # what the read models hold so far
        assert len(cache) == 0 and cache.misses == 1
        await runner.catch_up()
        assert texts(await served(client, bob)) == ["<p>new</p>"]
        assert texts(await served(client, bob)) == ["<p>new</p>"]
        assert (cache.misses, cache.hits, len(cache)) == (2, 1, 1)

        # Capacity 2: a third reader's page pushes out the least recently read.
        cy, dan = await register(client, "cy"), await register(client, "dan")
        await runner.catch_up()
        await settle(client)
        for reader in (bob, cy, dan, bob):
            await served(client, reader)
        assert len(cache) == 2 and cache.misses == 5  # bob's page went when dan's came


async def test_under_concurrent_writes_and_reads_every_cached_page_ends_up_current(
    client: Client,
) -> None:
    """Members follow, unfollow, post, reply, like, edit, delete and join while others read
    their home feeds without waiting for anything; once all is settled, every page served is
    the page the read models give."""
    rng = random.Random(11)
    members = [await register(client, f"m{i}") for i in range(6)]
    root = await make_admin(client)
    await _community(members[0], "open")
    posts: list[str] = []

    async def act(member: Member, steps: int) -> None:
        for _ in range(steps):
            other = rng.choice([m for m in members if m is not member])
            choice = rng.random()
            if choice < 0.35:
                json: dict[str, Any] = {"body": f"by {member.handle} {rng.random():.3f}"}
                if posts and rng.random() < 0.3:
                    json["in_reply_to"] = rng.choice(posts)
                made = await member.request("POST", "/api/v1/posts", json=json)
                if made.status == 201:
                    posts.append((await made.json())["id"])
            elif choice < 0.5 and posts:
                await member.request("POST", f"/api/v1/posts/{rng.choice(posts)}/like")
            elif choice < 0.6:
                await member.request("POST", f"/api/v1/members/{other.handle}/follow")
            elif choice < 0.67:
                await member.request("POST", f"/api/v1/members/{other.handle}/unfollow")
            elif choice < 0.75:
                await member.request("POST", "/api/v1/communities/open/join", json={})
            elif choice < 0.8:
                await member.request("POST", "/api/v1/communities/open/leave")
            elif choice < 0.9 and posts:
                post_id = rng.choice(posts)
                await member.request("PATCH", f"/api/v1/posts/{post_id}", json={"body": "ed"})
            elif posts:
                await member.request("DELETE", f"/api/v1/posts/{rng.choice(posts)}")
            await asyncio.sleep(rng.random() * 0.01)

    writing = asyncio.gather(*(act(m, 25) for m in members))
    # Reads did interleave with the writes (how many depends on the machine's load).
    assert await reads_while(writing, lambda: served(client, rng.choice(members))) > 20
    suspend = f"/api/v1/admin/members/{members[1].id}/suspend"
    await root.expect("POST", suspend, 200, json={})  # after the reads: a suspended member's cannot

    await settle(client)
    cache = client.server.app[HOME_FEEDS]
    for member in members[:1] + members[2:]:  # a suspended member cannot read
        assert await served(client, member) == await fresh(client, member), member.handle
    hits = cache.hits
    for member in members[:1] + members[2:]:
        assert await served(client, member) == await fresh(client, member), member.handle
    assert cache.hits == hits + 5


def test_events_left_unread_are_none_a_feed_depends_on() -> None:
    """IGNORED events are not even read by the cache: none may be one that a read model behind
    the feed uses (the members projection's token events fill a table feeds do not read)."""
    by_name = {p.name: p for p in all_projections()}
    for name in ("activities", "posts", "artefacts", "paths", "communities"):
        assert not (by_name[name].event_types or set()) & IGNORED, name
    assert by_name["members"].event_types & IGNORED == {"token.issued", "token.revoked"}
    assert not DROP_ALL & IGNORED
