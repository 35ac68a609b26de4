"""A remote member writes in one of our communities (FEP-1b12): the author follows the
community from another server and addresses a post to it; the community's feed and its
members' home feeds show it, and the community announces it to its remote followers. Someone
who does not follow the community cannot post in it."""

from __future__ import annotations

from typing import Any

from server.federation import state
from server.federation.urls import Urls
from tests.api.conftest import Client, Member, register, settle
from tests.api.test_paths import _community, _join
from tests.federation.follower import Server, follow, follower, until
from tests.federation.test_inbox import _post

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _create(alice: Server, n: int, community: str, text: str) -> dict[str, Any]:
    note = {
        "id": f"{alice.base}/notes/{n}", "type": "Note", "attributedTo": alice.alice,
        "content": f"<p>{text}</p>", "published": "2026-11-30T10:00:00Z",
        "to": [PUBLIC, community], "audience": community,
    }  # fmt: skip
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note['id']}#create", "type": "Create", "actor": alice.alice,
        "to": note["to"], "object": note,
    }  # fmt: skip


async def _feed_texts(member: Member, path: str) -> list[str]:
    feed = await member.expect("GET", path, 200)
    return [item["remote"]["html"] for item in feed["items"] if item["remote"]]


async def test_a_remote_member_posts_in_our_community(client: Client) -> None:
    ada = await register(client, "ada")
    ben = await register(client, "ben")
    guild = await _community(ada, "guild")
    await _join(ben, "guild")
    await settle(client)
    community = Urls(client.server.app[state.OPTIONS].base_url).community(guild).id
    async with follower(client) as alice:
        # Not following the community yet: kept (it is addressed to us), not the community's.
        outside = _create(alice, 1, community, "Before I followed")
        assert (await _post(client, alice, outside))[0] == 202
        await follow(client, alice, community)
        inside = _create(alice, 2, community, "Hello, guild")
        assert (await _post(client, alice, inside))[0] == 202

        await until(lambda: alice.of_type("Announce"))
        [announce] = alice.of_type("Announce")
        assert announce["actor"] == community and announce["object"] == inside["object"]["id"]
        await settle(client)
        assert await _feed_texts(ada, "/api/v1/communities/guild/feed") == ["<p>Hello, guild</p>"]
        assert await _feed_texts(ben, "/api/v1/feeds/home") == ["<p>Hello, guild</p>"]
