"""Migrations: applied in order, once, safely when two processes start together."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from server import migrations
from server.db import connect, with_database
from server.migrations import Migration, MigrationError, migrate


@pytest.fixture
async def empty_database_url(pg_server_url: str):
    admin = await asyncpg.connect(pg_server_url)
    await admin.execute("DROP DATABASE IF EXISTS learnwork_test_empty WITH (FORCE)")
    await admin.execute("CREATE DATABASE learnwork_test_empty")
    yield with_database(pg_server_url, "learnwork_test_empty")
    await admin.execute("DROP DATABASE learnwork_test_empty WITH (FORCE)")
    await admin.close()


async def test_two_processes_migrating_at_once_apply_each_migration_once(empty_database_url):
    conns = [await connect(empty_database_url, "learnwork-migrate") for _ in range(4)]
    try:
        applied = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(a) for a in applied) == [0, 0, 0, len(migrations.available())]
        rows = await conns[0].fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [m.version for m in migrations.available()]
        assert await conns[0].fetchval("SELECT to_regclass('events') IS NOT NULL")
    finally:
        for c in conns:
            await c.close()


async def test_an_applied_migration_that_was_edited_is_reported(empty_database_url, monkeypatch):
    conn = await connect(empty_database_url, "learnwork-migrate")
    try:
        await migrate(conn)
        original = migrations.available()
        edited = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in original]
        monkeypatch.setattr(migrations, "available", lambda: edited)
        with pytest.raises(MigrationError, match="was changed after it was applied"):
            await migrate(conn)
    finally:
        await conn.close()


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [m.version for m in migrations.available()]
    assert versions == list(range(1, len(versions) + 1))


def test_learnwork_migrate_uses_the_configured_database(empty_database_url, monkeypatch) -> None:
    from server.cli import main

    monkeypatch.setenv("LEARNWORK_DATABASE_URL", empty_database_url)
    assert main(["migrate"]) == 0

    async def versions() -> list[int]:
        conn = await connect(empty_database_url, "learnwork-test")
        try:
            return [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
        finally:
            await conn.close()

    assert asyncio.run(versions()) == [m.version for m in migrations.available()]
