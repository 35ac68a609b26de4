"""What our events make other servers receive, end to end over loopback: a remote actor follows
a member and a community and gets each follow's `Accept`; a post in the community reaches it as
the author's `Create` and the community's `Announce` (FEP-1b12) — at its shared inbox, signed by
each actor, each activity with an integrity proof made with its actor's Ed25519 key — its edit
as an `Update`, its deletion or removal as a `Delete` of its `Tombstone`; and nothing of a
members-only community ever does, not even its edits and deletions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest

from server.api.keys import COMMANDS
from server.federation import state
from server.federation.urls import Urls
from tests.api.conftest import Client, register, settle
from tests.api.test_paths import _community, _join, _path
from tests.federation.follower import Server, follow, follower, until


@pytest.fixture
async def alice(client: Client) -> AsyncIterator[Server]:
    async with follower(client) as server:
        yield server


def _urls(client: Client) -> Urls:
    return Urls(client.server.app[state.OPTIONS].base_url)


def _proved_by_their_actors(alice: Server) -> None:
    """Every activity alice received carries a proof that verifies with the Ed25519 key its
    actor's document publishes."""
    assert alice.received
    for delivered in alice.received:
        actor = delivered.activity["actor"]
        assert delivered.proof == f"{actor}#ed25519-key", delivered.activity
        assert delivered.activity["proof"]["proofPurpose"] == "assertionMethod"


async def test_a_remote_follower_gets_accepts_then_posts(client: Client, alice: Server) -> None:
    ada = await register(client, "ada")
    sql = await _community(ada, "sql")
    hidden = await _community(ada, "hidden", visibility="members_only")
    await settle(client)
    urls = _urls(client)
    member, community = urls.member(ada.id), urls.community(sql)
    await follow(client, alice, member.id, community.id)

    accepts = {a["actor"]: a for a in alice.of_type("Accept")}
    assert accepts[member.id]["object"]["actor"] == alice.alice
    assert accepts[community.id]["object"]["actor"] == alice.alice
    # Each Accept went to alice's own inbox, signed by the actor that accepts.
    assert {(d.path, d.key_id) for d in alice.received if d.activity["type"] == "Accept"} == {
        ("/users/alice/inbox", member.main_key),
        ("/users/alice/inbox", community.main_key),
    }

    inside = await ada.expect("POST", "/api/v1/posts", 201,
                              json={"body": "members only", "community_id": hidden})  # fmt: skip
    post = await ada.expect("POST", "/api/v1/posts", 201,
                            json={"body": "Hello *fediverse*", "community_id": sql})  # fmt: skip
    await until(lambda: alice.of_type("Create") and alice.of_type("Announce"))
    [create], [announce] = alice.of_type("Create"), alice.of_type("Announce")
    assert create["actor"] == member.id and announce["actor"] == community.id
    for activity in (create, announce):
        note = activity["object"]
        assert note["id"] == urls.post(post["id"]) and note["type"] == "Note"
        assert note["content"] == "<p>Hello <em>fediverse</em></p>"
        assert note["audience"] == community.id
    assert {d.path for d in alice.received if d.activity["type"] in ("Create", "Announce")} == {
        "/inbox"  # public: her server's shared inbox
    }
    assert not alice.mentioning(inside["id"]) and not alice.mentioning("members only")
    _proved_by_their_actors(alice)


