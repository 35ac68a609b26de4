"""Event log throughput, in one run: `python -m bench.append`.

Prints (a) sequential single-event appends/s, (b) 64 concurrent single-event appenders with
group commit, events/s, (c) read_all catch-up, events/s, and (d) the raw ceiling: asyncpg
inserting the same rows in batches of 100 with unnest, rows/s — and (b)/(d).

Runs on a fresh embedded PostgreSQL in a temporary folder (or BENCH_DATABASE_URL's server),
with durable commits (fsync and synchronous_commit on, checked and printed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
import uuid

import asyncpg

from server.db import connect, embedded_postgres, ensure_database, with_database
from server.events.store import EventStore
from server.events.types import REGISTRY, MemberRegistered
from server.migrations import migrate

DATABASE = "learnwork_bench"
EVENT = MemberRegistered(handle="ada", display_name="Ada Lovelace")


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s  ({count:,} in {seconds:.2f} s)"


async def sequential(store: EventStore, seconds: float) -> float:
    count, version = 0, 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        result = await store.append("bench-seq", [EVENT], version or "no_stream")
        version = result.last_version
        count += 1
    return count / elapsed


async def concurrent(store: EventStore, appenders: int, total: int) -> float:
    per_appender = total // appenders

    async def appender(n: int) -> None:
        version = 0
        for _ in range(per_appender):
            result = await store.append(f"bench-c{n}", [EVENT], version or "no_stream")
            version = result.last_version

    start = time.perf_counter()
    await asyncio.gather(*(appender(n) for n in range(appenders)))
    return per_appender * appenders / (time.perf_counter() - start)


async def catch_up(store: EventStore) -> tuple[float, int]:
    count, after = 0, 0
    start = time.perf_counter()
    while page := await store.read_all(after, limit=2000):
        count += len(page)
        after = page[-1].position
    return count / (time.perf_counter() - start), count


async def raw_unnest(conn: asyncpg.Connection, total: int, batch: int = 100) -> float:
    data = REGISTRY.encode(EVENT)
    start = time.perf_counter()
    for b in range(total // batch):
        await conn.execute(
            "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version,"
            " data, actor, causation_id, correlation_id)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[],"
            " $6::jsonb[], $7::text[], $8::uuid[], $9::uuid[])",
            [uuid.uuid4() for _ in range(batch)],
            [f"bench-raw{b}"] * batch,
            list(range(1, batch + 1)),
            ["member.registered"] * batch,
            [1] * batch,
            [data] * batch,
            [None] * batch,
            [None] * batch,
            [None] * batch,
        )
    return total / (time.perf_counter() - start)


async def run(server_url: str, args: argparse.Namespace) -> None:
    await ensure_database(server_url, DATABASE)
    url = with_database(server_url, DATABASE)
    conn = await connect(url, "learnwork-bench")
    await conn.execute("DROP TABLE IF EXISTS events, schema_migrations CASCADE")
    await conn.execute(
        "DROP FUNCTION IF EXISTS events_commit_order_lock, events_notify, "
        "events_are_immutable CASCADE"
    )
    await migrate(conn)
    settings = {
        name: await conn.fetchval(f"SHOW {name}")
        for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method")
    }
    print(
        f"PostgreSQL {settings['server_version']}: fsync={settings['fsync']} "
        f"synchronous_commit={settings['synchronous_commit']} "
        f"wal_sync_method={settings['wal_sync_method']}"
    )
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}\n")

    store = await EventStore.open(url, REGISTRY, pool_size=8)
    try:
        a = await sequential(store, args.seconds)
        print(f"(a) sequential single-event appends   {a:>10,.0f}/s")
        b = await concurrent(store, args.appenders, args.events)
        stats = store.committer.stats
        print(
            f"(b) {args.appenders} concurrent appenders, group commit {b:>10,.0f}/s"
            f"  (mean batch {stats.events / stats.batches:.1f} events)"
        )
        d = await raw_unnest(conn, args.events)
        print(f"(d) raw asyncpg unnest, batches of 100 {d:>10,.0f}/s")
        c, read = await catch_up(store)
        print(f"(c) read_all catch-up                 {c:>10,.0f}/s  ({read:,} events)")
        print(
            f"\n(b)/(d) = {b / d:.2f}   targets: (b) >= 20,000/s and >= 0.30 of (d); "
            "(c) >= 150,000/s"
        )
    finally:
        await store.close()
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of run (a)")
    parser.add_argument("--appenders", type=int, default=64)
    parser.add_argument("--events", type=int, default=100_000, help="events in (b) and (d)")
    args = parser.parse_args()
    if url := os.environ.get("BENCH_DATABASE_URL"):
        asyncio.run(run(url, args))
        return
    with tempfile.TemporaryDirectory(prefix="learnwork-bench-") as folder:
        with embedded_postgres(folder, database="postgres") as url:
            asyncio.run(run(url, args))


if __name__ == "__main__":
    main()
