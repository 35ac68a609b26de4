"""A community that approves its members approves its remote followers too: the follow waits,
its moderators list it, and approve it (an `Accept` goes out) or turn it down (a `Reject`)."""

from __future__ import annotations

from server.federation import state
from server.federation.urls import Urls
from tests.api.conftest import Client, Member, register, settle
from tests.federation.follower import Server, follower, until
from tests.federation.test_inbox import _events, _follow, _followers, _post


async def _approval_community(client: Client, slug: str) -> tuple[Member, str]:
    owner = await register(client, f"{slug}_owner")
    body = {"slug": slug, "name": slug.title(), "visibility": "public", "join_policy": "approval"}
    made = await owner.expect("POST", "/api/v1/communities", 201, json=body)
    return owner, made["id"]


async def test_moderators_approve_or_reject_remote_follows(client: Client) -> None:
    async with follower(client) as alice:
        await _answered(client, alice)


async def _answered(client: Client, alice: Server) -> None:
    reviewer, reviewed = await _approval_community(client, "reviewed")
    closer, closed = await _approval_community(client, "closed")
    outsider = await register(client, "outsider")
    await settle(client)
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    follows = [_follow(alice, urls.community(c).id, n) for n, c in enumerate((reviewed, closed))]
    for follow in follows:
        assert (await _post(client, alice, follow))[0] == 202
    await settle(client)
    assert await _followers(client, urls.community(reviewed).id) == 1  # its owner, not alice

    path = "/api/v1/communities/reviewed/remote_requests"
    [request] = await reviewer.expect("GET", path, 200)
    assert request["follower"] == alice.alice

    # Only its moderators answer; anyone else's try writes nothing.
    before = await _events(client)
    await outsider.expect("GET", path, 403)
    await outsider.expect("POST", f"{path}/{request['id']}/approve", 403)
    await closer.expect("POST", f"{path}/{request['id']}/approve", 403)
    await reviewer.expect("POST", f"{path}/{'0' * 32}/approve", 404)
    assert await _events(client) == before

    await reviewer.expect("POST", f"{path}/{request['id']}/approve", 200)
    [refused] = await closer.expect("GET", "/api/v1/communities/closed/remote_requests", 200)
    await closer.expect(
        "POST", f"/api/v1/communities/closed/remote_requests/{refused['id']}/reject", 200
    )
    await until(lambda: alice.of_type("Accept") and alice.of_type("Reject"))
    [accept], [reject] = alice.of_type("Accept"), alice.of_type("Reject")
    assert (accept["actor"], accept["object"]["id"]) == (
        urls.community(reviewed).id,
        follows[0]["id"],
    )
    assert (reject["actor"], reject["object"]["id"]) == (
        urls.community(closed).id,
        follows[1]["id"],
    )
    await settle(client)
    assert await _followers(client, urls.community(reviewed).id) == 2
    assert await _followers(client, urls.community(closed).id) == 1
    assert await reviewer.expect("GET", path, 200) == []
    # Answering again changes nothing.
    again = await reviewer.expect("POST", f"{path}/{request['id']}/approve", 200)
    assert again["position"] is None
