"""Likes and endorsements across servers, over real HTTP with a remote server on loopback.

- It signs a `Like` of a member's post: the post's `likes_count` counts it once however often
  it arrives, and an `Undo` takes it back. A post in a members-only community, or one that is
  not ours, is refused and nothing is written; so is a `Like` signed for someone else.
- It signs an `Endorse` of a member's skill: the member's endorsements show it, and an `Undo`
  withdraws it.
- A member endorses its actor's skill: a signed `Endorse` reaches its inbox, readable as
  plain words too, and withdrawing it sends the `Undo`.
- Its replies to our posts (remote objects, appended to the log here as the inbox writes them)
  join the posts' threads and count in their `replies_count`; a deleted one stays as a
  tombstone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.api.keys import COMMANDS
from server.domain import remote_actors, remote_objects
from server.events.types.remote import (
    RemoteActorDescribed,
    RemoteContent,
    RemoteObjectDeleted,
    RemoteObjectReceived,
)
from server.federation import state
from server.federation.objects import PUBLIC
from server.federation.urls import Urls
from tests.api.conftest import Client, Member, register, settle
from tests.api.test_paths import _community
from tests.federation.follower import Server, until
from tests.federation.test_inbox import Remote, _post, remote
from tests.federation.test_translate import alice

__all__ = ["alice", "remote"]  # fixtures, shared with test_inbox and test_translate


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


def _endorse(remote: Remote, member_url: str, n: int = 1, **more: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/activitystreams",
                     {"learnwork": "https://w3id.org/learnwork/ns#",
                      "Endorse": "learnwork:Endorse", "skill": "learnwork:skill",
                      "comment": "learnwork:comment"}],
        "id": f"{remote.alice}#endorse/{n}", "type": "Endorse",
        "actor": remote.alice, "object": member_url, "skill": " SQL ", **more,
    }  # fmt: skip


async def test_a_remote_endorsement_shows_with_the_members_and_an_undo_withdraws_it(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    bob = await register(client, "bob")
    await bob.expect("POST", "/api/v1/endorsements", 201,
                     json={"kind": "member", "member_id": ada.id, "skill": "python"})  # fmt: skip
    await settle(client)
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    endorse = _endorse(remote, urls.member(ada.id).id, comment="Taught me <b>joins</b>")

    assert (await _post(client, remote, endorse))[0] == 202
    written = await _events(client)
    assert (await _post(client, remote, endorse))[0] == 202
    assert await _events(client) == written  # the same Endorse: once
    await settle(client)
    listed = await ada.expect("GET", f"/api/v1/members/{ada.id}/endorsements", 200)
    first, second = listed["items"]
    assert first["endorser"] is None and first["skill"] == "sql"
    host = remote.alice.split("/")[2]
    assert first["remote_endorser"] == {"id": remote.alice, "name": f"alice@{host}",
                                        "display_name": "alice", "url": None}  # fmt: skip
    assert first["comment"] == "Taught me <b>joins</b>"  # plain text: clients escape it
    assert second["endorser"]["handle"] == "bob" and second["remote_endorser"] is None
    only_sql = await ada.expect("GET", f"/api/v1/members/{ada.id}/endorsements?skill=SQL", 200)
    assert [e["remote_endorser"]["id"] for e in only_sql["items"]] == [remote.alice]
    paged = await ada.expect("GET", f"/api/v1/members/{ada.id}/endorsements?limit=1", 200)
    rest = await ada.expect(
        "GET", f"/api/v1/members/{ada.id}/endorsements?limit=1&cursor={paged['next_cursor']}", 200
    )
    assert [paged["items"][0]["id"], rest["items"][0]["id"]] == [first["id"], second["id"]]

    undo = {"id": f"{remote.alice}#undo/e1", "type": "Undo", "actor": remote.alice,
            "object": endorse["id"]}  # fmt: skip
    assert (await _post(client, remote, undo))[0] == 202
    await settle(client)
    listed = await ada.expect("GET", f"/api/v1/members/{ada.id}/endorsements", 200)
    assert [e["endorser"]["handle"] for e in listed["items"]] == ["bob"]

    before = await _events(client)
    status, _ = await _post(client, remote, _endorse(remote, urls.member(bob.id).id + "x", 2))
    assert status == 404
    status, problem = await _post(client, remote, {**_endorse(remote, urls.member(bob.id).id, 3),
                                                   "skill": 7})  # fmt: skip
    assert status == 400 and problem["errors"][0]["field"] == "skill"
    status, problem = await _post(client, remote, _endorse(remote, urls.member(bob.id).id, 4,
                                                           skill="x" * 60))  # fmt: skip
    assert status == 400 and problem["errors"][0]["field"] == "skill"
    assert await _events(client) == before


async def test_a_members_endorsement_of_a_remote_person_goes_out_signed_and_readable(
    client: Client, alice: Server
) -> None:
    ada = await register(client, "ada")
    body = {"actor": alice.alice, "skill": " Data Modelling ", "comment": "Clear & kind"}
    refused = await ada.expect("POST", "/api/v1/remote/endorsements", 404, json=body)
    assert refused["errors"][0]["field"] == "actor"  # nobody we know yet
    described = RemoteActorDescribed(
        actor_id=alice.alice, kind="Person", username="alice", host=alice.base.split("//")[1],
        inbox=f"{alice.alice}/inbox", name="Alice", shared_inbox=f"{alice.base}/inbox",
    )  # fmt: skip
    store = client.server.app[COMMANDS].store
    await store.append(f"remoteactor-{remote_actors.key(alice.alice)}", [described])
    await settle(client)

    given = await ada.expect("POST", "/api/v1/remote/endorsements", 201, json=body)
    await ada.expect("POST", "/api/v1/remote/endorsements", 409, json=body)
    await until(lambda: alice.of_type("Endorse"))
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    member = urls.member(ada.id)
    [delivered] = [d for d in alice.received if d.activity["type"] == "Endorse"]
    endorse = delivered.activity
    assert (delivered.path, delivered.key_id) == ("/users/alice/inbox", member.main_key)
    assert endorse["actor"] == member.id and endorse["object"] == alice.alice
    assert endorse["skill"] == "data modelling" and endorse["comment"] == "Clear & kind"
    assert endorse["to"] == [alice.alice] and endorse["cc"] == [PUBLIC]
    assert endorse["summary"] == f"Ada endorses alice@{described.host} for data modelling"
    assert endorse["content"] == (
        f"<p>Ada (@ada@{urls.host}) endorses Alice (alice@{described.host}) for"
        " <strong>data modelling</strong>.</p><blockquote><p>Clear &amp; kind</p></blockquote>"
    )
    assert "Endorse" in endorse["@context"][1] and "skill" in endorse["@context"][1]

    stranger = await register(client, "mallory")
    await stranger.expect("DELETE", f"/api/v1/remote/endorsements/{given['id']}", 403)
    await ada.expect("DELETE", f"/api/v1/remote/endorsements/{given['id']}", 200)
    await until(lambda: alice.of_type("Undo"))
    [undo] = alice.of_type("Undo")
    assert undo["actor"] == member.id and undo["object"]["id"] == endorse["id"]
    assert undo["object"]["skill"] == "data modelling"


async def test_replies_from_other_servers_join_the_thread_and_count(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    bob = await register(client, "bob")
    root = (await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Question"}))["id"]
    reply = (await bob.expect("POST", "/api/v1/posts", 201,
                              json={"body": "Ours", "in_reply_to": root}))["id"]  # fmt: skip
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    store = client.server.app[COMMANDS].store
    described = RemoteActorDescribed(
        actor_id=remote.alice, kind="Person", username="alice", host="elsewhere.example",
        inbox=f"{remote.alice}/inbox",
    )  # fmt: skip
    await store.append(f"remoteactor-{remote_actors.key(remote.alice)}", [described])
    notes = []
    for n, (parent, public) in enumerate(((root, True), (reply, True), (root, False))):
        note = f"{remote.base}/notes/{n}"
        received = RemoteObjectReceived(
            object_id=note, author=remote.alice, activity_id=f"{note}#create",
            content=RemoteContent(type="Note", content=f"<p>From afar {n}</p>"),
            published=datetime.now(UTC), in_reply_to=urls.post(parent), public=public,
            reply_to_post=parent,
        )  # fmt: skip
        await store.append(f"remoteobject-{remote_objects.key(note)}", [received])
        notes.append(note)
    await settle(client)

    thread = await ada.expect("GET", f"/api/v1/posts/{reply}/thread", 200)
    assert [(p["author"] or {}).get("handle") for p in thread["items"]] == [
        "ada",
        "bob",
        None,
        None,
    ]
    first, second = thread["items"][2:]
    assert first["remote"]["object_id"] == notes[0] and first["in_reply_to"] == root
    assert second["remote"]["object_id"] == notes[1] and second["in_reply_to"] == reply
    assert first["html"] == "<p>From afar 0</p>" and first["format"] == "html"
    assert first["remote"]["author"]["name"] == "alice@elsewhere.example"
    assert first["thread_id"] == root and first["status"] == "published"
    # one reply of ours and one public from elsewhere; the followers-only one is not in it
    assert (await ada.expect("GET", f"/api/v1/posts/{root}", 200))["replies_count"] == 2
    paged = await ada.expect("GET", f"/api/v1/posts/{root}/thread?limit=3", 200)
    rest = await ada.expect(
        "GET", f"/api/v1/posts/{root}/thread?limit=3&cursor={paged['next_cursor']}", 200
    )
    assert [p["id"] for p in paged["items"] + rest["items"]] == [p["id"] for p in thread["items"]]

    deleted = RemoteObjectDeleted(activity_id=f"{notes[0]}#delete")
    await store.append(f"remoteobject-{remote_objects.key(notes[0])}", [deleted])
    await settle(client)
    thread = await ada.expect("GET", f"/api/v1/posts/{root}/thread", 200)
    tombstone = thread["items"][2]
    assert tombstone["status"] == "deleted" and tombstone["html"] == ""
    assert tombstone["remote"]["deleted"] is True
    assert (await ada.expect("GET", f"/api/v1/posts/{root}", 200))["replies_count"] == 1


async def test_a_signed_create_of_a_reply_joins_the_thread_and_its_delete_tombstones_it(
    client: Client, remote: Remote
) -> None:
    ada = await register(client, "ada")
    root = (await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Question"}))["id"]
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    note = {
        "id": f"{remote.base}/notes/1", "type": "Note", "attributedTo": remote.alice,
        "inReplyTo": urls.post(root), "content": "<p>An <em>answer</em><script>x()</script></p>",
        "published": "2026-11-30T10:00:00Z", "to": [PUBLIC],
    }  # fmt: skip
    create = {"id": f"{remote.base}/activities/create/1", "type": "Create",
              "actor": remote.alice, "object": note}  # fmt: skip
    assert (await _post(client, remote, create))[0] == 202
    await settle(client)
    thread = await ada.expect("GET", f"/api/v1/posts/{root}/thread", 200)
    [_, reply] = thread["items"]
    assert reply["author"] is None and reply["in_reply_to"] == root
    assert reply["html"] == "<p>An <em>answer</em></p>"
    assert reply["remote"]["object_id"] == note["id"]
    assert reply["remote"]["author"]["name"].startswith("alice@")
    assert (await ada.expect("GET", f"/api/v1/posts/{root}", 200))["replies_count"] == 1

    delete = {"id": f"{remote.base}/activities/delete/1", "type": "Delete",
              "actor": remote.alice, "object": {"id": note["id"], "type": "Tombstone"}}  # fmt: skip
    assert (await _post(client, remote, delete))[0] == 202
    await settle(client)
    [_, reply] = (await ada.expect("GET", f"/api/v1/posts/{root}/thread", 200))["items"]
    assert reply["status"] == "deleted" and reply["html"] == ""
    assert (await ada.expect("GET", f"/api/v1/posts/{root}", 200))["replies_count"] == 0
