"""`learnwork seed`: fill a fresh instance's empty log with a generated learning network.

Only an empty log is seeded: the seeded events are dated over the past days, and the log
promises that `recorded_at` rises with position, which a log holding anything already would
break. The read models are left alone; `learnwork serve` or `learnwork projections run` catch
up with the seeded log as with any other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from server.commands.passwords import hash_password_sync
from server.db import create_pool
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.progress import ProgressLine
from server.seed.load import BulkLoader
from server.seed.progress import Summary
from server.seed.world import Plan, World

DEMO_PASSWORD = "learnwork-demo"
"""Every seeded member signs in with it: the network is for demos and benchmarks."""


class SeedRefused(Exception):
    """The seed cannot run as asked; nothing was written."""


@dataclass(frozen=True)
class SeedOptions:
    members: int
    communities: int
    events: int
    days: float = 365.0
    random_seed: int = 1


async def seed(
    url: str,
    options: SeedOptions,
    *,
    max_event_bytes: int = 256 * 1024,
    progress: TextIO | None = None,
) -> Summary:
    """Generate and write the network; the database must be migrated. Raises SeedRefused when
    the log is not empty or the options cannot be met."""
    plan = _plan(options)
    started = time.monotonic()
    pool = await create_pool(url, size=1, application_name="learnwork-seed")
    try:
        async with pool.acquire() as conn:
            present = await conn.fetchval("SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1) e")
            if present:
                raise SeedRefused(
                    "the event log is not empty: seed only fills a fresh instance "
                    "(its events are dated in the past, before anything already there)"
                )
            store = EventStore(pool, REGISTRY, url=url, max_event_bytes=max_event_bytes)
            loader = BulkLoader(store, conn)
            shown = ProgressLine(progress, "seeding")
            try:
                await loader.write(
                    World(plan).appends(), lambda written: shown.update(written, options.events)
                )
            finally:
                shown.finish()
    finally:
        await pool.close()
    return Summary(loader.types, time.monotonic() - started)


def _plan(options: SeedOptions) -> Plan:
    if options.members < 1:
        raise SeedRefused("--members must be at least 1")
    if options.communities < 0:
        raise SeedRefused("--communities must not be negative")
    if not options.days > 0:
        raise SeedRefused("--days must be more than 0")
    plan = Plan(
        members=options.members,
        communities=options.communities,
        events=options.events,
        days=options.days,
        end=datetime.now(UTC),
        random_seed=options.random_seed,
        password_hash=hash_password_sync(DEMO_PASSWORD),
    )
    if options.events < plan.least_events:
        raise SeedRefused(
            f"--events must be at least {plan.least_events:,} to register {options.members:,} "
            f"members and found {options.communities:,} communities"
        )
    return plan
