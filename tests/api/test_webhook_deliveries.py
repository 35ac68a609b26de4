"""Webhook deliveries over real HTTP to a real receiver on loopback: signed so that a Standard
Webhooks receiver accepts them, the events the token's member may see and no other, retried
with the same id until they land or their window ends, logged, redelivered on request, and
durable: kept in PostgreSQL across a restart, sent once however many processes run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.api import webhook_queue
from server.api.keys import COMMANDS, OPTIONS
from server.app import create_app
from server.config import Settings
from tests.api.conftest import SECRET_KEY, Client, Member, register
from tests.api.test_paths import _community, _join
from tests.api.test_streams import streamer
from tests.api.webhook_receiver import Receiver, receiving, verify, verify_with_library

WEBHOOKS = "/api/v1/webhooks"
AppClient = Callable[..., Awaitable[TestClient]]


def quick(**overrides: Any) -> Settings:
    """Settings with loopback allowed and retries in fractions of a second."""
    return Settings(
        **{
            "sign_ins_per_minute": 10_000,
            "writes_per_minute": 100_000,
            "read_wait_seconds": 5,
            "secret_key": SECRET_KEY,
            "webhook_allow_private_addresses": True,
            "webhook_first_retry_seconds": 0.05,
            "webhook_retry_seconds": 60,
            "webhook_timeout_seconds": 5,
            **overrides,
        }
    )


@pytest.fixture
def settings() -> Settings:
    return quick()


async def developer(client: Client, handle: str = "dev") -> Member:
    return await register(client, handle, scopes=["read", "write", "stream"])


async def hook(owner: Member, url: str, **body: Any) -> dict[str, Any]:
    return await owner.expect("POST", WEBHOOKS, 201, json={"url": url, **body})


async def post(author: Member, body: str, **extra: Any) -> dict[str, Any]:
    return await author.expect("POST", "/api/v1/posts", 201, json={"body": body, **extra})


async def deliveries(owner: Member, endpoint: dict[str, Any], **params: str) -> list[Any]:
    return (
        await owner.expect("GET", f"{WEBHOOKS}/{endpoint['id']}/deliveries", 200, params=params)
    )["items"]


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for `check` to hold (failing the test after 15 s)."""
    async with asyncio.timeout(15):
        while not await check():  # noqa: ASYNC110 (the state is in the database)
            await asyncio.sleep(0.02)


async def test_an_event_arrives_signed_as_a_cloudevent(client: Client) -> None:
    async with receiving() as receiver:
        dev = await developer(client)
        before = await post(dev, "before the endpoint")
        endpoint = await hook(dev, receiver.url, types=["post.*"])
        published = await post(dev, "hello, receiver")
        delivery = await receiver.next()
        assert verify(endpoint["secret"], delivery.headers, delivery.body)
        envelope = verify_with_library(endpoint["secret"], delivery)
        assert envelope["type"] == "org.learnwork.post.published"
        assert envelope["subject"] == f"post-{published['id']}" != f"post-{before['id']}"
        assert envelope["data"]["body"] == "hello, receiver" and envelope["specversion"] == "1.0"
        assert envelope["source"] == client.server.app[OPTIONS].base_url
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.headers["user-agent"].startswith("Learnwork-Webhooks/")
        assert delivery.id.startswith("msg_")
        assert not verify("whsec_" + "A" * 44, delivery.headers, delivery.body)
        [logged] = await deliveries(dev, endpoint)
        assert logged["id"] == delivery.id and logged["event_id"] == envelope["id"]


async def test_filters_and_what_the_member_may_see_decide_what_is_sent(client: Client) -> None:
    async with receiving() as for_member, receiving() as for_admin:
        dev, ada = await developer(client), await register(client, "ada")
        admin = await streamer(client)
        inner = await _community(ada, "inner", visibility="members_only")
        member_hook = await hook(dev, for_member.url, types=["post.*"])
        admin_hook = await hook(admin, for_admin.url, types=["post.published"])
        hidden = await post(ada, "members only", community_id=inner)
        await ada.expect("POST", "/api/v1/members/dev/follow", 200)  # not a post: filtered out
        shown = await post(ada, "for everyone")
        assert (await for_member.next()).envelope["subject"] == f"post-{shown['id']}"
        got = {(await for_admin.next()).envelope["subject"] for _ in range(2)}
        assert got == {f"post-{hidden['id']}", f"post-{shown['id']}"}
        # What was enqueued is in the log of deliveries: the hidden post never was.
        dev.saw(ada)
        assert [d["event_type"] for d in await deliveries(dev, member_hook)] == ["post.published"]
        admin.saw(ada)
        assert len(await deliveries(admin, admin_hook)) == 2
        # Once the developer joins, they see the community's posts.
        await ada.expect("POST", "/api/v1/communities/inner/invitations", 200, json={
            "member_id": dev.id})  # fmt: skip
        await _join(dev, "inner")
        inside = await post(ada, "members only, again", community_id=inner)
        assert (await for_member.next()).envelope["subject"] == f"post-{inside['id']}"


