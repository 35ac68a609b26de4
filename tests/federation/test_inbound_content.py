"""Another server's content in our inbox, over real HTTP with real signatures: what concerns us
is kept (sanitised), updated by its author only, and tombstoned; what does not concern us, and
what is misattributed, writes nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from server.domain import remote_objects
from server.federation import state
from server.federation.keys import INSTANCE
from server.federation.urls import Urls
from tests.api.conftest import Client, Member, register, settle
from tests.federation.test_inbox import Remote, _events, _post, remote  # noqa: F401


def _note(origin: Remote, n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{origin.base}/notes/{n}", "type": "Note", "attributedTo": origin.alice,
        "content": f"<p>note {n}</p>", "published": "2026-11-30T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], **fields,
    }  # fmt: skip


def _activity(origin: Remote, kind: str, n: int, obj: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{origin.base}/activities/{kind.lower()}/{n}",
        "type": kind, "actor": origin.alice, "object": obj,
    }  # fmt: skip


async def _seen(ada: Member, object_id: str, status: int = 200) -> Any:
    local = uuid.UUID(remote_objects.key(object_id))
    await settle(ada.client)
    return await ada.expect("GET", f"/api/v1/remote/objects/{local}", status)


async def test_a_reply_to_our_post_is_kept_sanitised_updated_and_tombstoned(
    client: Client,
    remote: Remote,  # noqa: F811 (the fixture)
) -> None:
    ada = await register(client, "ada")
    post = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "A question"})
    ours = Urls(client.server.app[state.OPTIONS].base_url).post(post["id"])
    unsafe = '<p onclick="x()">Hi <strong>there</strong></p><script>alert(1)</script>'
    reply = _note(remote, 1, inReplyTo=ours, content=unsafe)

    assert (await _post(client, remote, _activity(remote, "Create", 1, reply)))[0] == 202
    kept = await _seen(ada, reply["id"])
    assert kept["html"] == "<p>Hi <strong>there</strong></p>"
    assert kept["in_reply_to"] == ours and kept["author"]["name"].startswith("alice@")

    before = await _events(client)
    assert (await _post(client, remote, _activity(remote, "Create", 1, reply)))[0] == 202
    assert await _events(client) == before  # the same Create again

    changed = {**reply, "content": "<p>Hi again</p>", "updated": "2026-11-30T11:00:00Z"}
    assert (await _post(client, remote, _activity(remote, "Update", 1, changed)))[0] == 202
    assert (await _seen(ada, reply["id"]))["html"] == "<p>Hi again</p>"

    tombstone = {"id": reply["id"], "type": "Tombstone"}
    assert (await _post(client, remote, _activity(remote, "Delete", 1, tombstone)))[0] == 202
    await _seen(ada, reply["id"], 404)
    # A tombstone is for good: the Create again brings nothing back.
    before = await _events(client)
    assert (await _post(client, remote, _activity(remote, "Create", 9, reply)))[0] == 202
    assert await _events(client) == before


async def test_what_does_not_concern_us_or_is_misattributed_writes_nothing(
    client: Client,
    remote: Remote,  # noqa: F811 (the fixture)
) -> None:
    ada = await register(client, "ada")
    post = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "A question"})
    ours = Urls(client.server.app[state.OPTIONS].base_url).post(post["id"])
    await client.server.app[state.VAULT].keys(INSTANCE)  # made before: fetching signs with it
    await settle(client)
    before = await _events(client)

    # Nobody here follows alice, and it answers nothing of ours.
    unasked = _note(remote, 2)
    assert (await _post(client, remote, _activity(remote, "Create", 2, unasked)))[0] == 202
    # Someone else's words in alice's Create.
    forged = _note(remote, 3, inReplyTo=ours, attributedTo=f"{remote.base}/users/bob")
    status, problem = await _post(client, remote, _activity(remote, "Create", 3, forged))
    assert (status, problem["reason"]) == (403, "not_the_author")
    # An object of another server, embedded: not believed, and not fetchable here.
    elsewhere = _note(remote, 4, inReplyTo=ours, id="http://127.0.0.1:9/notes/4")
    assert (await _post(client, remote, _activity(remote, "Announce", 4, elsewhere)))[0] == 202
    # An update of something we do not keep, and of an object on another host.
    assert (await _post(client, remote, _activity(remote, "Update", 5, _note(remote, 5))))[0] == 202
    status, _ = await _post(client, remote, _activity(remote, "Update", 6, elsewhere))
    assert status == 403
    assert await _events(client) == before


async def test_what_was_sent_to_followers_only_is_seen_by_its_authors_followers_only(
    client: Client,
    remote: Remote,  # noqa: F811 (the fixture)
) -> None:
    ada = await register(client, "ada")
    post = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "A question"})
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    private = _note(remote, 7, inReplyTo=urls.post(post["id"]),
                    to=[f"{remote.alice}/followers"], cc=[urls.member(ada.id).id])  # fmt: skip
    before = await _events(client)
    assert (await _post(client, remote, _activity(remote, "Create", 7, private)))[0] == 202
    assert await _events(client) > before  # kept: it answers ada
    await _seen(ada, private["id"], 404)  # but ada does not follow alice
    thread = await ada.expect("GET", f"/api/v1/posts/{post['id']}/thread", 200)
    assert [item["id"] for item in thread["items"]] == [post["id"]]


async def test_the_same_create_delivered_six_times_at_once_is_written_once(
    client: Client,
    remote: Remote,  # noqa: F811 (the fixture)
) -> None:
    ada = await register(client, "ada")
    post = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "A question"})
    ours = Urls(client.server.app[state.OPTIONS].base_url).post(post["id"])
    create = _activity(remote, "Create", 8, _note(remote, 8, inReplyTo=ours))
    assert (await _post(client, remote, create))[0] == 202  # alice is known: keys, document
    again = _activity(remote, "Create", 9, _note(remote, 9, inReplyTo=ours))
    statuses = await asyncio.gather(*(_post(client, remote, again) for _ in range(6)))
    assert [status for status, _ in statuses] == [202] * 6
    store = client.server.app[state.STORE]
    written = await store.read_stream(f"remoteobject-{remote_objects.key(again['object']['id'])}")
    assert [event.type for event in written] == ["remote.object_received"]
