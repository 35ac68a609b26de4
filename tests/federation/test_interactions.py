"""Likes of our posts from other servers, over real HTTP: a remote server on loopback signs a
`Like` of a member's post and POSTs it; the post's `likes_count` counts it once however often
it arrives, and an `Undo` takes it back. A post in a members-only community, or one that is
not ours, is refused and nothing is written; so is a `Like` signed for someone else."""

from __future__ import annotations

from typing import Any

from server.api.keys import COMMANDS
from server.federation import state
from server.federation.urls import Urls
from tests.api.conftest import Client, Member, register, settle
from tests.api.test_paths import _community
from tests.federation.test_inbox import Remote, _post, remote

__all__ = ["remote"]  # the fixture, shared with test_inbox


def _like(remote: Remote, post_url: str, n: int = 1) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.alice}#likes/{n}", "type": "Like",
        "actor": remote.alice, "object": post_url,
    }  # fmt: skip


async def _events(client: Client) -> int:
    return await client.server.app[COMMANDS].store.last_position()


async def _likes(member: Member, post_id: str) -> int:
    await settle(member.client)
    return (await member.expect("GET", f"/api/v1/posts/{post_id}", 200))["likes_count"]


async def test_a_remote_like_counts_once_and_its_undo_takes_it_back(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    bob = await register(client, "bob")
    post = (await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Hi"}))["id"]
    await bob.expect("POST", f"/api/v1/posts/{post}/like", 200)
    await settle(client)
    like = _like(remote, Urls(client.server.app[state.OPTIONS].base_url).post(post))

    assert (await _post(client, remote, like))[0] == 202
    assert await _likes(ada, post) == 2  # bob's and alice's
    written = await _events(client)
    assert (await _post(client, remote, like))[0] == 202
    assert (await _post(client, remote, {**like, "id": f"{remote.alice}#likes/2"}))[0] == 202
    assert await _events(client) == written  # alice likes it once, whatever the Like's id
    likers = await ada.expect("GET", f"/api/v1/posts/{post}/likes", 200)
    assert [like["member"]["handle"] for like in likers["items"]] == ["bob"]

    undo = {"id": f"{remote.alice}#undo/1", "type": "Undo", "actor": remote.alice,
            "object": like["id"]}  # fmt: skip
    assert (await _post(client, remote, undo))[0] == 202
    assert await _likes(ada, post) == 1
    assert (await _post(client, remote, like))[0] == 202  # liked again, the Undo embeds it
    assert await _likes(ada, post) == 2
    undo = {**undo, "id": f"{remote.alice}#undo/2", "object": like}
    assert (await _post(client, remote, undo))[0] == 202
    assert await _likes(ada, post) == 1


async def test_likes_of_what_is_not_for_everyone_are_refused(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    hidden = await _community(ada, "hidden", visibility="members_only")
    inside = (
        await ada.expect("POST", "/api/v1/posts", 201, json={"body": "ssh", "community_id": hidden})
    )["id"]
    gone = (await ada.expect("POST", "/api/v1/posts", 201, json={"body": "oops"}))["id"]
    await ada.expect("DELETE", f"/api/v1/posts/{gone}", 200)
    mine = (await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Hi"}))["id"]
    await settle(client)
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    await client.get("/ap/instance")  # its keys exist (made when first needed) before we count
    before = await _events(client)

    for n, target in enumerate((urls.post(inside), urls.post(gone), urls.member(ada.id).id)):
        status, problem = await _post(client, remote, _like(remote, target, n))
        assert status == 404, problem
    status, _ = await _post(client, remote, _like(remote, f"{remote.base}/notes/{mine}"))
    assert status == 404  # a post of the same id elsewhere is not ours
    forged = {**_like(remote, urls.post(mine)), "actor": f"{remote.base}/users/bob"}
    status, problem = await _post(client, remote, forged)
    assert status == 401 and problem["reason"] == "key_not_actors"
    assert await _events(client) == before
    assert await _likes(ada, mine) == 0
