"""`learnwork seed`: a generated network, decided by the domain's deciders, written into a fresh
log that every read model can take."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from server.cli import main
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.events.types.communities import MemberJoined
from server.events.types.members import MemberFollowed
from server.events.types.posts import PostPublished
from server.projections.catalog import all_projections
from server.projections.runner import ProjectionRunner
from server.seed.progress import Summary
from server.seed.run import SeedOptions, SeedRefused, seed
from server.seed.world import LARGEST_APPEND, Plan, World

SMALL = SeedOptions(members=50, communities=5, events=3_000)


@pytest.fixture
async def seeded(database_url: str) -> Summary:
    return await seed(database_url, SMALL)


async def _types(db: asyncpg.Connection) -> Counter[str]:
    rows = await db.fetch("SELECT type, count(*) AS n FROM events GROUP BY type")
    return Counter({r["type"]: r["n"] for r in rows})


async def test_exactly_the_members_and_communities_asked_for_are_created(
    seeded: Summary, db: asyncpg.Connection
) -> None:
    types = await _types(db)
    assert types["member.registered"] == types["handle.claimed"] == SMALL.members
    assert types["community.created"] == types["slug.claimed"] == SMALL.communities
    assert types == seeded.types


async def test_the_seed_stops_at_the_first_append_that_reaches_the_events_asked_for(
    seeded: Summary, db: asyncpg.Connection
) -> None:
    total = await db.fetchval("SELECT count(*) FROM events")
    assert SMALL.events <= total < SMALL.events + LARGEST_APPEND
    assert seeded.events == total


async def test_recorded_at_rises_strictly_with_position_over_the_days_asked_for(
    seeded: Summary, db: asyncpg.Connection
) -> None:
    not_rising = await db.fetchval(
        "SELECT count(*) FROM (SELECT recorded_at <= lag(recorded_at) OVER (ORDER BY position)"
        " AS fell FROM events) e WHERE fell"
    )
    assert not_rising == 0
    first, last = await db.fetchrow("SELECT min(recorded_at), max(recorded_at) FROM events")
    now = datetime.now(UTC)
    assert last <= now
    assert now - timedelta(days=SMALL.days, minutes=1) <= first < last - timedelta(days=300)


async def test_every_event_decodes_and_every_stream_is_numbered_without_gaps(
    seeded: Summary, db: asyncpg.Connection
) -> None:
    for r in await db.fetch("SELECT type, schema_version, data FROM events ORDER BY position"):
        event = REGISTRY.decode(r["type"], r["schema_version"], r["data"])
        assert type(event).__struct_config__.tag == r["type"]
    out_of_place = await db.fetchval(
        "SELECT count(*) FROM (SELECT stream_version, row_number() OVER"
        " (PARTITION BY stream_id ORDER BY position) AS place FROM events) e"
        " WHERE stream_version <> place"
    )
    assert out_of_place == 0


async def test_every_command_is_made_by_its_member_as_the_api_makes_it(
    seeded: Summary, db: asyncpg.Connection
) -> None:
    """Registrations are their new member's own doing; a member follows from their stream."""
    strays = await db.fetchval(
        "SELECT count(*) FROM events WHERE type IN ('member.registered', 'member.followed')"
        " AND stream_id <> 'member-' || actor"
    )
    assert strays == 0
    assert await db.fetchval("SELECT count(*) FROM events WHERE actor IS NULL") == 0


async def test_learners_drop_off_along_paths_and_some_complete_them(
    seeded: Summary, db: asyncpg.Connection
) -> None:
    types = await _types(db)
    assert types["path.published"] == types["path.created"] > 0
    assert 0 < types["enrollment.path_completed"] < types["enrollment.enrolled"]
    assert types["enrollment.step_completed"] > types["enrollment.enrolled"]


async def test_the_same_random_seed_writes_the_same_network(
    database_url: str, another_database: str
) -> None:
    await seed(database_url, SMALL)
    await seed(another_database, SMALL)

    async def history(url: str) -> list[tuple[str, str]]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT type, stream_id FROM events ORDER BY position")
        finally:
            await conn.close()
        return [(r["type"], r["stream_id"]) for r in rows]

    first = await history(database_url)
    assert len(first) >= SMALL.events
    assert await history(another_database) == first


async def test_every_read_model_takes_the_seeded_log(seeded: Summary, database_url: str) -> None:
    store = await EventStore.open(database_url, REGISTRY, pool_size=4)
    try:
        runner = ProjectionRunner(store, database_url, all_projections())
        await runner.catch_up()
        statuses = await runner.status()
    finally:
        await store.close()
    assert [(s.name, s.error) for s in statuses if s.failed_position is not None] == []
    assert all(s.lag == 0 for s in statuses)


async def test_too_few_events_for_the_members_and_communities_are_refused(
    database_url: str, db: asyncpg.Connection
) -> None:
    with pytest.raises(SeedRefused, match="at least 161"):
        await seed(database_url, SeedOptions(members=50, communities=5, events=160))
    assert await db.fetchval("SELECT count(*) FROM events") == 0


def test_a_log_that_is_not_empty_is_refused_with_exit_code_2(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEARNWORK_DATABASE_URL", database_url)
    command = ["seed", "--members", "20", "--communities", "3", "--events", "500"]
    assert main(command) == 0
    assert capsys.readouterr().out.startswith("seeded 50")

    async def count() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return await conn.fetchval("SELECT count(*) FROM events")
        finally:
            await conn.close()

    before = asyncio.run(count())
    assert main(command) == 2
    assert "not empty" in capsys.readouterr().err
    assert asyncio.run(count()) == before


def test_the_seed_command_runs_as_a_process(database_url: str) -> None:
    env = {**os.environ, "LEARNWORK_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "seed", "--members", "20", "--communities", "3",
         "--events", "500"],
        env=env,
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("seeded 50")


def test_the_world_grows_a_network_of_realistic_shape() -> None:
    """The generator alone, without a database: what members write, and how much they join
    and follow."""
    plan = Plan(
        members=300,
        communities=20,
        events=30_000,
        days=365,
        end=datetime.now(UTC),
        random_seed=7,
        password_hash="scrypt$demo",
    )
    families: Counter[str] = Counter()
    posts = replies = 0
    joins: Counter[str] = Counter()
    follows: Counter[str] = Counter()
    for append in World(plan).appends():
        assert len(append.recorded_at) == append.size
        for part in append.parts:
            for event in part.events:
                families[type(event).__struct_config__.tag.partition(".")[0]] += 1
                match event:
                    case PostPublished():
                        posts += 1
                        replies += event.in_reply_to is not None
                    case MemberJoined():
                        joins[event.member_id] += 1
                    case MemberFollowed():
                        follows[part.stream_id] += 1
    assert families.most_common(1)[0][0] == "post"
    assert 0.2 < replies / posts < 0.4
    assert len(joins) > 0.9 * plan.members and max(joins.values()) <= 8
    assert len(follows) > 0.9 * plan.members and max(follows.values()) <= 50
    assert max(follows.values()) > 3 * min(follows.values())
