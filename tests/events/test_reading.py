"""Reading: a stream forward and backward, the whole log in commit-safe order, upcasting."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest

from server.events import Metadata, NewEvent
from server.events.store import EventStore
from tests.events.sample_events import SAMPLE_REGISTRY, V1_REGISTRY, Noted, RenamedV1, RenamedV2


async def test_read_stream_forward_and_backward(store: EventStore) -> None:
    await store.append("a", [Noted(text=str(i)) for i in range(1, 6)])
    await store.append("b", [Noted(text="other")])
    forward = await store.read_stream("a", 2, limit=3)
    assert [e.data.text for e in forward] == ["2", "3", "4"]
    backward = await store.read_stream("a", backward=True, limit=2)
    assert [e.stream_version for e in backward] == [5, 4]
    assert [e.stream_version for e in await store.read_stream("a", 3, backward=True)] == [3, 2, 1]
    assert await store.read_stream("missing") == []
    assert await store.stream_version("a") == 5 and await store.stream_version("missing") == 0


async def test_the_envelope_round_trips(store: EventStore) -> None:
    event_id, cause, correlation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    result = await store.append(
        "s",
        [
            NewEvent(
                Noted(text="hi"), id=event_id, metadata=Metadata("member-1", cause, correlation)
            )
        ],
    )
    [event] = await store.read_all()
    assert event.id == event_id and event.position == result.position
    assert (event.type, event.stream_id, event.stream_version) == ("test.noted", "s", 1)
    assert event.metadata == Metadata("member-1", cause, correlation)
    assert event.recorded_at.tzinfo is not None


async def test_read_all_pages_through_the_log_once(store: EventStore) -> None:
    for i in range(7):
        await store.append(f"s{i % 3}", [Noted(text=str(i))])
    seen, after = [], 0
    while page := await store.read_all(after, limit=3):
        seen.extend(e.data.text for e in page)
        after = page[-1].position
    assert seen == [str(i) for i in range(7)]


async def test_a_read_of_some_types_skips_the_rest_without_decoding_them(store, db) -> None:
    await store.append("s", [Noted(text="a")])
    # An event no registry can decode: reading it would raise, skipping it must not.
    await db.execute(
        "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data)"
        " VALUES (gen_random_uuid(), 'other', 1, 'test.not_ours', 1, '{\"x\": 1}')"
    )
    last = await store.append("s", [Noted(text="b")])
    await db.execute(
        "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data)"
        " VALUES (gen_random_uuid(), 'other', 2, 'test.not_ours', 1, '{\"x\": 2}')"
    )
    with pytest.raises(KeyError):
        await store.read_all()

    page = await store.read_page(0, 1000, types={"test.noted"})
    assert [e.data.text for e in page.events] == ["a", "b"]
    assert (page.read, page.position) == (4, last.position + 1)
    first = await store.read_page(0, 2, types={"test.noted"})
    assert ([e.data.text for e in first.events], first.read) == (["a"], 2)
    rest = await store.read_page(first.position, 2, types={"test.noted"})
    assert ([e.data.text for e in rest.events], rest.position) == (["b"], page.position)
    end = await store.read_page(page.position, 2, types={"test.noted"})
    assert (end.events, end.position, end.read) == ([], page.position, 0)


async def test_old_versions_are_upcast_on_read(database_url: str, store: EventStore) -> None:
    old = await EventStore.open(database_url, V1_REGISTRY)
    try:
        await old.append("person", [RenamedV1(name="Ada Lovelace")])
    finally:
        await old.close()
    await store.append("person", [RenamedV2(given="Grace", family="Hopper")])
    events = await store.read_stream("person")
    assert [e.data for e in events] == [
        RenamedV2(given="Ada", family="Lovelace"),
        RenamedV2(given="Grace", family="Hopper"),
    ]


WRITERS, TRANSACTIONS, EVENTS_PER_TRANSACTION = 8, 25, 10
TOTAL = WRITERS * TRANSACTIONS * EVENTS_PER_TRANSACTION


async def run_gap_scenario(database_url: str, store: EventStore) -> list[tuple[str, int]]:
    """8 writers in their own transactions, each held open a random 0–20 ms after its INSERT
    (its positions taken, its commit late), while a subscription catches up. Returns what the
    subscription saw as (stream, version) pairs."""
    from server.db import connect

    data = SAMPLE_REGISTRY.encode(Noted(text="gap"))
    seen: list[tuple[str, int]] = []

    async def writer(n: int) -> None:
        rng = random.Random(n)
        conn = await connect(database_url, "learnwork-test-writer")
        try:
            for t in range(TRANSACTIONS):
                versions = [t * EVENTS_PER_TRANSACTION + v for v in range(1, 11)]
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO events (event_id, stream_id, stream_version, type,"
                        " schema_version, data)"
                        " SELECT gen_random_uuid(), $1, v, 'test.noted', 1, $2::jsonb"
                        " FROM unnest($3::bigint[]) v",
                        f"writer-{n}",
                        data,
                        versions,
                    )
                    await asyncio.sleep(rng.uniform(0, 0.020))
        finally:
            await conn.close()

    async def reader() -> None:
        async for page in store.subscribe(0, batch_size=100, poll_interval=0.002):
            seen.extend((e.stream_id, e.stream_version) for e in page.events)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    for _ in range(300):
        if len(seen) >= TOTAL:
            break
        await asyncio.sleep(0.01)
    reading.cancel()
    return seen


async def test_a_catching_up_reader_sees_every_event_once_in_order(database_url, store, db):
    seen = await run_gap_scenario(database_url, store)
    assert await db.fetchval("SELECT count(*) FROM events") == TOTAL
    assert len(seen) == TOTAL and len(set(seen)) == TOTAL
    for n in range(WRITERS):
        versions = [v for s, v in seen if s == f"writer-{n}"]
        assert versions == list(range(1, TRANSACTIONS * EVENTS_PER_TRANSACTION + 1))


async def test_without_the_commit_order_lock_the_same_reader_misses_events(database_url, store, db):
    """The control for the test above: it has teeth. With the trigger that orders commits
    switched off, positions commit out of order and the reader passes some for good."""
    await db.execute("ALTER TABLE events DISABLE TRIGGER events_commit_order")
    seen = await run_gap_scenario(database_url, store)
    assert await db.fetchval("SELECT count(*) FROM events") == TOTAL
    assert len(seen) < TOTAL


@pytest.mark.parametrize("limit", [1, 1000])
async def test_read_all_after_the_end_is_empty(store: EventStore, limit: int) -> None:
    result = await store.append("s", [Noted(text="x")])
    assert await store.read_all(result.position, limit) == []


async def test_a_read_of_some_types_goes_on_past_a_long_gap(store, db) -> None:
    """Rolled-back appends leave holes in the positions; a read of some types counts positions,
    so a hole longer than a whole read must still say there is more to read."""
    first = await store.append("s", [Noted(text="before")])
    await db.execute(
        "SELECT nextval(pg_get_serial_sequence('events', 'position')) FROM generate_series(1, 50)"
    )
    last = await store.append("s", [Noted(text="after")])
    texts, after, reads = [], 0, 0
    while (page := await store.read_page(after, 10, types={"test.noted"})).read:
        texts += [e.data.text for e in page.events]
        after, reads = page.position, reads + 1
    assert texts == ["before", "after"] and after == last.position > first.position + 50
    assert reads == 6  # ten positions a read, the hole included