async def test_an_entity_filter_keeps_only_events_naming_it(client: Client) -> None:
    async with receiving() as receiver:
        dev, ada, bob = [await developer(client, h) for h in ("dev", "ada", "bob")]
        await hook(dev, receiver.url, member=ada.id)
        await post(bob, "by bob")
        mine = await post(ada, "by ada")
        assert (await receiver.next()).envelope["subject"] == f"post-{mine['id']}"


async def test_a_failing_receiver_gets_the_same_id_until_it_accepts(client: Client) -> None:
    receiver = Receiver()
    receiver.statuses = [500, 503, 404]
    async with receiving(receiver):
        dev = await developer(client)
        endpoint = await hook(dev, receiver.url, types=["post.published"])
        await post(dev, "try, try again")
        tries = [await receiver.next() for _ in range(4)]
        assert len({d.id for d in tries}) == 1
        assert len({d.headers["webhook-signature"] for d in tries}) >= 1
        for delivery in tries:
            assert verify(endpoint["secret"], delivery.headers, delivery.body)
        path = f"{WEBHOOKS}/{endpoint['id']}/deliveries/{tries[0].id}"

        async def delivered() -> bool:
            return (await dev.expect("GET", path, 200))["status"] == "delivered"

        await until(delivered)
        detail = await dev.expect("GET", path, 200)
        assert detail["attempts"] == 4 and detail["last_status"] == 204
        assert [a["status"] for a in detail["attempt_log"]] == [500, 503, 404, 204]
        assert detail["attempt_log"][0]["response"] == "answered 500"
        assert detail["next_attempt_at"] is None and detail["delivered_at"]
        assert [d["id"] for d in await deliveries(dev, endpoint, status="delivered")] == [
            tries[0].id
        ]
        assert await deliveries(dev, endpoint, status="failed") == []


async def test_an_endpoint_failing_for_the_whole_window_is_disabled(
    database_url: str, aiohttp_client: AppClient
) -> None:
    client = await aiohttp_client(create_app(quick(webhook_retry_seconds=0.5), database_url))
    receiver = Receiver()
    receiver.statuses = [500] * 1000
    async with receiving(receiver):
        dev = await developer(client)
        endpoint = await hook(dev, receiver.url, types=["post.published"])
        await post(dev, "never lands")
        path = f"{WEBHOOKS}/{endpoint['id']}"

        async def disabled() -> bool:
            return (await dev.expect("GET", path, 200))["status"] == "disabled"

        await until(disabled)
        shown = await dev.expect("GET", path, 200)
        assert "every delivery failed" in shown["disabled_reason"]
        assert "HTTP 500" in shown["disabled_reason"]
        [failed] = await deliveries(dev, endpoint)
        assert failed["status"] == "failed" and failed["attempts"] >= 2
        assert failed["attempts"] == len(receiver.log)


async def test_410_gone_disables_the_endpoint_at_once(client: Client) -> None:
    receiver = Receiver()
    receiver.statuses = [410]
    async with receiving(receiver):
        dev = await developer(client)
        endpoint = await hook(dev, receiver.url, types=["post.published"])
        await post(dev, "anyone there?")
        await receiver.next()
        path = f"{WEBHOOKS}/{endpoint['id']}"

        async def disabled() -> bool:
            return (await dev.expect("GET", path, 200))["status"] == "disabled"

        await until(disabled)
        assert "410" in (await dev.expect("GET", path, 200))["disabled_reason"]
        [failed] = await deliveries(dev, endpoint)
        assert failed["status"] == "failed" and failed["attempts"] == 1
        # Disabled, it gets nothing; enabled again, it gets what comes next.
        await post(dev, "not sent")
        await dev.expect("PATCH", path, 200, json={"enabled": True})
        resumed = await post(dev, "sent")
        assert (await receiver.next()).envelope["subject"] == f"post-{resumed['id']}"
        dev.saw(dev)
        assert len(await deliveries(dev, endpoint)) == 2


