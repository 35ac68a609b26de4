"""Appending: optimistic concurrency, idempotent retries, group commit — under real concurrency."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server.events import (
    ANY,
    NO_STREAM,
    AppendResult,
    IdempotencyConflict,
    NewEvent,
    WrongExpectedVersion,
)
from server.events.store import EventStore
from tests.events.sample_events import SAMPLE_REGISTRY, Noted


def note(text: str, event_id: uuid.UUID | None = None) -> NewEvent:
    return NewEvent(Noted(text=text), id=event_id)


async def stream_rows(db, stream_id: str) -> list:
    return await db.fetch(
        "SELECT stream_version, position FROM events WHERE stream_id = $1 ORDER BY stream_version",
        stream_id,
    )


async def test_versions_start_at_one_and_follow_expected_version(store: EventStore, db) -> None:
    first = await store.append("s", [note("a"), note("b")], NO_STREAM)
    assert (first.first_version, first.last_version) == (1, 2)
    second = await store.append("s", [note("c")], 2)
    assert (second.first_version, second.last_version) == (3, 3)
    assert second.position > first.position
    third = await store.append("s", [note("d")], ANY)
    assert third.last_version == 4
    assert [r["stream_version"] for r in await stream_rows(db, "s")] == [1, 2, 3, 4]


@pytest.mark.parametrize(("expected", "actual"), [(NO_STREAM, 1), (2, 1), (5, 1)])
async def test_a_wrong_expected_version_writes_nothing(store, db, expected, actual) -> None:
    await store.append("s", [note("a")], NO_STREAM)
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append("s", [note("x"), note("y")], expected)
    assert (caught.value.expected, caught.value.actual) == (expected, actual)
    assert await db.fetchval("SELECT count(*) FROM events") == 1


async def test_an_exact_version_on_a_missing_stream_is_a_conflict_at_zero(store) -> None:
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append("nowhere", [note("x")], 1)
    assert caught.value.actual == 0


async def test_twenty_racing_appenders_one_wins(store: EventStore, db) -> None:
    await store.append("race", [note("start")], NO_STREAM)

    async def contender(i: int) -> AppendResult | WrongExpectedVersion:
        try:
            return await store.append("race", [note(f"by {i}")], 1)
        except WrongExpectedVersion as exc:
            return exc

    outcomes = await asyncio.gather(*(contender(i) for i in range(20)))
    wins = [o for o in outcomes if isinstance(o, AppendResult)]
    conflicts = [o for o in outcomes if isinstance(o, WrongExpectedVersion)]
    assert len(wins) == 1 and len(conflicts) == 19
    assert all(c.actual == 2 for c in conflicts)
    assert [r["stream_version"] for r in await stream_rows(db, "race")] == [1, 2]


async def test_racing_appenders_in_two_processes_one_wins(database_url: str, db) -> None:
    """Two stores (two pools, two group-commit writers) stand in for two server processes:
    their batches race in PostgreSQL itself, and the loser re-decides instead of failing."""
    stores = [await EventStore.open(database_url, SAMPLE_REGISTRY) for _ in range(2)]
    try:
        await stores[0].append("race", [note("start")], NO_STREAM)
        for round_ in range(5):

            async def contender(i: int, round_: int = round_) -> bool:
                try:
                    await stores[i % 2].append("race", [note(f"{round_}/{i}")], round_ + 1)
                    return True
                except WrongExpectedVersion:
                    return False

            wins = await asyncio.gather(*(contender(i) for i in range(20)))
            assert sum(wins) == 1
        versions = [r["stream_version"] for r in await stream_rows(db, "race")]
        assert versions == list(range(1, 7))
    finally:
        for s in stores:
            await s.close()


async def test_a_retry_with_the_same_ids_returns_the_original_positions(store, db) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    first = await store.append("s", [note("a", ids[0]), note("b", ids[1])], NO_STREAM)
    again = await store.append("s", [note("a", ids[0]), note("b", ids[1])], NO_STREAM)
    assert again == first
    assert await db.fetchval("SELECT count(*) FROM events") == 2


async def test_concurrent_retries_with_the_same_ids_are_stored_once(database_url, db) -> None:
    stores = [await EventStore.open(database_url, SAMPLE_REGISTRY) for _ in range(2)]
    try:
        ids = [uuid.uuid4() for _ in range(3)]
        results = await asyncio.gather(
            *(
                stores[i % 2].append("s", [note(str(n), ids[n]) for n in range(3)], NO_STREAM)
                for i in range(16)
            )
        )
        assert len({tuple(r.positions) for r in results}) == 1
        assert await db.fetchval("SELECT count(*) FROM events") == 3
        assert sorted(await db.fetchval("SELECT array_agg(event_id) FROM events")) == sorted(ids)
    finally:
        for s in stores:
            await s.close()


async def test_reusing_some_ids_in_another_append_is_refused(store, db) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    await store.append("s", [note("a", ids[0]), note("b", ids[1])])
    with pytest.raises(IdempotencyConflict) as partial:
        await store.append("s", [note("a", ids[0]), note("new")])
    assert partial.value.event_ids == [ids[0]]
    with pytest.raises(IdempotencyConflict):
        await store.append("another", [note("a", ids[0]), note("b", ids[1])])
    assert await db.fetchval("SELECT count(*) FROM events") == 2


async def test_one_conflict_in_a_batch_does_not_fail_the_others(database_url, db) -> None:
    # A 50 ms gathering window puts every append below into one batch.
    store = await EventStore.open(database_url, SAMPLE_REGISTRY, writers=1, max_wait=0.05)
    try:
        await store.append("taken", [note("first")], NO_STREAM)
        reused = uuid.uuid4()
        await store.append("dup", [note("x", reused)])
        before = store.committer.stats.batches
        outcomes = await asyncio.gather(
            *(store.append(f"free-{i}", [note(str(i))], NO_STREAM) for i in range(10)),
            store.append("taken", [note("late")], NO_STREAM),
            store.append("dup-elsewhere", [note("x", reused)]),
            *(store.append(f"more-{i}", [note(str(i))], ANY) for i in range(10)),
            return_exceptions=True,
        )
        assert store.committer.stats.batches == before + 1, "all appends shared one batch"
        assert isinstance(outcomes[10], WrongExpectedVersion)
        assert isinstance(outcomes[11], IdempotencyConflict)
        successes = outcomes[:10] + outcomes[12:]
        assert all(isinstance(o, AppendResult) for o in successes)
        assert await db.fetchval("SELECT count(*) FROM events") == 2 + 20
    finally:
        await store.close()


async def test_appends_to_one_stream_in_one_batch_get_consecutive_versions(database_url, db):
    store = await EventStore.open(database_url, SAMPLE_REGISTRY, writers=1, max_wait=0.05)
    try:
        results = await asyncio.gather(
            *(store.append("busy", [note(f"{i}a"), note(f"{i}b")]) for i in range(10))
        )
        assert store.committer.stats.batches == 1
        spans = sorted((r.first_version, r.last_version) for r in results)
        assert spans == [(v, v + 1) for v in range(1, 21, 2)]
        rows = await stream_rows(db, "busy")
        assert [r["stream_version"] for r in rows] == list(range(1, 21))
        assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    finally:
        await store.close()


async def test_a_caller_that_gives_up_before_its_batch_writes_nothing(database_url, db):
    store = await EventStore.open(database_url, SAMPLE_REGISTRY, max_wait=0.2)
    try:
        abandoned = asyncio.create_task(store.append("s", [note("abandoned")]))
        await asyncio.sleep(0.05)
        abandoned.cancel()
        kept = await store.append("s", [note("kept")])
        assert kept.first_version == 1
        assert await db.fetchval("SELECT count(*) FROM events") == 1
    finally:
        await store.close()


async def test_closing_the_store_finishes_queued_appends(database_url, db) -> None:
    store = await EventStore.open(database_url, SAMPLE_REGISTRY, writers=1, max_wait=0.05)
    pending = [asyncio.create_task(store.append(f"s{i}", [note("x")])) for i in range(5)]
    await asyncio.sleep(0)
    await store.close()
    assert all(isinstance(t.result(), AppendResult) for t in pending)
    assert await db.fetchval("SELECT count(*) FROM events") == 5


async def test_a_stream_moved_on_by_another_process_is_not_a_false_conflict(database_url, db):
    """Each writer remembers the versions it wrote; another process appending must neither
    make this one report a conflict that is not there nor lose its append."""
    here = await EventStore.open(database_url, SAMPLE_REGISTRY)
    elsewhere = await EventStore.open(database_url, SAMPLE_REGISTRY)
    try:
        await here.append("shared", [note("1")], NO_STREAM)  # `here` now remembers version 1
        await elsewhere.append("shared", [note("2")], 1)
        exact = await here.append("shared", [note("3")], 2)
        assert (exact.first_version, exact.last_version) == (3, 3)
        await elsewhere.append("shared", [note("4")], 3)
        anywhere = await here.append("shared", [note("5")], ANY)
        assert anywhere.first_version == 5
        with pytest.raises(WrongExpectedVersion) as stale:
            await elsewhere.append("shared", [note("x")], 4)
        assert stale.value.actual == 5
        assert [r["stream_version"] for r in await stream_rows(db, "shared")] == [1, 2, 3, 4, 5]
    finally:
        await here.close()
        await elsewhere.close()
