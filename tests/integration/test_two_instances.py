"""Two Learnwork instances in one run: a member of A follows a community on B and sees what is
published there; what A's member does to it reaches B; a restart of B with deliveries queued
loses nothing. Everything goes through the real apps, real HTTP on loopback, real signatures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tests.api.conftest import Member, register
from tests.integration.conftest import Instance


async def _until(check: Callable[[], Awaitable[Any]], seconds: float = 20) -> Any:
    """The first truthy answer of `check`, asked until it comes."""
    async with asyncio.timeout(seconds):
        while not (found := await check()):  # noqa: ASYNC110 (another server is at work)
            await asyncio.sleep(0.05)
    return found


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return await value == expected


async def _contains(items: Awaitable[list[Any]], wanted: Any) -> list[Any] | None:
    found = await items
    return found if wanted in found else None


async def _longer(items: Awaitable[list[Any]], than: int) -> list[Any] | None:
    found = await items
    return found if len(found) > than else None


async def _home(member: Member, kind: str, text: str) -> dict[str, Any] | None:
    feed = await member.expect("GET", "/api/v1/feeds/home", 200)
    return next(
        (
            item
            for item in feed["items"]
            if item["kind"] == kind and text in (item["remote"]["html"] + item["remote"]["name"])
        ),
        None,
    )


async def _follow_guild(alice: Member, b: Instance) -> dict[str, Any]:
    found = await alice.expect(
        "POST", "/api/v1/remote/lookup", 200, json={"actor": f"guild@{b.host}"}
    )
    assert found["kind"] == "Group" and found["name"] == f"guild@{b.host}"
    await alice.expect("POST", f"/api/v1/remote/actors/{found['id']}/follow", 200)

    async def accepted() -> bool:
        following = await alice.expect("GET", "/api/v1/remote/following", 200)
        return [f["status"] for f in following] == ["accepted"]

    await _until(accepted)
    return found


async def _setup(a: Instance, b: Instance) -> tuple[Member, Member, str]:
    assert a.client is not None and b.client is not None
    alice = await register(a.client, "alice")
    bob = await register(b.client, "bob")
    body = {"slug": "guild", "name": "Guild", "visibility": "public", "join_policy": "open"}
    guild = (await bob.expect("POST", "/api/v1/communities", 201, json=body))["id"]
    return alice, bob, guild


async def test_a_member_follows_a_community_elsewhere_and_sees_its_posts(
    instances: tuple[Instance, Instance],
) -> None:
    a, b = instances
    alice, bob, guild = await _setup(a, b)
    group = await _follow_guild(alice, b)

    hello = await bob.expect("POST", "/api/v1/posts", 201,
                             json={"body": "Hello from *B*", "community_id": guild})  # fmt: skip
    item = await _until(lambda: _home(alice, "remote_post", "Hello from"))
    assert item["actor"] is None
    assert item["remote"]["html"] == "<p>Hello from <em>B</em></p>"
    assert item["remote"]["author"]["name"] == f"bob@{b.host}"
    assert item["remote"]["audience"] == group["actor_id"]

    # Alice's reply shows in bob's thread on B; her like counts there, and its Undo takes it back.
    remote_post = f"/api/v1/remote/objects/{item['remote']['id']}"
    await alice.expect("POST", f"{remote_post}/replies", 201, json={"body": "Hello from *A*"})
    await alice.expect("POST", f"{remote_post}/like", 200)

    async def thread() -> list[dict[str, Any]]:
        return (await bob.expect("GET", f"/api/v1/posts/{hello['id']}/thread", 200))["items"]

    async def likes() -> int:
        return (await bob.expect("GET", f"/api/v1/posts/{hello['id']}", 200))["likes_count"]

    [_, answer] = await _until(lambda: _longer(thread(), 1))
    assert answer["author"] is None and answer["remote"]["html"] == "<p>Hello from <em>A</em></p>"
    assert answer["remote"]["author"]["name"] == f"alice@{a.host}"
    await _until(lambda: _equals(likes(), 1))
    await alice.expect("DELETE", f"{remote_post}/like", 200)
    await _until(lambda: _equals(likes(), 0))

    # Alice writes in the guild: its feed on B shows her post.
    await alice.expect("POST", f"/api/v1/remote/actors/{group['id']}/posts", 201,
                       json={"body": "A question for the *guild*"})  # fmt: skip

    async def in_guild() -> list[str]:
        feed = await bob.expect("GET", "/api/v1/communities/guild/feed", 200)
        return [i["remote"]["html"] for i in feed["items"] if i["kind"] == "remote_post"]

    asked = "<p>A question for the <em>guild</em></p>"
    shown = await _until(lambda: _contains(in_guild(), asked))
    assert shown == [asked, "<p>Hello from <em>A</em></p>"]  # her reply is the guild's too

    # Alice endorses bob's SQL; it shows with his endorsements on B.
    bob_there = await alice.expect("POST", "/api/v1/remote/lookup", 200,
                                   json={"actor": f"bob@{b.host}"})  # fmt: skip
    given = await alice.expect("POST", "/api/v1/remote/endorsements", 201,
                               json={"actor": bob_there["actor_id"], "skill": "SQL",
                                     "comment": "Explains joins well"})  # fmt: skip

    async def endorsements() -> list[dict[str, Any]]:
        listed = await bob.expect("GET", f"/api/v1/members/{bob.id}/endorsements", 200)
        return listed["items"]

    [endorsed] = await _until(endorsements)
    assert endorsed["skill"] == "sql" and endorsed["comment"] == "Explains joins well"
    assert endorsed["remote_endorser"]["name"] == f"alice@{a.host}"
    await alice.expect("DELETE", f"/api/v1/remote/endorsements/{given['id']}", 200)
    await _until(lambda: _equals(endorsements(), []))

    # Bob deletes his post: a tombstone on B (410) and on A (gone from the feed).
    await bob.expect("DELETE", f"/api/v1/posts/{hello['id']}", 200)
    await _until(lambda: _gone(alice, item["remote"]["id"]))
    assert await _home(alice, "remote_post", "Hello from") is None
    assert b.client is not None
    served = await b.client.get(f"/ap/posts/{hello['id']}",
                                headers={"Accept": "application/activity+json"})  # fmt: skip
    assert (served.status, (await served.json())["type"]) == (410, "Tombstone")

    # Unfollowing reaches B: the community counts one follower less (bob, its owner, stays).
    async def followers() -> int:
        assert b.client is not None
        response = await b.client.get(f"/ap/communities/{guild}/followers",
                                      headers={"Accept": "application/activity+json"})  # fmt: skip
        return (await response.json())["totalItems"]

    assert await followers() == 2
    await alice.expect("DELETE", f"/api/v1/remote/actors/{group['id']}/follow", 200)
    await _until(lambda: _equals(followers(), 1))
    assert await alice.expect("GET", "/api/v1/remote/following", 200) == []


async def test_paths_and_artefacts_arrive_whole_and_a_delete_tombstones_on_both(
    instances: tuple[Instance, Instance],
) -> None:
    a, b = instances
    alice, bob, guild = await _setup(a, b)
    await _follow_guild(alice, b)

    steps = [
        {"kind": "resource", "title": "Read the manual", "url": "https://example.org/manual"},
        {"kind": "text", "title": "Write a query", "text": "Any query", "estimated_minutes": 20},
    ]
    path = await bob.expect("POST", "/api/v1/communities/guild/paths", 201,
                            json={"title": "SQL from zero", "steps": steps})  # fmt: skip
    await bob.expect("POST", f"/api/v1/paths/{path['id']}/publish", 200)
    body = {"title": "Query plans", "summary": "What EXPLAIN says", "body": "Read the *plan*",
            "skills": ["SQL", "Query tuning"], "community_id": guild}  # fmt: skip
    artefact = await bob.expect("POST", "/api/v1/artefacts", 201, json=body)

    learning = (await _until(lambda: _home(alice, "remote_path", "SQL from zero")))["remote"]
    assert [(s["title"], s["kind"]) for s in learning["steps"]] == [
        ("Read the manual", "resource"),
        ("Write a query", "text"),
    ]
    assert learning["steps"][0]["url"] == "https://example.org/manual"
    assert learning["steps"][1]["estimated_minutes"] == 20
    work = (await _until(lambda: _home(alice, "remote_artefact", "Query plans")))["remote"]
    assert work["skills"] == ["sql", "query tuning"] and work["revision"] == 1
    assert work["html"] == "<p>Read the <em>plan</em></p>"
    assert work["summary"] == "What EXPLAIN says"

    # B's author deletes the artefact: gone on B and from A's feed.
    await bob.expect("DELETE", f"/api/v1/artefacts/{artefact['id']}", 200)
    await _until(lambda: _gone(alice, work["id"]))
    assert await _home(alice, "remote_artefact", "Query plans") is None
    assert b.client is not None
    served = await b.client.get(f"/ap/artefacts/{artefact['id']}",
                                headers={"Accept": "application/activity+json"})  # fmt: skip
    assert served.status == 404


async def _gone(member: Member, remote_id: str) -> bool:
    response = await member.request("GET", f"/api/v1/remote/objects/{remote_id}")
    return response.status == 404


async def test_a_restart_of_b_with_deliveries_queued_loses_nothing(
    instances: tuple[Instance, Instance],
) -> None:
    a, b = instances
    alice, bob, guild = await _setup(a, b)
    await _follow_guild(alice, b)

    await a.stop()  # B's deliveries to A fail and wait in its queue
    for n in range(3):
        await bob.expect("POST", "/api/v1/posts", 201,
                         json={"body": f"While A was away {n}", "community_id": guild})  # fmt: skip
    await asyncio.sleep(0.5)
    await b.stop()
    await b.start()
    client = await a.start()
    alice.client = client

    for n in range(3):
        await _until(lambda n=n: _home(alice, "remote_post", f"While A was away {n}"))