async def test_a_delivery_is_sent_again_on_request_with_the_same_id(client: Client) -> None:
    async with receiving() as receiver:
        dev = await developer(client)
        endpoint = await hook(dev, receiver.url, types=["post.published"])
        await post(dev, "once more")
        first = await receiver.next()
        path = f"{WEBHOOKS}/{endpoint['id']}/deliveries/{first.id}"

        async def delivered() -> bool:
            return (await dev.expect("GET", path, 200))["status"] == "delivered"

        await until(delivered)
        queued = await dev.expect("POST", f"{path}/redeliver", 202)
        assert queued == {"id": first.id, "status": "pending"}
        again = await receiver.next()
        assert again.id == first.id and again.body == first.body
        assert verify(endpoint["secret"], again.headers, again.body)
        await until(delivered)
        assert (await dev.expect("GET", path, 200))["attempts"] == 2
        await dev.expect(
            "POST", f"{WEBHOOKS}/{endpoint['id']}/deliveries/msg_{'0' * 32}/redeliver", 404
        )


async def test_after_a_rotation_both_secrets_verify_for_a_while(client: Client) -> None:
    async with receiving() as receiver:
        dev = await developer(client)
        endpoint = await hook(dev, receiver.url, types=["post.published"])
        rotated = await dev.expect("POST", f"{WEBHOOKS}/{endpoint['id']}/secret", 200)
        dev.saw(dev)
        await post(dev, "signed twice")
        delivery = await receiver.next()
        assert verify(rotated["secret"], delivery.headers, delivery.body)
        assert verify(endpoint["secret"], delivery.headers, delivery.body)
        verify_with_library(rotated["secret"], delivery)


async def test_a_revoked_tokens_endpoints_get_nothing_more(client: Client) -> None:
    async with receiving() as receiver:
        dev = await developer(client)
        token = await dev.expect("POST", "/api/v1/me/tokens", 201, json={
            "name": "hooks", "scopes": ["read", "stream"]})  # fmt: skip
        hooks = Member(client, dev.id, "dev", token["token"], token["position"])
        revoked = await hook(hooks, receiver.url, types=["post.published"])
        watcher = await developer(client, "watcher")
        await hook(watcher, receiver.url, types=["post.published"])
        await dev.expect("DELETE", f"/api/v1/me/tokens/{token['token_id']}", 200)
        watcher.saw(dev)
        after = await post(watcher, "after the revocation")
        delivery = await receiver.next()
        assert delivery.envelope["subject"] == f"post-{after['id']}"
        # Both endpoints' deliveries of an event are enqueued together: the revoked one has none.
        async with client.server.app[COMMANDS].store.pool.acquire() as conn:
            made = await conn.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1", revoked["id"]
            )
        assert made == 0


async def test_pending_deliveries_survive_a_restart(
    database_url: str, aiohttp_client: AppClient
) -> None:
    first = await aiohttp_client(
        create_app(quick(webhook_first_retry_seconds=600, webhook_retry_seconds=3600), database_url)
    )
    receiver = Receiver()
    async with receiving(receiver):
        url = receiver.url
    # The receiver is down: every attempt is refused, and the retry is ten minutes away.
    dev = await developer(first)
    endpoint = await hook(dev, url, types=["post.published"])
    ids = {(await post(dev, f"post {i}"))["id"] for i in range(3)}

    async def all_tried() -> bool:
        logged = await deliveries(dev, endpoint)
        return len(logged) == 3 and all(d["attempts"] >= 1 for d in logged)

    await until(all_tried)
    assert all("Connect" in d["last_error"] for d in await deliveries(dev, endpoint))
    await first.close()  # the process stops with all three pending

    async with receiving(receiver):
        second = await aiohttp_client(create_app(quick(), database_url))
        rerouted = Member(second, dev.id, dev.handle, dev.token, dev.position)
        # The receiver is back at a new port: point the endpoint there, and ask for them now.
        await rerouted.expect("PATCH", f"{WEBHOOKS}/{endpoint['id']}", 200, json={
            "url": receiver.url})  # fmt: skip
        for logged in await deliveries(rerouted, endpoint):
            await rerouted.expect(
                "POST", f"{WEBHOOKS}/{endpoint['id']}/deliveries/{logged['id']}/redeliver", 202
            )
        got = [await receiver.next() for _ in range(3)]
        assert {d.envelope["subject"] for d in got} == {f"post-{i}" for i in ids}


