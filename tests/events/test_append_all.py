"""Appending to several streams at once: all of it or none, under real concurrency."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server.events import (
    NO_STREAM,
    AppendResult,
    InvalidEventPayload,
    NewEvent,
    StreamAppend,
    WrongExpectedVersion,
)
from server.events.store import EventStore
from tests.events.sample_events import SAMPLE_REGISTRY, Noted


def register(member: str, handle: str) -> list[StreamAppend]:
    """The unique-handle pattern: the member's stream and the handle's, both new, together."""
    return [
        StreamAppend(f"member-{member}", [Noted(text=f"{member} joins")], NO_STREAM),
        StreamAppend(f"handle-{handle}", [Noted(text=f"claimed by {member}")], NO_STREAM),
    ]


async def test_every_stream_is_written_in_one_go(store: EventStore, db) -> None:
    member, handle = await store.append_all(register("m1", "ada"))
    assert (member.stream_id, handle.stream_id) == ("member-m1", "handle-ada")
    assert member.first_version == handle.first_version == 1
    assert handle.position == member.position + 1
    assert await db.fetchval("SELECT count(*) FROM events") == 2


async def test_one_stream_out_of_date_writes_nothing_at_all(store: EventStore, db) -> None:
    await store.append_all(register("m1", "ada"))
    with pytest.raises(WrongExpectedVersion) as taken:
        await store.append_all(register("m2", "ada"))
    assert (taken.value.stream_id, taken.value.actual) == ("handle-ada", 1)
    assert await store.stream_version("member-m2") == 0
    assert await db.fetchval("SELECT count(*) FROM events") == 2


async def test_racing_registrations_of_one_handle_let_exactly_one_in(database_url, db) -> None:
    stores = [await EventStore.open(database_url, SAMPLE_REGISTRY) for _ in range(2)]
    try:

        async def attempt(n: int) -> bool:
            try:
                await stores[n % 2].append_all(register(f"m{n}", "grace"))
                return True
            except WrongExpectedVersion:
                return False

        wins = await asyncio.gather(*(attempt(n) for n in range(20)))
        assert sum(wins) == 1
        members = await db.fetchval("SELECT count(*) FROM events WHERE stream_id LIKE 'member-%'")
        assert members == 1
        assert await db.fetchval("SELECT count(*) FROM events") == 2
    finally:
        for s in stores:
            await s.close()


async def test_a_retried_multi_stream_append_returns_its_first_results(store, db) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    appends = [
        StreamAppend("a", [NewEvent(Noted(text="x"), id=ids[0])], NO_STREAM),
        StreamAppend("b", [NewEvent(Noted(text="y"), id=ids[1])], NO_STREAM),
    ]
    first = await store.append_all(appends)
    assert await store.append_all(appends) == first
    assert await db.fetchval("SELECT count(*) FROM events") == 2


async def test_bad_input_names_the_stream_append_at_fault(store, db) -> None:
    with pytest.raises(InvalidEventPayload) as caught:
        await store.append_all(
            [StreamAppend("a", [Noted(text="ok")]), StreamAppend("b", [Noted(text=7)])]  # type: ignore[arg-type]
        )
    assert caught.value.field == "appends[1].events[0].data.text"
    assert await db.fetchval("SELECT count(*) FROM events") == 0


async def test_single_and_multi_stream_appends_share_batches(database_url, db) -> None:
    store = await EventStore.open(database_url, SAMPLE_REGISTRY, writers=1, max_wait=0.05)
    try:
        outcomes = await asyncio.gather(
            store.append_all(register("m1", "ada")),
            store.append("handle-ada", [Noted(text="squatter")], NO_STREAM),
            store.append("elsewhere", [Noted(text="unrelated")]),
            return_exceptions=True,
        )
        assert store.committer.stats.batches == 1
        assert isinstance(outcomes[0], list) and isinstance(outcomes[2], AppendResult)
        assert isinstance(outcomes[1], WrongExpectedVersion)
        assert await db.fetchval("SELECT count(*) FROM events") == 3
    finally:
        await store.close()
