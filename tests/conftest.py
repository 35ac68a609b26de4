"""The shared test rig: one real PostgreSQL per session, one fresh database per test.

The server is the embedded one (or TEST_DATABASE_URL's). Migrations run once into a template
database; each test gets `CREATE DATABASE … TEMPLATE` of it, which takes milliseconds, so every
test is isolated and real. Nothing of ours is mocked.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from server.db import connect, embedded_postgres, with_database
from server.events.store import EventStore
from server.migrations import migrate
from tests.events.sample_events import SAMPLE_REGISTRY

TEMPLATE = "learnwork_test_template"
_numbers = itertools.count()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A URL to the test PostgreSQL server's `postgres` database."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    # A run stopped with SIGTERM (a CI timeout, a killed job) unwinds like Ctrl-C, so the
    # embedded PostgreSQL below is stopped instead of being left running.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="learnwork-test-") as folder,
            embedded_postgres(folder, database="postgres") as url,
        ):
            yield url
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


@pytest.fixture(scope="session")
def template_database(pg_server_url: str) -> str:
    async def build() -> None:
        admin = await asyncpg.connect(pg_server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await admin.close()
        conn = await connect(with_database(pg_server_url, TEMPLATE), "learnwork-test")
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    return TEMPLATE


async def _migrated_database(pg_server_url: str, template: str) -> AsyncIterator[str]:
    """A freshly migrated database, copied from the template, dropped afterwards."""
    name = f"learnwork_test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(pg_server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield with_database(pg_server_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A freshly migrated database of its own for this test."""
    async for url in _migrated_database(pg_server_url, template_database):
        yield url


@pytest.fixture
async def another_database(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A second freshly migrated database for this test. A test that runs a server on it takes
    it before `database_url`, so the server is closed before its database is dropped."""
    async for url in _migrated_database(pg_server_url, template_database):
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:
    store = await EventStore.open(database_url, SAMPLE_REGISTRY, pool_size=12)
    yield store
    await store.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the test's database, for looking at what was really written."""
    conn = await connect(database_url, "learnwork-test")
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
