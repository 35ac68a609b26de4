"""Federation's deliveries over real HTTP to real inboxes on loopback, from the log to the
inbox: signed by the activity's actor so the receiver verifies them, once per inbox (once per
shared inbox), retried with the same bytes until they land, refused ones given up at once,
unreachable hosts left alone until their next try, and durable: kept in PostgreSQL across a
restart, sent once however many processes run, never more at once to a host than allowed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.api.keys import COMMANDS
from server.app import create_app
from server.config import Settings
from server.federation import state
from server.federation.delivery import DELIVERY
from server.federation.delivery_rules import UNREACHABLE_AFTER
from server.federation.outgoing import Recipient
from tests.api.conftest import SECRET_KEY, Member, register
from tests.federation.audience import Audience
from tests.federation.inbox_sink import OurKeys, Sink

AppClient = Callable[..., Awaitable[TestClient]]
Audiences = dict[str, list[Recipient]]


def quick(**overrides: Any) -> Settings:
    """Settings with loopback allowed and retries in fractions of a second."""
    return Settings(
        **{
            "sign_ins_per_minute": 10_000,
            "writes_per_minute": 100_000,
            "read_wait_seconds": 5,
            "secret_key": SECRET_KEY,
            "federation_allow_private_addresses": True,
            "federation_first_retry_seconds": 0.05,
            "federation_timeout_seconds": 5,
            **overrides,
        }
    )


@pytest.fixture
def audiences() -> Audiences:
    """Which post bodies go to whom: shared by every app a test starts, as a translator's
    rules are by every process."""
    return {}


@pytest.fixture
def translated() -> list[str]:
    """The ids of the activities the translators made, in every app of the test."""
    return []


@pytest.fixture
def start(
    database_url: str, aiohttp_client: AppClient, audiences: Audiences, translated: list[str]
) -> Callable[..., Awaitable[TestClient]]:
    async def starting(**overrides: Any) -> TestClient:
        settings = quick(**overrides)
        translator = Audience(settings.base_url, audiences, translated)
        return await aiohttp_client(create_app(settings, database_url, [translator]))

    return starting


@pytest.fixture
async def client(start: Callable[..., Awaitable[TestClient]]) -> TestClient:
    return await start()


@pytest.fixture
def keys(client: TestClient) -> OurKeys:
    return OurKeys(client.server.app[state.VAULT])


@pytest.fixture
async def sink(keys: OurKeys) -> AsyncIterator[Sink]:
    async with Sink(keys) as running:
        yield running


async def publish(author: Member, body: str) -> str:
    """Publish a post; its Create activity's id (as the test translator makes it)."""
    post = await author.expect("POST", "/api/v1/posts", 201, json={"body": body})
    return f"{author.client.server.app[state.OPTIONS].base_url}/ap/posts/{post['id']}/create"


async def until(check: Callable[[], Awaitable[bool] | bool]) -> None:
    """Wait for `check` to hold (failing the test after 15 s)."""
    async with asyncio.timeout(15):
        while True:
            result = check()
            if await result if asyncio.iscoroutine(result) else result:
                return
            await asyncio.sleep(0.02)


async def rows(client: TestClient, query: str, *args: Any) -> list[Any]:
    async with client.server.app[COMMANDS].store.pool.acquire() as conn:
        return await conn.fetch(query, *args)


async def deliveries(client: TestClient) -> list[Any]:
    return await rows(
        client,
        "SELECT inbox, activity_id, status, attempts, last_status, last_error, next_attempt_at"
        " FROM federation_deliveries ORDER BY id",
    )


async def settled(client: TestClient, count: int) -> list[Any]:
    """The deliveries, once there are `count` and none is pending."""
    found: list[Any] = []

    async def done() -> bool:
        nonlocal found
        found = await deliveries(client)
        return len(found) == count and all(r["status"] != "pending" for r in found)

    await until(done)
    return found


