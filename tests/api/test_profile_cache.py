"""The profile cache over real HTTP: a profile is served again until an event changes it, each
kind of reader sees what they may see, and readers who may see the same share one page. The
oracle is always the profile read afresh from the read models for that reader."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import msgspec

from server.api.keys import COMMANDS, PROFILES
from server.projections.members import get_member
from server.projections.profile import get_profile
from tests.api.conftest import Client, Member, make_admin, reads_while, register, settle
from tests.api.test_paths import _community, _complete, _join, _path, _step_ids


async def served(client: Client, reader: Member | None, handle: str) -> Any:
    """The profile as a read without Learnwork-Min-Position gets it (reader None: signed out)."""
    headers = reader.headers if reader else {}
    response = await client.get(f"/api/v1/members/{handle}/profile", headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def fresh(client: Client, reader: Member | None, handle: str) -> Any:
    """The profile read from the read models now, past any cache."""
    async with client.server.app[COMMANDS].store.pool.acquire() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            member = await get_member(conn, handle)
            assert member is not None
            profile = await get_profile(conn, member, reader.id if reader else None)
    return msgspec.json.decode(msgspec.json.encode(profile))


async def all_current(client: Client, readers: list[Member | None], handle: str) -> list[Any]:
    """Settle; then each reader is served the profile the read models give them, the second
    time from the cache. Returns what each was served."""
    await settle(client)
    cache = client.server.app[PROFILES]
    pages = []
    for reader in readers:
        first = await served(client, reader, handle)
        hits = cache.hits
        assert await served(client, reader, handle) == first
        assert cache.hits > hits, "the second read was not served from memory"
        assert first == await fresh(client, reader, handle), reader and reader.handle
        pages.append(first)
    return pages


def titles(page: Any) -> list[str]:
    return [a["title"] for a in page["recent_artefacts"]]


async def test_each_kind_of_change_reaches_every_kind_of_reader(client: Client) -> None:
    ada, bob, cy, dan, eve = [await register(client, h) for h in ("ada", "bob", "cy", "dan", "eve")]
    root = await make_admin(client)
    await _community(bob, "data")
    inner = await _community(ada, "inner", visibility="members_only")
    invite = {"member_id": bob.id}
    await ada.expect("POST", "/api/v1/communities/inner/invitations", 200, json=invite)
    await _join(bob, "inner")
    path = await _path(bob, "data", steps=2)
    plans = await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Plans"})
    secret = {"title": "Inner notes", "community_id": inner}
    await ada.expect("POST", "/api/v1/artefacts", 201, json=secret)
    for member in (ada, bob, cy, dan, eve):
        member.saw(ada, bob, cy, dan, eve, root)
    readers: list[Member | None] = [None, ada, bob, cy, root]

    pages = await all_current(client, readers, "ada")
    assert [titles(p) for p in pages] == [["Plans"], *[["Inner notes", "Plans"]] * 2, ["Plans"],
                                          ["Inner notes", "Plans"]]  # fmt: skip

    async def after(change: Any) -> list[Any]:
        await change
        return await all_current(client, readers, "ada")

    body = {"kind": "member", "member_id": ada.id, "skill": "sql"}
    pages = await after(eve.expect("POST", "/api/v1/endorsements", 201, json=body))
    assert [(s["skill"], s["endorsements"]) for s in pages[0]["skills"]] == [("sql", 1)]
    # The endorser renamed, then suspended: both show on pages that only list her.
    pages = await after(eve.expect("PATCH", "/api/v1/me", 200, json={"display_name": "Eve Q."}))
    assert pages[0]["skills"][0]["endorsers"][0]["display_name"] == "Eve Q."
    suspend = root.expect("POST", f"/api/v1/admin/members/{eve.id}/suspend", 200, json={})
    assert (await after(suspend))[0]["skills"] == []  # her endorsement no longer counts
    # Joining, enrolling, completing a step, the path growing a step.
    pages = await after(_join(ada, "data"))
    assert [c["slug"] for c in pages[0]["communities"]] == ["data"]
    assert [c["slug"] for c in pages[2]["communities"]] == ["data", "inner"]
    await after(ada.expect("POST", f"/api/v1/paths/{path}/enroll", 200))
    step = (await _step_ids(ada, path))[0]
    pages = await after(_complete(ada, path, step))
    assert pages[0]["learning"][0]["percent"] == 50
    added = {"kind": "text", "title": "Step 3", "text": "Do 3"}
    pages = await after(bob.expect("POST", f"/api/v1/paths/{path}/steps", 201, json=added))
    assert pages[0]["learning"][0]["percent"] == 33
    # Progress no longer shared: only ada still sees it.
    pages = await after(ada.expect("PATCH", "/api/v1/me", 200, json={"share_progress": False}))
    assert [len(p["learning"]) for p in pages] == [0, 1, 0, 0, 0]
    # A follower counted; an artefact no longer shown deleted: the count changes.
    pages = await after(dan.expect("POST", "/api/v1/members/ada/follow", 200))
    assert pages[0]["member"]["followers_count"] == 1
    for i in range(10):
        await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": f"Later {i}"})
    assert "Plans" not in titles((await all_current(client, readers, "ada"))[0])
    pages = await after(ada.expect("DELETE", f"/api/v1/artefacts/{plans['id']}", 200))
    assert [p["artefacts_count"] for p in pages] == [10, 11, 11, 10, 11]
    # A reader leaves the members-only community: what is in it is hidden from him again.
    pages = await after(bob.expect("POST", "/api/v1/communities/inner/leave", 200))
    assert [p["artefacts_count"] for p in pages] == [10, 11, 10, 10, 11]


async def test_readers_who_may_see_the_same_share_one_page(client: Client) -> None:
    ada, bob, cy, dan = [await register(client, h) for h in ("ada", "bob", "cy", "dan")]
    inner = await _community(ada, "inner", visibility="members_only")
    await ada.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": bob.id}
    )
    await _join(bob, "inner")
    await _community(dan, "elsewhere", visibility="members_only")
    await ada.expect(
        "POST", "/api/v1/artefacts", 201, json={"title": "Inner notes", "community_id": inner}
    )
    await settle(client)
    cache = client.server.app[PROFILES]

    await served(client, cy, "ada")  # ada's member page, cy's reader page, the page for anyone
    misses = cache.misses
    # Signed out, and dan (a member of a members-only community ada has nothing in): no read.
    assert titles(await served(client, None, "ada")) == []
    assert titles(await served(client, dan, "ada")) == []
    assert cache.misses == misses + 1  # dan's reader page; the profile page was there
    assert titles(await served(client, bob, "ada")) == ["Inner notes"]  # a view of its own


async def test_a_profile_is_kept_only_under_the_view_it_was_read_for(client: Client) -> None:
    """A member page the cache has not dropped yet says ada's profile shows nothing
    members-only. Bob, a member of the community her new artefact is in, reads her profile
    through it: he is served what he may see, but that page is not kept for the view the stale
    page gave him, which is the view of every other reader."""
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    inner = await _community(ada, "inner", visibility="members_only")
    await ada.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": bob.id}
    )
    await _join(bob, "inner")
    body = {"title": "Inner notes", "community_id": inner}
    await ada.expect("POST", "/api/v1/artefacts", 201, json=body)
    await settle(client)
    cache = client.server.app[PROFILES]
    cache.keep(("member", "ada"), (ada.id, frozenset()), cache.position, frozenset({ada.id}))

    assert titles(await served(client, bob, "ada")) == ["Inner notes"]
    assert titles(await served(client, cy, "ada")) == []


async def test_under_concurrent_writes_and_reads_every_cached_profile_ends_up_current(
    client: Client,
) -> None:
    """Members endorse, follow, join and leave a members-only community, write and delete
    artefacts in it and outside while others read profiles without waiting for anything; once
    all is settled, every profile served to every reader is the one the read models give."""
    rng = random.Random(7)
    members = [await register(client, f"m{i}") for i in range(5)]
    inner = await _community(members[0], "inner", visibility="members_only")
    for member in members[1:]:
        await members[0].expect(
            "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": member.id}
        )
    artefacts: list[str] = []
    await settle(client)  # every member known to the read models before anyone reads

    async def act(member: Member, steps: int) -> None:
        for _ in range(steps):
            other = rng.choice([m for m in members if m is not member])
            choice = rng.random()
            if choice < 0.3:
                body: dict[str, Any] = {"title": f"by {member.handle}"}
                if rng.random() < 0.5:
                    body["community_id"] = inner
                made = await member.request("POST", "/api/v1/artefacts", json=body)
                if made.status == 201:
                    artefacts.append((await made.json())["id"])
            elif choice < 0.4 and artefacts:
                await member.request("DELETE", f"/api/v1/artefacts/{rng.choice(artefacts)}")
            elif choice < 0.55:
                skill = rng.choice(["sql", "python", "design"])
                body = {"kind": "member", "member_id": other.id, "skill": skill}
                await member.request("POST", "/api/v1/endorsements", json=body)
            elif choice < 0.65:
                await member.request("POST", f"/api/v1/members/{other.handle}/follow")
            elif choice < 0.8:
                await member.request("POST", "/api/v1/communities/inner/join", json={})
            elif choice < 0.9:
                await member.request("POST", "/api/v1/communities/inner/leave")
            else:
                await member.request(
                    "PATCH", "/api/v1/me", json={"share_progress": rng.random() < 0.5}
                )
            await asyncio.sleep(rng.random() * 0.01)

    def read() -> Any:
        return served(client, rng.choice([None, *members]), rng.choice(members).handle)

    assert await reads_while(asyncio.gather(*(act(m, 25) for m in members)), read) > 20

    await settle(client)
    for member in members:
        await all_current(client, [None, *members], member.handle)
