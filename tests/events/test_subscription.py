"""Subscriptions: catch-up then live, woken by NOTIFY, resuming after killed connections."""

from __future__ import annotations

import asyncio

from server.events.store import EventStore
from tests.events.sample_events import Noted, RenamedV2

KILL_LEARNWORK_BACKENDS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid()
   AND application_name IN ('learnwork', 'learnwork-listen', 'learnwork-append')
"""


async def test_catch_up_then_live(store: EventStore) -> None:
    await store.append("s", [Noted(text="old")])
    subscription = store.subscribe(0, poll_interval=30)
    first = await anext(subscription)
    assert [e.data.text for e in first.events] == ["old"]
    # Polling is set to 30 s: only the NOTIFY wake-up can deliver this within the timeout.
    pending = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0.05)
    await store.append("s", [Noted(text="new")])
    second = await asyncio.wait_for(pending, timeout=10)
    assert [e.data.text for e in second.events] == ["new"]
    await subscription.aclose()


async def test_a_subscription_resumes_after_its_connections_are_killed(store, db) -> None:
    total_appends, per_append = 40, 25
    received: list[int] = []
    done = asyncio.Event()

    async def consume() -> None:
        async for page in store.subscribe(0, batch_size=60, poll_interval=0.2):
            received.extend(e.position for e in page.events)
            if len(received) >= total_appends * per_append:
                done.set()

    consumer = asyncio.create_task(consume())
    killed = 0
    for i in range(total_appends):
        await store.append(f"s{i % 4}", [Noted(text=f"{i}/{n}") for n in range(per_append)])
        if i in (10, 25):
            killed += await db.fetchval(KILL_LEARNWORK_BACKENDS)
        await asyncio.sleep(0.005)
    await asyncio.wait_for(done.wait(), timeout=30)
    consumer.cancel()

    assert killed >= 2, "the test must really kill the listener and pool connections"
    stored = [r["position"] for r in await db.fetch("SELECT position FROM events ORDER BY 1")]
    assert received == stored  # every event, once, in order
    for _ in range(100):
        if await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'learnwork-listen'"
        ):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the notification listener did not reconnect")


async def test_a_subscription_to_some_types_moves_past_the_others(store: EventStore) -> None:
    subscription = store.subscribe(0, types={"test.renamed"}, poll_interval=30)
    pending = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0.05)
    noted = await store.append("s", [Noted(text="not asked for")])
    skipped = await asyncio.wait_for(pending, timeout=10)
    assert (skipped.events, skipped.position) == ([], noted.position)
    renamed = await store.append("p", [RenamedV2(given="Ada", family="Lovelace")])
    page = await asyncio.wait_for(anext(subscription), timeout=10)
    assert [(e.type, e.position) for e in page.events] == [("test.renamed", renamed.position)]
    await subscription.aclose()


async def test_many_subscribers_each_get_everything(store: EventStore) -> None:
    async def collect(after: int) -> list[str]:
        texts: list[str] = []
        async for page in store.subscribe(after):
            texts.extend(e.data.text for e in page.events)
            if len(texts) >= 5:
                return texts
        return texts

    readers = [asyncio.create_task(collect(0)) for _ in range(10)]
    for i in range(5):
        await store.append("s", [Noted(text=str(i))])
    results = await asyncio.wait_for(asyncio.gather(*readers), timeout=10)
    assert all(r == ["0", "1", "2", "3", "4"] for r in results)
