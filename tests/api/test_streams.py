"""The instance's event stream over real HTTP (Server-Sent Events): CloudEvents envelopes,
resuming exactly after the last event received, filters, secrets never streamed, keep-alives,
and a consumer that falls behind told so and disconnected."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
import pytest
from aiohttp import ClientResponse

from server.api.keys import COMMANDS, OPTIONS
from server.commands import accounts
from server.config import Settings
from server.events import StreamAppend
from server.events.types.posts import PostPublished
from tests.api.conftest import Client, Member, field_of, register
from tests.api.test_paths import _community, _join, _path

STREAM = "/api/v1/streams/events"


async def streamer(client: Client, handle: str = "root") -> Member:
    """An admin with a token for streams."""
    cx = client.server.app[COMMANDS]
    done = await accounts.register(
        cx, handle=handle, display_name="Root", password="correct horse 1", admin=True
    )
    issued = await accounts.issue_token(cx, done.member, ["read", "admin", "stream"])
    return Member(client, done.member.id, handle, issued.token, issued.result.position)


class Reader:
    """The messages of one open stream, parsed as an EventSource would."""

    def __init__(self, response: ClientResponse) -> None:
        self.response = response
        self.comments = 0

    async def next(self) -> dict[str, Any]:
        """The next message (within 5 s): its fields, and `data` decoded."""
        fields: dict[str, Any] = {}
        async with asyncio.timeout(5):
            while True:
                line = (await self.response.content.readline()).decode()
                if line == "":
                    raise EOFError("the stream ended")
                line = line.rstrip("\n")
                if line == "":
                    if fields:
                        fields["data"] = msgspec.json.decode(fields["data"])
                        return fields
                    continue
                if line.startswith(":"):
                    self.comments += 1
                    continue
                name, _, value = line.partition(": ")
                fields[name] = value

    async def events(self, n: int) -> list[dict[str, Any]]:
        return [(await self.next())["data"] for _ in range(n)]


async def open_stream(client: Client, who: Member, **params: str) -> Reader:
    headers = who.headers | params.pop("headers", {})  # type: ignore[operator]
    response = await client.get(STREAM, params=params, headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/event-stream"
    return Reader(response)


async def post(member: Member, body: str) -> str:
    return (await member.expect("POST", "/api/v1/posts", 201, json={"body": body}))["id"]


async def test_events_come_as_cloudevents_and_a_reconnect_resumes_exactly(client: Client) -> None:
    root = await streamer(client)
    ada = await register(client, "ada")
    first = await open_stream(client, root, types="post.*")
    ids = [await post(ada, f"post {i}") for i in range(3)]
    received = await first.events(2)
    assert [e["subject"] for e in received] == [f"post-{i}" for i in ids[:2]]
    envelope = received[0]
    assert envelope["specversion"] == "1.0" and envelope["type"] == "org.learnwork.post.published"
    assert envelope["source"] == client.server.app[OPTIONS].base_url
    assert envelope["data"]["body"] == "post 0" and envelope["time"]
    assert int(received[0]["id"]) < int(received[1]["id"])
    first.response.close()  # the connection drops after the second

    more = [await post(ada, "post 3")]
    again = await open_stream(
        client, root, types="post.*", headers={"Last-Event-ID": received[1]["id"]}
    )
    resumed = await again.events(2)
    assert [e["subject"] for e in resumed] == [f"post-{i}" for i in ids[2:] + more]
    # The same with ?cursor=, and from the start of the log with 0.
    from_cursor = await open_stream(client, root, types="post.*", cursor=received[0]["id"])
    assert [e["subject"] for e in await from_cursor.events(3)] == [
        f"post-{i}" for i in ids[1:] + more
    ]
    replay = await open_stream(client, root, cursor="0")
    first_ones = await replay.events(3)
    assert int(first_ones[0]["id"]) < 5  # the log's first events
    assert "org.learnwork.member.registered" in [e["type"] for e in first_ones]


async def test_filters_by_type_area_and_entity(client: Client) -> None:
    root = await streamer(client)
    ada, bob = await register(client, "ada"), await register(client, "bob")
    start = str(await client.server.app[COMMANDS].store.last_position())
    await post(ada, "by ada")
    await bob.expect("POST", "/api/v1/members/ada/follow", 200)
    await post(bob, "by bob")

    by_ada = await open_stream(client, root, cursor=start, member=ada.id)
    assert [e["type"] for e in await by_ada.events(2)] == [
        "org.learnwork.post.published",
        "org.learnwork.member.followed",  # names ada as the one followed
    ]
    follows = await open_stream(client, root, cursor=start, types="member.followed")
    assert (await follows.events(1))[0]["subject"] == f"member-{bob.id}"
    both = await open_stream(client, root, cursor=start, types="member.*, post.published")
    assert len(await both.events(3)) == 3


async def test_secrets_and_credentials_are_never_streamed(client: Client) -> None:
    root = await streamer(client)
    ada = await register(client, "ada")
    await ada.expect("POST", "/api/v1/me/password", 200, json={
        "current_password": "correct horse 1", "new_password": "another horse 2"})  # fmt: skip
    await ada.expect("POST", "/api/v1/me/tokens", 201, json={"name": "ci", "scopes": ["read"]})
    marker = await post(ada, "the last one")

    replay = await open_stream(client, root, cursor="0")
    types = []
    while (event := (await replay.next())["data"])["subject"] != f"post-{marker}":
        types.append(event["type"])
    assert "org.learnwork.member.registered" in types
    assert not [t for t in types if t.startswith(("org.learnwork.token.", "org.learnwork.oauth."))]
    assert "org.learnwork.member.password_set" not in types


async def test_bad_cursors_filters_and_callers_are_refused(client: Client) -> None:
    root = await streamer(client)
    head = await client.server.app[COMMANDS].store.last_position()

    async def refused(who: Member, status: int, **params: Any) -> Any:
        headers = who.headers | params.pop("headers", {})
        response = await client.get(STREAM, params=params, headers=headers)
        assert response.status == status, await response.text()
        return await response.json()

    assert field_of(await refused(root, 400, cursor="abc")) == "cursor"
    problem = await refused(root, 400, cursor=str(head + 1000))
    assert field_of(problem) == "cursor" and "ahead of the log" in problem["errors"][0]["detail"]
    assert field_of(await refused(root, 400, headers={"Last-Event-ID": "-1"})) == "Last-Event-ID"
    assert field_of(await refused(root, 400, types="post.nope")) == "types"
    assert field_of(await refused(root, 400, types="nope.*")) == "types"
    plain = await register(client, "bob")
    await refused(plain, 403)  # no stream scope
    assert (await client.get(STREAM)).status == 401


async def test_a_member_gets_only_what_they_may_see(client: Client) -> None:
    """Each leak path, against a member's stream and the admin's: a members-only community's
    posts, their likes, artefacts, paths and progress in it; unshared progress; a draft path;
    an admin decision; a request to join."""
    root = await streamer(client)
    watcher = await register(client, "watcher", scopes=["read", "write", "stream"])
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    start = str(await client.server.app[COMMANDS].store.last_position())
    # Open before anything happens, these two get each event from the process's one reader of
    # the log; the replays below read the log each on their own.
    live = [await open_stream(client, who, cursor=start) for who in (root, watcher)]
    inner = await _community(ada, "inner", visibility="members_only")
    await ada.expect("POST", "/api/v1/communities/inner/invitations", 200, json={
        "member_id": bob.id})  # fmt: skip
    await _join(bob, "inner")
    hidden_post = await ada.expect("POST", "/api/v1/posts", 201, json={
        "body": "inside", "community_id": inner})  # fmt: skip
    bob.saw(ada)
    await bob.expect("POST", f"/api/v1/posts/{hidden_post['id']}/like", 200)
    hidden_path = await _path(ada, "inner", steps=1)
    await ada.expect("POST", f"/api/v1/paths/{hidden_path}/enroll", 200)
    await _community(ada, "open")
    draft = await _path(ada, "open", steps=1, publish=False)
    shown_path = await _path(ada, "open", steps=1)
    await ada.expect("PATCH", "/api/v1/me", 200, json={"share_progress": False})
    await ada.expect("POST", f"/api/v1/paths/{shown_path}/enroll", 200)
    await watcher.expect("POST", f"/api/v1/paths/{shown_path}/enroll", 200)
    club = {"slug": "club", "name": "Club", "visibility": "public", "join_policy": "approval"}
    await ada.expect("POST", "/api/v1/communities", 201, json=club)
    for asking in (watcher, bob):
        asking.saw(ada)
        await asking.expect("POST", "/api/v1/communities/club/join", 200, json={})
    root.saw(cy)
    await root.expect("POST", f"/api/v1/admin/members/{cy.id}/suspend", 200, json={})
    marker = await post(watcher, "the end")

    async def seen(stream: Reader) -> list[tuple[str, str]]:
        got = []
        while (event := (await stream.next())["data"])["subject"] != f"post-{marker}":
            got.append((event["type"].removeprefix("org.learnwork."), event["subject"]))
        return got

    replayed = [await seen(await open_stream(client, who, cursor=start)) for who in (root, watcher)]
    hidden = {
        ("post.published", f"post-{hidden_post['id']}"),
        ("post.liked", f"post-{hidden_post['id']}"),
        ("path.created", f"path-{hidden_path}"),
        ("enrollment.enrolled", f"enrollment-{hidden_path}-{ada.id}"),
        ("path.created", f"path-{draft}"),
        ("enrollment.enrolled", f"enrollment-{shown_path}-{ada.id}"),  # she stopped sharing
        ("member.suspended", f"member-{cy.id}"),
        ("community.member_invited", f"community-{inner}"),
    }
    for everything, mine in (replayed, [await seen(stream) for stream in live]):
        assert hidden <= set(everything) and not hidden & set(mine)
        assert ("path.published", f"path-{shown_path}") in mine
        assert ("enrollment.enrolled", f"enrollment-{shown_path}-{watcher.id}") in mine
        assert ("community.created", f"community-{inner}") not in mine
        requests = [t for t, _ in everything if t == "community.join_requested"]
        assert len(requests) == 2  # the watcher's and bob's: the watcher sees only their own
        joins = [t for t, _ in mine if t.startswith("community.join")]
        assert joins == ["community.join_requested"]
        assert len(mine) < len(everything)
    # Sent once the path was published, its creation shows: its history is the path's. (Sent
    # live while it was a draft, it did not.)
    assert ("path.created", f"path-{shown_path}") in replayed[1]


async def test_streams_opened_while_others_write_get_what_a_replay_gets(client: Client) -> None:
    """Twelve streams — an admin, a member of a members-only community and a member outside it,
    each with four filters — half opened before three members write at once, half while they
    write (catching up on their own, then joining the process's reader mid-flow). Each gets
    exactly what a replay of the log with its filter gets: nothing lost, repeated, reordered
    or leaked on the way from one to the other."""
    root = await streamer(client)
    ada = await register(client, "ada")
    bob, watcher = [
        await register(client, h, scopes=["read", "write", "stream"]) for h in ("bob", "watcher")
    ]
    inner = await _community(ada, "inner", visibility="members_only")
    await ada.expect("POST", "/api/v1/communities/inner/invitations", 200, json={
        "member_id": bob.id})  # fmt: skip
    await _join(bob, "inner")
    outer = await _community(ada, "outer")
    await _join(watcher, "outer")
    start = str(await client.server.app[COMMANDS].store.last_position())
    wants: list[tuple[Member, dict[str, str]]] = [
        (who, filters)
        for who, place in ((root, inner), (bob, inner), (watcher, outer))
        for filters in ({}, {"types": "post.*"}, {"member": ada.id}, {"community": place})
    ]

    async def write(who: Member, where: list[str], n: int) -> None:
        for i in range(n):
            body = {"body": f"{who.handle} {i}", "community_id": where[i % len(where)]}
            await who.expect("POST", "/api/v1/posts", 201, json=body)

    early = [await open_stream(client, who, cursor=start, **f) for who, f in wants[::2]]
    writing = asyncio.gather(
        write(ada, [inner, outer], 30), write(bob, [inner], 30), write(watcher, [outer], 30)
    )
    await asyncio.sleep(0.1)
    late = [await open_stream(client, who, cursor=start, **f) for who, f in wants[1::2]]
    await writing
    # The last each stream gets: ada's post in the community it is filtered on, or else her
    # post in the outer community, the very last.
    ends = {}
    for where in (inner, outer):
        ends[where] = await ada.expect("POST", "/api/v1/posts", 201, json={
            "body": "the end", "community_id": where})  # fmt: skip

    def last_of(filters: dict[str, str]) -> str:
        return ends[filters.get("community", outer)]["id"]

    async def seen(stream: Reader, last: str) -> list[str]:
        got = []
        while (event := (await stream.next())["data"])["subject"] != f"post-{last}":
            got.append(event["id"])
        return got

    live = dict(zip(range(0, 12, 2), early, strict=True)) | dict(
        zip(range(1, 12, 2), late, strict=True)
    )
    for i, (who, filters) in enumerate(wants):
        last = last_of(filters)
        replayed = await seen(await open_stream(client, who, cursor=start, **filters), last)
        assert await seen(live[i], last) == replayed, (who.handle, filters)
        assert replayed == sorted(replayed, key=int) and len(set(replayed)) == len(replayed)
    admin_all, member_all, outsider_all = [
        await seen(await open_stream(client, who, cursor=start), last_of({}))
        for who in (root, bob, watcher)
    ]
    assert len(outsider_all) < len(member_all) <= len(admin_all)


async def test_the_same_over_a_websocket(client: Client) -> None:
    """One text message per envelope, resumed with `cursor`; a shutdown sends the error message
    naming where to resume, then closes."""
    root = await streamer(client)
    ada = await register(client, "ada")
    start = str(await client.server.app[COMMANDS].store.last_position())
    ids = [await post(ada, f"post {i}") for i in range(3)]

    socket = await client.ws_connect(STREAM, params={"cursor": start, "types": "post.*"},
                                     headers=root.headers)  # fmt: skip
    first = [msgspec.json.decode(await socket.receive_str(timeout=5)) for _ in range(2)]
    assert [e["subject"] for e in first] == [f"post-{i}" for i in ids[:2]]
    assert first[0]["type"] == "org.learnwork.post.published" and first[0]["specversion"] == "1.0"
    await socket.close()

    again = await client.ws_connect(STREAM, params={"cursor": first[1]["id"], "types": "post.*"},
                                    headers=root.headers)  # fmt: skip
    assert msgspec.json.decode(await again.receive_str(timeout=5))["subject"] == f"post-{ids[2]}"
    async with asyncio.timeout(5):
        await client.server.app.shutdown()
        error = msgspec.json.decode(await again.receive_str())
        assert error["error"] == "shutting_down" and error["last_event_id"] == str(
            await client.server.app[COMMANDS].store.last_position()
        )
        assert (await again.receive()).type.name in ("CLOSE", "CLOSED", "CLOSING")


async def test_shutting_down_ends_open_streams(client: Client) -> None:
    root = await streamer(client)
    open_one = await open_stream(client, root)
    async with asyncio.timeout(5):
        await client.server.app.shutdown()
        message = await open_one.next()
        assert message["event"] == "error" and message["data"]["error"] == "shutting_down"
        with pytest.raises(EOFError):
            await open_one.next()


class TestSlowAndQuiet:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(
            sign_ins_per_minute=10_000, writes_per_minute=100_000, read_wait_seconds=5,
            stream_heartbeat_seconds=0.05, stream_buffer=5,
        )  # fmt: skip

    async def test_a_quiet_stream_gets_keep_alives(self, client: Client) -> None:
        root = await streamer(client)
        quiet = await open_stream(client, root)
        await asyncio.sleep(0.3)
        ada = await register(client, "ada")
        assert (await quiet.next())["data"]["subject"] == f"member-{ada.id}"
        assert quiet.comments >= 2

    async def test_a_consumer_that_stops_reading_is_told_where_to_resume(
        self, client: Client
    ) -> None:
        """200 events of ~90 kB (18 MB) come while it reads nothing: more than the sockets hold
        (a few MB each way), so its buffer of 5 stays full. Reading again, it gets what was
        sent, then an error naming the last of those, then the end; resuming from there, it
        gets every event after it."""
        root = await streamer(client)
        store = client.server.app[COMMANDS].store
        start = str(await store.last_position())
        slow = await open_stream(client, root, cursor=start, types="post.*")
        ids = [str(uuid.uuid4()) for _ in range(200)]
        for i, post_id in enumerate(ids):
            body = f"{i} " + "x" * 90_000
            await store.append(
                f"post-{post_id}", [PostPublished(author_id=root.id, body=body, thread_id=post_id)]
            )
        await asyncio.sleep(0.5)  # many heartbeat intervals with the buffer full
        got: list[str] = []
        while (message := await slow.next()).get("event") != "error":
            got.append(message["data"]["subject"])
        assert message["data"]["error"] == "too_slow" and 0 < len(got) < 200
        last = message["data"]["last_event_id"]
        assert got == [f"post-{i}" for i in ids[: len(got)]]
        with pytest.raises(EOFError):
            await slow.next()
        resumed = await open_stream(client, root, types="post.*", cursor=last)
        rest = [e["subject"] for e in await resumed.events(200 - len(got))]
        assert got + rest == [f"post-{i}" for i in ids]

    async def test_a_burst_larger_than_the_buffer_reaches_a_consumer_that_keeps_reading(
        self, client: Client
    ) -> None:
        """100 events in one append overflow a buffer of 5 at once: the process's reader lets
        the stream go, the stream reads the log on its own while its consumer keeps up, then
        joins again — and gets everything, in order, and what comes after."""
        root = await streamer(client)
        store = client.server.app[COMMANDS].store
        stream = await open_stream(client, root, types="post.*")
        await asyncio.sleep(0.1)  # joined the process's reader at the end of the log
        ids = [str(uuid.uuid4()) for _ in range(110)]

        def published(post_id: str) -> PostPublished:
            return PostPublished(author_id=root.id, body="burst", thread_id=post_id)

        await store.append_all([
            StreamAppend(f"post-{i}", [published(i)]) for i in ids[:100]])  # fmt: skip
        got = [e["subject"] for e in await stream.events(100)]
        for post_id in ids[100:]:
            await store.append(f"post-{post_id}", [published(post_id)])
        got += [e["subject"] for e in await stream.events(10)]
        assert got == [f"post-{i}" for i in ids]