async def test_an_edit_goes_as_an_update_and_a_deletion_as_a_delete_of_the_tombstone(
    client: Client, alice: Server
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    sql = await _community(ada, "sql")
    await _join(bob, "sql")
    await settle(client)
    urls = _urls(client)
    author, community = urls.member(bob.id), urls.community(sql)
    await follow(client, alice, author.id, community.id)
    post = await bob.expect("POST", "/api/v1/posts", 201,
                            json={"body": "First draft", "community_id": sql})  # fmt: skip
    note_id = urls.post(post["id"])
    await until(lambda: alice.of_type("Create"))

    await bob.expect("PATCH", f"/api/v1/posts/{post['id']}", 200, json={"body": "Second *go*"})
    await until(lambda: alice.of_type("Update") and len(alice.of_type("Announce")) == 2)
    [update] = alice.of_type("Update")
    assert update["actor"] == author.id and update["object"]["id"] == note_id
    assert update["object"]["content"] == "<p>Second <em>go</em></p>"
    assert update["object"]["updated"] >= update["object"]["published"]
    assert update["to"] == ["https://www.w3.org/ns/activitystreams#Public", community.id]
    announced = alice.of_type("Announce")[1]
    assert announced["actor"] == community.id  # FEP-1b12: the group announces the activity
    assert announced["object"]["type"] == "Update" and announced["object"]["id"] == update["id"]

    await bob.expect("DELETE", f"/api/v1/posts/{post['id']}", 200)
    await until(lambda: alice.of_type("Delete") and len(alice.of_type("Announce")) == 3)
    [delete] = alice.of_type("Delete")
    tombstone = {"id": note_id, "type": "Tombstone", "formerType": "Note"}
    assert delete["actor"] == author.id and delete["object"] == tombstone
    assert alice.of_type("Announce")[2]["object"]["id"] == delete["id"]
    gone = await client.get(note_id.removeprefix(urls.base),
                            headers={"Accept": "application/activity+json"})  # fmt: skip
    assert gone.status == 410 and (await gone.json(content_type=None))["type"] == "Tombstone"

    # A moderator's removal: the author's Delete still (Mastodon takes no other), announced.
    taken = await bob.expect("POST", "/api/v1/posts", 201,
                             json={"body": "Buy now", "community_id": sql})  # fmt: skip
    await until(lambda: len(alice.of_type("Create")) == 2 and len(alice.of_type("Announce")) == 4)
    await ada.expect("POST", f"/api/v1/posts/{taken['id']}/remove", 200, json={"reason": "spam"})
    await until(lambda: len(alice.of_type("Delete")) == 2 and len(alice.of_type("Announce")) == 5)
    removal = alice.of_type("Delete")[1]
    assert removal["actor"] == author.id and removal["object"]["id"] == urls.post(taken["id"])
    assert alice.of_type("Announce")[4]["object"]["id"] == removal["id"]
    _proved_by_their_actors(alice)


async def test_nothing_of_a_members_only_community_leaves_nor_its_edits_and_deletions(
    client: Client, alice: Server
) -> None:
    ada = await register(client, "ada")
    hidden = await _community(ada, "hidden", visibility="members_only")
    await settle(client)
    await follow(client, alice, _urls(client).member(ada.id).id)

    post = await ada.expect("POST", "/api/v1/posts", 201,
                            json={"body": "between us", "community_id": hidden})  # fmt: skip
    await ada.expect("PATCH", f"/api/v1/posts/{post['id']}", 200, json={"body": "still us"})
    await ada.expect("DELETE", f"/api/v1/posts/{post['id']}", 200)
    made = await ada.expect("POST", "/api/v1/artefacts", 201,
                            json={"title": "Private notes", "community_id": hidden})  # fmt: skip
    await ada.expect("PATCH", f"/api/v1/artefacts/{made['id']}", 200, json={"title": "Notes 2"})
    await ada.expect("DELETE", f"/api/v1/artefacts/{made['id']}", 200)
    path = await _path(ada, "hidden")
    await ada.expect("PATCH", f"/api/v1/paths/{path}", 200, json={"title": "Secret path"})
    await ada.expect("POST", f"/api/v1/paths/{path}/archive", 200)
    marker = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "in the open"})
    await until(lambda: alice.mentioning(marker["id"]))

    # The outbox takes the log in order: all that came before the marker was translated.
    queued = await _queued(client)
    for secret in (post["id"], made["id"], path, hidden, "between us", "Private notes"):
        assert secret not in queued and not alice.mentioning(secret)


async def _queued(client: Client) -> str:
    """Every activity federation enqueued, as one text."""
    async with client.server.app[COMMANDS].store.pool.acquire() as conn:
        rows = await conn.fetch("SELECT body FROM federation_activities")
    return msgspec.json.encode([msgspec.json.decode(r[0]) for r in rows]).decode()