async def test_deliveries_due_when_a_process_stops_go_out_from_the_next(
    database_url: str, aiohttp_client: AppClient
) -> None:
    receiver = Receiver()
    receiver.statuses = [503] * 3
    async with receiving(receiver):
        first = await aiohttp_client(
            create_app(quick(webhook_first_retry_seconds=0.5), database_url)
        )
        dev = await developer(first)
        await hook(dev, receiver.url, types=["post.published"])
        ids = {(await post(dev, f"post {i}"))["id"] for i in range(3)}
        refused = [await receiver.next() for _ in range(3)]
        await first.close()  # all three pending, each due again shortly
        await aiohttp_client(create_app(quick(), database_url))
        landed = [await receiver.next() for _ in range(3)]
        assert {d.id for d in landed} == {d.id for d in refused}
        assert {d.envelope["subject"] for d in landed} == {f"post-{i}" for i in ids}


async def test_two_processes_send_each_delivery_once(
    database_url: str, aiohttp_client: AppClient
) -> None:
    async with receiving() as receiver:
        one = await aiohttp_client(create_app(quick(), database_url))
        two = await aiohttp_client(create_app(quick(), database_url))
        dev = await developer(one)
        await hook(dev, receiver.url, types=["post.published"])
        other = Member(two, dev.id, dev.handle, dev.token, dev.position)
        written = [await post(dev if i % 2 else other, f"post {i}") for i in range(20)]
        got = [await receiver.next() for _ in range(20)]
        assert {d.envelope["subject"] for d in got} == {f"post-{w['id']}" for w in written}
        assert len({d.id for d in got}) == 20
        # One last marker: when it arrives, any second copy of the others would have too.
        marker = await post(dev, "the end")
        assert (await receiver.next()).envelope["subject"] == f"post-{marker['id']}"
        assert receiver.received.empty() and len(receiver.log) == 21
        assert await one.server.app[COMMANDS].store.last_position() > 0


async def test_a_host_that_turned_private_gets_no_request(
    database_url: str, aiohttp_client: AppClient
) -> None:
    async with receiving() as receiver:
        lax = await aiohttp_client(create_app(quick(), database_url))
        dev = await developer(lax)
        endpoint = await hook(dev, receiver.url.replace("127.0.0.1", "localhost"), types=["post.*"])
        await lax.close()
        strict = await aiohttp_client(
            create_app(quick(webhook_allow_private_addresses=False), database_url)
        )
        dev = Member(strict, dev.id, dev.handle, dev.token, dev.position)
        await post(dev, "to a name that resolves to loopback now")

        async def tried() -> bool:
            logged = await deliveries(dev, endpoint)
            return bool(logged) and logged[0]["attempts"] >= 1

        await until(tried)
        [logged] = await deliveries(dev, endpoint)
        assert "private" in logged["last_error"] and logged["last_status"] is None
        assert receiver.log == []


async def test_the_delivery_log_forgets_old_deliveries_and_deleted_endpoints(
    client: Client,
) -> None:
    async with receiving() as receiver:
        dev = await developer(client)
        kept, old, gone = [await hook(dev, receiver.url, types=["post.published"]) for _ in "123"]
        await post(dev, "to all three")
        got = {(await receiver.next()).id for _ in range(3)}
        pool = client.server.app[COMMANDS].store.pool

        async def all_recorded() -> bool:
            async with pool.acquire() as conn:
                return (
                    await conn.fetchval(
                        "SELECT count(*) FROM webhook_attempts WHERE delivery_id = ANY($1)",
                        list(got),
                    )
                    == 3
                )

        await until(all_recorded)
        await dev.expect("DELETE", f"{WEBHOOKS}/{gone['id']}", 200)
        dev.saw(dev)
        await dev.expect("GET", f"{WEBHOOKS}/{gone['id']}", 404)  # the read model has it
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE webhook_deliveries SET retry_until = now() - interval '31 days'"
                " WHERE endpoint_id = $1",
                old["id"],
            )
            assert await webhook_queue.prune(conn, log_days=30) == 2
            left = await conn.fetch("SELECT endpoint_id::text FROM webhook_deliveries")
            attempts = await conn.fetchval("SELECT count(*) FROM webhook_attempts")
        assert [r[0] for r in left] == [kept["id"]] and attempts == 1
