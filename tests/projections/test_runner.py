"""The projection runner: exactly-once effects under crashes, races and failures."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from server.events.store import EventStore
from server.projections.runner import ProjectionFailed, ProjectionRunner
from tests.events.sample_events import SAMPLE_REGISTRY, Noted, RenamedV2
from tests.projections.sample_projection import NOTES_TABLE, Notes

DUPLICATES = "SELECT position FROM test_notes GROUP BY position HAVING count(*) > 1"


@pytest.fixture
async def notes_table(db) -> None:
    await db.execute(NOTES_TABLE)


async def append_notes(store: EventStore, count: int, per_append: int = 50) -> int:
    position = 0
    for start in range(0, count, per_append):
        texts = [str(n) for n in range(start, min(count, start + per_append))]
        result = await store.append(f"notes-{start % 7}", [Noted(text=t) for t in texts])
        position = result.position
    return position


async def test_run_once_applies_one_batch_with_its_checkpoint(store, db, database_url, notes_table):
    runner = ProjectionRunner(store, database_url, [Notes()], batch_size=10)
    await append_notes(store, 25)
    assert await runner.run_once("test_notes") == 10
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 10
    [status] = await runner.status()
    assert (status.position, status.lag) == (10, 15)
    await runner.catch_up()
    await runner.catch_up()
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 25
    assert await db.fetch(DUPLICATES) == []
    assert (await runner.status())[0].lag == 0


async def test_events_it_does_not_read_still_advance_its_checkpoint(
    store, db, database_url, notes_table
):
    runner = ProjectionRunner(store, database_url, [Notes()])
    await store.append("p", [RenamedV2(given="Ada", family="Lovelace")])
    last = await append_notes(store, 3)
    await store.append("p", [RenamedV2(given="Grace", family="Hopper")])
    await runner.catch_up()
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 3
    assert (await runner.status())[0].position == last + 1


async def test_a_failing_event_stops_the_projection_where_it_failed(
    store, db, database_url, notes_table
):
    await append_notes(store, 10, per_append=10)
    poisoned = await store.append("notes-x", [Noted(text="poison")])
    await append_notes(store, 5)
    broken = ProjectionRunner(store, database_url, [Notes(poison="poison")], batch_size=100)
    with pytest.raises(ProjectionFailed) as failed:
        await broken.catch_up()
    assert failed.value.position == poisoned.position
    [status] = await broken.status()
    assert status.position == poisoned.position - 1 and status.failed_position == poisoned.position
    assert "ValueError" in status.error and "poison" in status.error
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 10  # everything before it

    fixed = ProjectionRunner(store, database_url, [Notes()], batch_size=100)
    await fixed.catch_up()
    [status] = await fixed.status()
    assert (status.failed_position, status.error, status.lag) == (None, None, 0)
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 16


async def test_racing_runners_never_apply_an_event_twice(database_url, db, notes_table):
    """Two processes stepping the same projection at once, without the advisory lock: the
    checkpoint row lock alone keeps every event applied exactly once."""
    stores = [await EventStore.open(database_url, SAMPLE_REGISTRY) for _ in range(2)]
    try:
        await append_notes(stores[0], 600)
        runners = [ProjectionRunner(s, database_url, [Notes()], batch_size=40) for s in stores]
        while sum(await asyncio.gather(*(r.run_once("test_notes") for r in runners))):
            pass
        assert await db.fetchval("SELECT count(*) FROM test_notes") == 600
        assert await db.fetch(DUPLICATES) == []
    finally:
        for s in stores:
            await s.close()


async def test_two_running_processes_apply_live_events_once(database_url, db, notes_table):
    stores = [await EventStore.open(database_url, SAMPLE_REGISTRY) for _ in range(2)]
    runners = [
        ProjectionRunner(s, database_url, [Notes()], batch_size=30, poll_interval=0.05)
        for s in stores
    ]
    try:
        for runner in runners:
            runner.start()
        last = 0
        for burst in range(10):
            last = await append_notes(stores[burst % 2], 100, per_append=20)
            await asyncio.sleep(0.01)
        async with asyncio.timeout(30):
            await runners[0].wait_for(last)
        assert await db.fetchval("SELECT count(*) FROM test_notes") == 1000
        assert await db.fetch(DUPLICATES) == []
    finally:
        for runner in runners:
            await runner.close()
        for s in stores:
            await s.close()


async def test_a_runner_killed_mid_batch_loses_and_repeats_nothing(
    store, db, database_url, notes_table
):
    last = await append_notes(store, 1000, per_append=100)
    crashing = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.projections.crash_runner", database_url
    )
    try:
        async with asyncio.timeout(60):
            while not await db.fetchval(  # noqa: ASYNC110 (polling the database)
                "SELECT position FROM projection_checkpoints WHERE name = 'test_notes'"
            ):
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # well inside the next ~0.2 s batch
    finally:
        crashing.send_signal(signal.SIGKILL)
        await crashing.wait()
    at_kill = await db.fetchval("SELECT position FROM projection_checkpoints")
    assert 0 < at_kill < last, "the kill must land while the projection is still working"
    assert await db.fetchval("SELECT count(*) FROM test_notes") == at_kill  # only committed work

    runner = ProjectionRunner(store, database_url, [Notes()])
    await runner.catch_up()
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 1000
    assert await db.fetch(DUPLICATES) == []


async def test_wait_for_returns_once_live_events_are_applied(store, db, database_url, notes_table):
    runner = ProjectionRunner(store, database_url, [Notes()], poll_interval=30)
    runner.start()
    try:
        result = await store.append("s", [Noted(text="fresh")])
        async with asyncio.timeout(10):
            await runner.wait_for(result.position)
        assert await db.fetchval("SELECT text FROM test_notes") == "fresh"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await runner.wait_for(result.position + 1000)
    finally:
        await runner.close()


async def test_a_waiter_is_answered_after_its_process_stops_running_the_projection(
    database_url, db, notes_table
):
    """A process follows the projections it runs in memory; one that stops running them (here:
    closed, and another process takes over) sends its waiters to ask the database."""
    stores = [await EventStore.open(database_url, SAMPLE_REGISTRY) for _ in range(2)]
    first, second = (
        ProjectionRunner(s, database_url, [Notes()], poll_interval=0.05) for s in stores
    )
    try:
        first.start()
        last = await append_notes(stores[0], 3)
        async with asyncio.timeout(10):
            await first.wait_for(last)
        second.start()  # stands by: the first holds the projection's lock
        waiting = asyncio.create_task(first.wait_for(last + 1))
        await asyncio.sleep(0.1)
        await first.close()
        await append_notes(stores[1], 1)
        async with asyncio.timeout(10):
            await waiting  # applied by the second, seen in the database
        assert await db.fetchval("SELECT count(*) FROM test_notes") == 4
    finally:
        await first.close()
        await second.close()
        for s in stores:
            await s.close()


def test_two_projections_may_not_share_a_name(store) -> None:
    with pytest.raises(ValueError, match="share a name"):
        ProjectionRunner(store, "postgresql://unused", [Notes(), Notes()])


async def test_a_projection_is_not_waited_for_past_events_it_does_not_read(
    store, db, database_url, notes_table
):
    runner = ProjectionRunner(store, database_url, [Notes()])  # not started: nothing moves
    await runner.catch_up()
    other = await store.append("p", [RenamedV2(given="Ada", family="Lovelace")])
    async with asyncio.timeout(10):
        await runner.wait_for(other.position)  # nothing it reads lies before that position
    assert (await runner.status())[0].position < other.position

    noted = await store.append("s", [Noted(text="to apply")])
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await runner.wait_for(noted.position)


async def test_a_projection_records_how_far_it_read_past_events_it_does_not_read(
    store, db, database_url, notes_table
):
    runner = ProjectionRunner(
        store, database_url, [Notes()], poll_interval=0.05, idle_record_interval=0.1
    )
    runner.start()
    try:
        last = await store.append("p", [RenamedV2(given="Ada", family="Lovelace")])
        async with asyncio.timeout(10):
            while (await runner.status())[0].position < last.position:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert await db.fetchval("SELECT count(*) FROM test_notes") == 0
    finally:
        await runner.close()


async def test_status_counts_what_is_left_of_its_own_types_and_who_runs_it(
    store, db, database_url, notes_table
):
    runner = ProjectionRunner(store, database_url, [Notes()], poll_interval=0.05)
    await append_notes(store, 3)
    await store.append("p", [RenamedV2(given="Ada", family="Lovelace")])
    [status] = await runner.status()
    assert (status.position, status.lag, status.running) == (0, 3, False)
    assert status.lag_seconds > 0

    runner.start()
    try:
        async with asyncio.timeout(10):
            while (await runner.status())[0].lag:  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.02)
        [status] = await runner.status()
        assert (status.lag, status.lag_seconds, status.running) == (0, 0, True)
        # Another process's runner sees the same: the lock is held, whoever asks.
        other = ProjectionRunner(store, database_url, [Notes()])
        assert (await other.status())[0].running
    finally:
        await runner.close()
    assert not (await runner.status())[0].running
