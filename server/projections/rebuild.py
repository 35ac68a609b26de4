"""Rebuilding a projection from position 0 while the live one keeps serving, then swapping them
in one transaction (blue-green).

1. A schema of its own, `learnwork_rebuild_<name>`, gets empty copies of the projection's
   tables (`LIKE … INCLUDING ALL`: columns, defaults, generated columns, constraints, indexes).
2. The projection is applied to them from position 0 by an ordinary runner whose sessions put
   that schema first on their `search_path`, so the projection's SQL, unchanged, writes there;
   each page of the log is read and prepared (`Projection.prepare`) while the one before it is
   written. Its checkpoint is
   `<name>@rebuild`: an interrupted rebuild resumes where it stopped.
3. The swap, in one transaction: lock the live checkpoint (the live runner, in any process,
   waits), apply what the log gained meanwhile, drop the live tables, move the new ones in under
   the live tables' index names, and set the live checkpoint to where the rebuild got. Readers
   wait for the moment of the swap and then see the new tables; the live runner finds its
   checkpoint moved and carries on from there.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import re
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import asyncpg

from server.db import connect, create_pool
from server.events.envelope import Page
from server.events.registry import EventRegistry
from server.events.store import EventStore
from server.projections.runner import Projection, ProjectionRunner

BATCH = 2000
"""Events per transaction while rebuilding."""

Progress = Callable[[int, int], None]
"""Called after each batch with (position reached, the log's last position then)."""


class RebuildRunning(Exception):
    """Another process is rebuilding the same projection."""


@dataclass(frozen=True, slots=True)
class Rebuilt:
    name: str
    position: int
    """Where the live projection now stands."""
    seconds: float


async def rebuild(
    url: str,
    registry: EventRegistry,
    projection: Projection,
    progress: Progress | None = None,
) -> Rebuilt:
    """Rebuild `projection` from the log and swap it in; see the module docstring."""
    started = time.perf_counter()
    shadow = f"learnwork_rebuild_{projection.name}"
    lock = await connect(url, f"learnwork-rebuild-{projection.name}")
    try:
        if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", _lock_key(projection.name)):
            raise RebuildRunning(f"{projection.name} is being rebuilt by another process")
        await _prepare(lock, projection, shadow)
        pool = await create_pool(url, size=2, search_path=f"{shadow}, public")
        try:
            store = EventStore(pool, registry, url=url)
            building = _Shadow(projection)
            runner = ProjectionRunner(store, url, [building], batch_size=BATCH)
            await _catch_up(store, runner, building, progress)
            async with pool.acquire() as conn:
                position = await _swap(conn, store, projection, shadow)
        finally:
            await pool.close()
    finally:
        await lock.close()
    return Rebuilt(projection.name, position, time.perf_counter() - started)


async def _catch_up(
    store: EventStore, runner: ProjectionRunner, building: Projection, progress: Progress | None
) -> None:
    """Apply the log to `building` page by page, reading and preparing each page while the one
    before it is written."""
    position = await runner.position(building.name)

    async def read_and_prepare(after: int) -> Page:
        page = await store.read_page(after, BATCH, building.event_types)
        await building.prepare(page.events, helper)
        return page

    def read(after: int) -> asyncio.Future[Page]:
        return asyncio.ensure_future(read_and_prepare(after))

    # One helper process beside this one and PostgreSQL: what a projection prepares there runs
    # on another core while this process writes.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as helper:
        reading = read(position)
        try:
            while (page := await reading).read:
                reading = read(page.position)
                if not await runner.apply_page(building.name, position, page):
                    raise RebuildRunning(f"{building.name} was moved by another process")
                position = page.position
                if progress is not None:
                    progress(position, await store.last_position())
        finally:
            reading.cancel()


class _Shadow(Projection):
    """The projection under its rebuild checkpoint's name."""

    def __init__(self, live: Projection) -> None:
        self.name = f"{live.name}@rebuild"  # type: ignore[misc]
        self.tables = live.tables  # type: ignore[misc]
        self.event_types = live.event_types  # type: ignore[misc]
        self.apply = live.apply  # type: ignore[method-assign]
        self.prepare = live.prepare  # type: ignore[method-assign]


async def _prepare(conn: asyncpg.Connection, projection: Projection, shadow: str) -> None:
    """Empty copies of the live tables, unless an interrupted rebuild left them to resume."""
    resuming = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM projection_checkpoints WHERE name = $1)"
        " AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2)",
        f"{projection.name}@rebuild",
        shadow,
    )
    if resuming:
        return
    async with conn.transaction():
        await conn.execute(f'DROP SCHEMA IF EXISTS "{shadow}" CASCADE')
        await conn.execute(f'CREATE SCHEMA "{shadow}"')
        for table in projection.tables:
            await conn.execute(
                f'CREATE TABLE "{shadow}"."{table}" (LIKE public."{table}" INCLUDING ALL)'
            )
        await conn.execute(
            "INSERT INTO projection_checkpoints (name, position) VALUES ($1, 0)"
            " ON CONFLICT (name) DO UPDATE SET position = 0, failed_position = NULL, error = NULL",
            f"{projection.name}@rebuild",
        )


async def _swap(
    conn: asyncpg.Connection, store: EventStore, projection: Projection, shadow: str
) -> int:
    """Bring the rebuilt tables to the log's end and put them in the live ones' place, all in
    one transaction; the position the live projection now stands at."""
    building = f"{projection.name}@rebuild"
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING",
            projection.name,
        )
        # The live runner, in whatever process, waits on this row until the swap commits.
        await conn.execute(
            "SELECT 1 FROM projection_checkpoints WHERE name = $1 FOR UPDATE", projection.name
        )
        position = await conn.fetchval(
            "SELECT position FROM projection_checkpoints WHERE name = $1", building
        )
        while (page := await store.read_page(position, BATCH, projection.event_types)).read:
            if page.events:
                await projection.apply(conn, page.events)
            position = page.position
        live_names = await _index_names(conn, "public", projection.tables)
        for table in projection.tables:
            await conn.execute(f'DROP TABLE public."{table}"')
            await conn.execute(f'ALTER TABLE "{shadow}"."{table}" SET SCHEMA public')
        for definition, name in (await _index_names(conn, "public", projection.tables)).items():
            wanted = live_names.get(definition)
            if wanted is not None and wanted != name:
                await conn.execute(f'ALTER INDEX public."{name}" RENAME TO "{wanted}"')
        await conn.execute(f'DROP SCHEMA "{shadow}"')
        await conn.execute(
            "UPDATE projection_checkpoints SET position = $2, updated_at = now(),"
            " failed_position = NULL, error = NULL WHERE name = $1",
            projection.name,
            position,
        )
        await conn.execute("DELETE FROM projection_checkpoints WHERE name = $1", building)
    return position


_INDEX_NAME = re.compile(r'^CREATE (UNIQUE )?INDEX ("[^"]+"|\S+) ON \S+ ')


async def _index_names(
    conn: asyncpg.Connection, schema: str, tables: tuple[str, ...]
) -> dict[tuple[str, str], str]:
    """Each index of `tables` in `schema` by (table, definition without name and schema)."""
    rows = await conn.fetch(
        "SELECT tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = $1 AND tablename = ANY($2::text[])",
        schema,
        list(tables),
    )
    return {(r[0], _INDEX_NAME.sub(r"\1", r[2])): r[1] for r in rows}


def _lock_key(name: str) -> int:
    digest = hashlib.blake2b(f"learnwork.rebuild.{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