async def test_an_activity_reaches_each_inbox_once_signed_by_its_author(
    client: TestClient, audiences: Audiences, keys: OurKeys
) -> None:
    async with Sink(keys) as one, Sink(keys) as other:
        inboxes = [one.url("/users/a/inbox"), one.url("/users/b/inbox"), other.url("/inbox")]
        audiences["hello, fediverse"] = [Recipient(i) for i in inboxes]
        ada = await register(client, "ada")
        activity_id = await publish(ada, "hello, fediverse")
        found = await settled(client, 3)
        assert {r["status"] for r in found} == {"delivered"}
        assert {r["attempts"] for r in found} == {1}
        got = one.log + other.log
        assert sorted(r.path for r in got) == ["/inbox", "/users/a/inbox", "/users/b/inbox"]
        actor = f"{client.server.app[state.OPTIONS].base_url}/ap/members/{ada.id}"
        for received in got:
            assert received.key_id == f"{actor}#main-key"  # the receiver verified it
            assert received.activity["id"] == activity_id
            assert received.activity["actor"] == actor
            assert received.activity["object"]["content"] == "hello, fediverse"
            assert received.headers["Content-Type"] == "application/activity+json"
        assert len({r.body for r in got}) == 1
        # Once: a later post arrives, and nothing came twice meanwhile.
        audiences["marker"] = [Recipient(other.url("/inbox"))]
        marker = await publish(ada, "marker")
        await until(lambda: any(r.activity["id"] == marker for r in other.log))
        assert len(one.log) == 2 and len(other.log) == 2


async def test_followers_who_share_an_inbox_get_one_delivery_there(
    client: TestClient, audiences: Audiences, keys: OurKeys
) -> None:
    async with Sink(keys) as big, Sink(keys) as small:
        shared = big.url("/inbox")
        audiences["to my followers"] = [
            Recipient(big.url("/users/a/inbox"), shared),
            Recipient(small.url("/users/z/inbox")),
            Recipient(big.url("/users/b/inbox"), shared),
            Recipient(big.url("/users/c/inbox"), shared),
        ]
        ada = await register(client, "ada")
        activity_id = await publish(ada, "to my followers")
        found = await settled(client, 2)
        assert {r["inbox"] for r in found} == {shared, small.url("/users/z/inbox")}
        assert big.accepted() == {("/inbox", activity_id): 1}
        assert small.accepted() == {("/users/z/inbox", activity_id): 1}


