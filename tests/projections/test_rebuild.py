"""Rebuilding a projection beside the live one and swapping them: what it repairs, what it
keeps, exactly once while the live runner runs and events keep coming, one at a time."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import Executor
from typing import Any

import pytest

from server.events.store import EventStore
from server.events.types import REGISTRY
from server.events.types.posts import PostEdited, PostPublished
from server.projections import rebuild as rebuilding
from server.projections.posts import PostsProjection
from server.projections.rebuild import RebuildRunning, Rebuilt, rebuild
from server.projections.runner import ProjectionRunner
from tests.events.sample_events import SAMPLE_REGISTRY, Noted
from tests.projections.sample_projection import NOTES_TABLE, Notes
from tests.projections.test_runner import DUPLICATES, append_notes

AUTHOR = str(uuid.uuid4())
SHADOW_EXISTS = (
    "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'learnwork_rebuild_test_notes')"
)


@pytest.fixture
async def notes_table(db) -> None:
    await db.execute(NOTES_TABLE)
    await db.execute("CREATE INDEX test_notes_by_text ON test_notes (text)")


async def test_a_rebuild_makes_the_tables_anew_and_swaps_them_in(
    store, db, database_url, notes_table
):
    last = await append_notes(store, 120)
    runner = ProjectionRunner(store, database_url, [Notes()])
    await runner.catch_up()
    await db.execute("DELETE FROM test_notes WHERE position % 2 = 0")  # a read model gone wrong
    reached: list[tuple[int, int]] = []

    done = await rebuild(database_url, SAMPLE_REGISTRY, Notes(), lambda *at: reached.append(at))

    assert done.position == last
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 120
    assert await db.fetch(DUPLICATES) == []
    assert reached == [(last, last)]
    indexes = await db.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'test_notes'")
    assert [r[0] for r in indexes] == ["test_notes_by_text"]  # the live index's name, kept
    assert not await db.fetchval(SHADOW_EXISTS)
    names = await db.fetch("SELECT name FROM projection_checkpoints ORDER BY name")
    assert [r[0] for r in names] == ["test_notes"]
    assert (await runner.status())[0].position == last


async def test_a_rebuild_while_the_live_projection_runs_and_events_keep_coming(
    store, db, database_url, notes_table
):
    await append_notes(store, 400)
    live = ProjectionRunner(store, database_url, [Notes()], poll_interval=0.05)
    live.start()

    async def keep_writing() -> None:
        for n in range(60):
            await store.append(f"late-{n % 5}", [Noted(text=f"late {n}")])
            await asyncio.sleep(0.005)

    try:
        writing = asyncio.create_task(keep_writing())
        # Slow enough that the writes land before, during and after the swap.
        await rebuild(database_url, SAMPLE_REGISTRY, Notes(delay_per_event=0.0005))
        await writing
        last = await store.last_position()
        async with asyncio.timeout(30):
            await live.wait_for(last)
    finally:
        await live.close()
    assert await db.fetch(DUPLICATES) == []
    applied = [r[0] for r in await db.fetch("SELECT position FROM test_notes ORDER BY 1")]
    logged = [r[0] for r in await db.fetch("SELECT position FROM events ORDER BY 1")]
    assert applied == logged  # every note exactly once, across the swap


async def test_one_rebuild_of_a_projection_at_a_time(store, db, database_url, notes_table):
    await append_notes(store, 200)
    outcomes = await asyncio.gather(
        *(rebuild(database_url, SAMPLE_REGISTRY, Notes(delay_per_event=0.001)) for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["RebuildRunning", "Rebuilt"]
    assert any(isinstance(o, Rebuilt) for o in outcomes)
    assert any(isinstance(o, RebuildRunning) for o in outcomes)
    assert await db.fetchval("SELECT count(*) FROM test_notes") == 200


async def test_rebuilding_posts_writes_what_was_rendered_ahead(
    database_url, db, monkeypatch: pytest.MonkeyPatch
):
    """A rebuild renders each page in a helper process while the page before is written
    (`prepare`); the posts it writes are the posts the live projection wrote, rendering as it
    applied."""
    monkeypatch.setattr(rebuilding, "BATCH", 50)  # many pages
    store = await EventStore.open(database_url, REGISTRY, pool_size=2)
    try:
        bodies = ["plain line, no markup", "*some* markup\n\n- a list", "a [link](https://x.org)"]
        for i in range(150):
            post = str(uuid.uuid4())
            body = f"{bodies[i % 3]} {i}"
            published = PostPublished(author_id=AUTHOR, body=body, thread_id=post)
            await store.append(f"post-{post}", [published])
            if i % 10 == 0:
                await store.append(f"post-{post}", [PostEdited(body=f"**edited** {i}")])
        await ProjectionRunner(store, database_url, [PostsProjection()]).catch_up()
    finally:
        await store.close()
    live = await db.fetch("SELECT id, body, html, position FROM posts ORDER BY id")
    projection = PostsProjection()
    prepared: list[int] = []
    prepare = projection.prepare

    async def counted(events: list[Any], helper: Executor) -> None:
        prepared.append(len(events))
        await prepare(events, helper)

    monkeypatch.setattr(projection, "prepare", counted)

    await rebuild(database_url, REGISTRY, projection)

    assert await db.fetch("SELECT id, body, html, position FROM posts ORDER BY id") == live
    assert sum(prepared) == 165 and len(prepared) > 3
    assert projection._html == {}  # every post rendered ahead was written from it