async def test_a_failing_inbox_gets_the_same_bytes_until_it_accepts(
    client: TestClient, audiences: Audiences, sink: Sink
) -> None:
    sink.answers = [500, 503, (502, {"Retry-After": "0"})]
    audiences["try, try again"] = [Recipient(sink.url("/inbox"))]
    ada = await register(client, "ada")
    await publish(ada, "try, try again")
    [delivery] = await settled(client, 1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4
    assert delivery["last_status"] == 202
    assert [r.status for r in sink.log] == [500, 503, 502, 202]
    assert len({r.body for r in sink.log}) == 1
    assert all(r.key_id for r in sink.log)
    # Failures below the threshold, then an answer: the host has no failures left.
    assert await rows(client, "SELECT * FROM federation_hosts") == []


async def test_a_refusal_fails_the_delivery_at_once(
    client: TestClient, audiences: Audiences, sink: Sink
) -> None:
    sink.answers = [403]
    audiences["not welcome"] = [Recipient(sink.url("/inbox"))]
    ada = await register(client, "ada")
    await publish(ada, "not welcome")
    [delivery] = await settled(client, 1)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert delivery["last_status"] == 403 and delivery["last_error"] == "answered 403"
    assert len(sink.log) == 1


async def test_a_401_is_asked_again_with_cavage_at_once_then_retried_later(
    client: TestClient, audiences: Audiences, sink: Sink
) -> None:
    sink.answers = [401, 401]
    audiences["who are you?"] = [Recipient(sink.url("/inbox"))]
    ada = await register(client, "ada")
    await publish(ada, "who are you?")
    [delivery] = await settled(client, 1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    schemes = ["rfc9421" if "Signature-Input" in r.headers else "cavage" for r in sink.log]
    assert schemes == ["rfc9421", "cavage", "rfc9421"]
    assert [r.status for r in sink.log] == [401, 401, 202]
    assert all(r.key_id for r in sink.log) and len({r.body for r in sink.log}) == 1


async def test_a_429_waits_as_long_as_it_is_told(
    client: TestClient, audiences: Audiences, sink: Sink
) -> None:
    sink.answers = [(429, {"Retry-After": "3600"})]
    audiences["slow down"] = [Recipient(sink.url("/inbox"))]
    ada = await register(client, "ada")
    await publish(ada, "slow down")

    async def tried() -> bool:
        return [r["attempts"] for r in await deliveries(client)] == [1]

    await until(tried)
    [waiting] = await rows(
        client,
        "SELECT status, last_status, extract(epoch FROM next_attempt_at - now()) AS wait"
        " FROM federation_deliveries",
    )
    assert waiting["status"] == "pending" and waiting["last_status"] == 429
    assert 3000 < waiting["wait"] <= 3600
    assert len(sink.log) == 1


async def test_a_host_that_never_answers_is_marked_and_left_alone_until_its_next_try(
    start: Callable[..., Awaitable[TestClient]], audiences: Audiences
) -> None:
    # Retries ten minutes away: within the test, only the host's next try can bring them.
    client = await start(federation_first_retry_seconds=600)
    keys = OurKeys(client.server.app[state.VAULT])
    down = Sink(keys)  # not started: its port refuses connections
    async with Sink(keys) as elsewhere:
        inboxes = [down.url(f"/users/{n}/inbox") for n in range(UNREACHABLE_AFTER + 1)]
        audiences["into the void"] = [Recipient(i) for i in inboxes]
        ada = await register(client, "ada")
        await publish(ada, "into the void")

        async def marked() -> bool:
            hosts = await rows(client, "SELECT * FROM federation_hosts WHERE host = $1", down.host)
            flying = await rows(client, "SELECT 1 FROM federation_deliveries WHERE lease IS NOT"
                                " NULL AND next_attempt_at > now()")  # fmt: skip
            return bool(hosts) and hosts[0]["unreachable_since"] is not None and not flying

        await until(marked)
        [host] = await rows(client, "SELECT * FROM federation_hosts")
        assert host["failures"] >= UNREACHABLE_AFTER
        found = await deliveries(client)
        assert all("refused" in r["last_error"].lower() or "connect" in r["last_error"].lower()
                   for r in found if r["attempts"])  # fmt: skip
        assert all(r["next_attempt_at"] >= host["next_try_at"] for r in found)
        # The host is back, but not tried before its next try: what is enqueued for it now
        # waits too, while another host gets its delivery at once.
        async with down:
            audiences["meanwhile"] = [Recipient(down.url("/late/inbox")),
                                      Recipient(elsewhere.url("/inbox"))]  # fmt: skip
            await publish(ada, "meanwhile")
            await until(lambda: bool(elsewhere.accepted()))
            [late] = [r for r in await deliveries(client) if r["inbox"].endswith("/late/inbox")]
            assert late["attempts"] == 0 and late["next_attempt_at"] == host["next_try_at"]
            assert down.log == []
            # Its next try comes (the clock moved on): one delivery probes the host alone,
            # then the others go, at most four at once.
            await rows(client, "UPDATE federation_hosts SET next_try_at = now()")
            await rows(
                client,
                "UPDATE federation_deliveries SET next_attempt_at = now() WHERE host = $1",
                down.host,
            )
            client.server.app[DELIVERY].wake()
            found = await settled(client, len(inboxes) + 2)
            assert {r["status"] for r in found} == {"delivered"}
            assert len(down.log) == len(inboxes) + 1
            assert down.timeline[:2] == ["start", "end"] and down.max_in_flight <= 4
            assert await rows(client, "SELECT * FROM federation_hosts") == []


async def test_deliveries_pending_when_a_process_stops_go_out_from_the_next(
    start: Callable[..., Awaitable[TestClient]], audiences: Audiences
) -> None:
    first = await start(federation_first_retry_seconds=1)
    async with Sink(OurKeys(first.server.app[state.VAULT])) as sink:
        sink.answers = [503] * 3
        audiences["keep trying"] = [Recipient(sink.url(f"/{n}/inbox")) for n in range(3)]
        activity_id = await publish(await register(first, "ada"), "keep trying")

        async def refused() -> bool:  # answered, and the answers recorded: a process that
            # stopped between the two would leave its deliveries leased for 20 s
            found = await deliveries(first)
            return len(found) == 3 and all(r["attempts"] for r in found)

        await until(refused)
        await first.close()  # all three pending, each due again shortly
        second = await start()
        sink.keys = OurKeys(second.server.app[state.VAULT])
        found = await settled(second, 3)
        assert {r["status"] for r in found} == {"delivered"}
        assert all(r["attempts"] >= 2 for r in found)
        assert sink.accepted() == {(f"/{n}/inbox", activity_id): 1 for n in range(3)}
        assert [r.status for r in sink.log[:3]] == [503] * 3


async def test_a_request_in_flight_when_its_process_stops_is_sent_again(
    start: Callable[..., Awaitable[TestClient]], audiences: Audiences
) -> None:
    first = await start()
    async with Sink(OurKeys(first.server.app[state.VAULT])) as sink:
        sink.held = 2  # the inbox takes the first two requests and does not answer
        audiences["cut off"] = [Recipient(sink.url(f"/{n}/inbox")) for n in range(2)]
        activity_id = await publish(await register(first, "ada"), "cut off")
        await until(lambda: sink.in_flight == 2)
        await first.close()  # the process stops while both requests are in flight
        second = await start()
        sink.keys = OurKeys(second.server.app[state.VAULT])
        leased = await rows(second, "SELECT attempts FROM federation_deliveries"
                                    " WHERE status = 'pending' AND lease IS NOT NULL")  # fmt: skip
        assert [r["attempts"] for r in leased] == [0, 0]
        # Their leases end (the clock moved on): the next process sends them.
        await rows(second, "UPDATE federation_deliveries SET next_attempt_at = now()")
        second.server.app[DELIVERY].wake()
        found = await settled(second, 2)
        assert {(r["status"], r["attempts"]) for r in found} == {("delivered", 1)}
        # At least once: the inbox had each twice (the first time cut off), the same bytes —
        # a receiver that had handled the first drops the second by the activity's id.
        assert sorted(r.path for r in sink.log) == ["/0/inbox", "/0/inbox", "/1/inbox", "/1/inbox"]
        assert sink.accepted() == {(f"/{n}/inbox", activity_id): 1 for n in range(2)}
        assert len({r.body for r in sink.log}) == 1


async def test_two_processes_send_each_delivery_once(
    start: Callable[..., Awaitable[TestClient]], audiences: Audiences
) -> None:
    one, two = await start(), await start()
    keys = OurKeys(one.server.app[state.VAULT])
    async with Sink(keys) as a, Sink(keys) as b:
        ada = await register(one, "ada")
        bob = await register(two, "bob")
        sent = []
        for n in range(10):
            body = f"post {n}"
            audiences[body] = [Recipient(sink.url(f"/{i}/inbox")) for sink in (a, b)
                               for i in range(2)]  # fmt: skip
            sent.append(await publish(ada if n % 2 else bob, body))
        found = await settled(one, 40)
        assert {r["status"] for r in found} == {"delivered"}
        expected = {(f"/{i}/inbox", s): 1 for i in range(2) for s in sent}
        assert a.accepted() == expected and b.accepted() == expected
        assert len(a.log) == len(b.log) == 20


async def test_no_host_has_more_deliveries_in_flight_than_allowed(
    start: Callable[..., Awaitable[TestClient]], audiences: Audiences
) -> None:
    # Two processes: the bound holds for them together.
    one = await start(federation_host_concurrency=2)
    await start(federation_host_concurrency=2)
    keys = OurKeys(one.server.app[state.VAULT])
    async with Sink(keys) as busy, Sink(keys) as quiet:
        busy.hold = quiet.hold = 0.3
        audiences["a crowd"] = [Recipient(busy.url(f"/{n}/inbox")) for n in range(12)] + [
            Recipient(quiet.url(f"/{n}/inbox")) for n in range(3)
        ]
        await publish(await register(one, "ada"), "a crowd")
        await settled(one, 15)
        assert len(busy.log) == 12 and len(quiet.log) == 3
        assert busy.max_in_flight == 2 and quiet.max_in_flight == 2


async def test_the_outbox_enqueues_an_events_deliveries_once_across_restarts(
    start: Callable[..., Awaitable[TestClient]], audiences: Audiences, translated: list[str]
) -> None:
    first = await start()
    async with Sink(OurKeys(first.server.app[state.VAULT])) as sink:
        for body in ("one", "two", "three"):
            audiences[body] = [Recipient(sink.url("/inbox"))]
        ada = await register(first, "ada")
        one = await publish(ada, "one")
        await settled(first, 1)
        await first.close()
        second = await start()
        sink.keys = OurKeys(second.server.app[state.VAULT])
        ada = Member(second, ada.id, ada.handle, ada.token, ada.position)
        two = await publish(ada, "two")
        await settled(second, 2)
        assert translated == [one, two]  # the new process went on from the checkpoint
        # The checkpoint taken back to the start of the log: every event is translated again,
        # and nothing is enqueued twice.
        await rows(second, "UPDATE federation_outbox SET position = 0")
        three = await publish(ada, "three")
        await settled(second, 3)
        await until(lambda: translated.count(two) == 2)
        assert sink.accepted() == {("/inbox", one): 1, ("/inbox", two): 1, ("/inbox", three): 1}
        assert len(sink.log) == 3
