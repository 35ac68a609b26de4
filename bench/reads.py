"""Reads at scale (issue 4), in one run: `python -m bench.reads`.

On a fresh database (embedded PostgreSQL, or BENCH_DATABASE_URL's server):

1. `learnwork seed` makes a realistic instance (default 1,000,000 events, 10,000 members, 500
   communities) through the deciders;
2. `learnwork projections run` builds every read model from position 0 — the same work as a
   rebuild of all projections — and the rate is events/s until none has anything left;
3. `learnwork serve` answers, driven by an aiohttp client from this process; the ceiling
   (`GET /healthz`, one indexed single-row query), a member's home feed (first page, 20 items,
   tokens of 200 random members issued through the same command as sign-in), a profile (one of
   those members', read by one of them) and a search (random skill and topic words) take turns
   in rounds, as in bench/api.py; the home feed and the profile twice: as served (kept in
   memory, dropped as the log changes them) and from a second `serve` with the caches off
   (LEARNWORK_HOME_FEED_CACHE=0, LEARNWORK_PROFILE_CACHE=0), read from the read models on every
   request; search likewise (LEARNWORK_SEARCH_CACHE=0); then the ceiling, the home feed, the
   profile and search again while 20 of those members write (--writes a second: posts naming
   the search words, endorsements and follows among the readers), which drops what the caches
   keep as it would on a live instance;
4. what fan-out on write would cost here: the rows a per-member feed table would hold for the
   same activities (each activity once per follower of its actor and per member of its
   community, deduplicated), counted in SQL over the read models.

Targets (issue 4): rebuild ≥ 50,000 events/s; home feed and profile ≥ 0.8 of the ceiling with
p99 < 30 ms; search p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.api import READY, Result, drive, fresh_database, on_postgres, serving, start
from server.commands import accounts
from server.commands.context import Commands
from server.db import with_database
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.projections.catalog import all_projections

DATABASE = "learnwork_bench_reads"
WRITERS = 20
"""Readers who also write, in the phases measured while writing."""
WRITING = ", writing"
"""The suffix of the phases measured while writes go on."""
SEARCH_WORDS = ["sql", "python", "design", "kubernetes", "testing", "postgres", "leadership"]


def seed(env: dict[str, str], args: argparse.Namespace) -> float:
    command = [sys.executable, "-m", "server.cli", "seed", "--members", str(args.members)]
    command += ["--communities", str(args.communities), "--events", str(args.events)]
    started = time.perf_counter()
    subprocess.run(command, env={**os.environ, **env}, check=True)
    return time.perf_counter() - started


async def caught_up(url: str, projections: int) -> bool:
    """Every projection has recorded the log's last position (one that reads none of the last
    events records it within a second: server/projections/runner.py)."""
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(
            "SELECT count(*) = $1 AND bool_and(position = (SELECT max(position) FROM events))"
            " FROM projection_checkpoints",
            projections,
        )
    finally:
        await conn.close()


async def head(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
    finally:
        await conn.close()


def build_read_models(env: dict[str, str], url: str, folder: Path) -> float:
    """Seconds for `learnwork projections run` to bring every read model to the log's end."""
    started = time.perf_counter()
    worker, _ = start(["projections", "run"], env, folder / "worker.log", r"projections running")
    try:
        while not asyncio.run(caught_up(url, len(all_projections()))):
            time.sleep(0.5)
        return time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)


@dataclass
class Readers:
    ids: list[str]
    handles: list[str]
    reading: list[dict[str, str]]
    """Authorization headers of tokens with the read scope, one per member."""
    writing: list[dict[str, str]]
    """Authorization headers of tokens that may write too, of the first WRITERS members."""


async def readers(url: str, count: int) -> Readers:
    """Tokens of `count` random active members who follow someone."""
    conn = await asyncpg.connect(url)
    try:
        members = await conn.fetch(
            "SELECT m.id::text, m.handle FROM members m WHERE m.status = 'active'"
            " AND EXISTS (SELECT 1 FROM member_follows f WHERE f.follower = m.id)"
            " ORDER BY random() LIMIT $1",
            count,
        )
    finally:
        await conn.close()
    store = await EventStore.open(url, REGISTRY, pool_size=2)
    found = Readers([r[0] for r in members], [r[1] for r in members], [], [])
    try:
        cx = Commands.over(store)
        for n, member_id in enumerate(found.ids):
            member = await accounts.load_member(cx, member_id)
            assert member is not None
            token = (await accounts.issue_token(cx, member, ["read"])).token
            found.reading.append({"Authorization": f"Bearer {token}"})
            if n < WRITERS:
                token = (await accounts.issue_token(cx, member, ["read", "write"])).token
                found.writing.append({"Authorization": f"Bearer {token}"})
    finally:
        await store.close()
    return found


async def write(
    session: aiohttp.ClientSession, who: Readers, rate: float, done: asyncio.Event
) -> Counter[bool]:
    """Writes at `rate` a second until `done`: posts naming the search words (60%),
    endorsements (20%) and follows (20%) among the readers. Counts accepted (True) and refused
    (False: endorsing oneself, following twice)."""
    rng = random.Random(2)
    counts: Counter[bool] = Counter()
    started = time.perf_counter()
    n = 0
    while not done.is_set():
        n += 1
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        auth = rng.choice(who.writing)
        choice = rng.random()
        if choice < 0.6:
            body = {"body": f"Notes on {rng.choice(SEARCH_WORDS)}, part {n}"}
            request = session.post("/api/v1/posts", json=body, headers=auth)
        elif choice < 0.8:
            skill = rng.choice(SEARCH_WORDS)
            body = {"kind": "member", "member_id": rng.choice(who.ids), "skill": skill}
            request = session.post("/api/v1/endorsements", json=body, headers=auth)
        else:
            followee = rng.choice(who.handles)
            request = session.post(f"/api/v1/members/{followee}/follow", headers=auth)
        async with request as response:
            await response.read()
            counts[response.status < 400] += 1
    return counts


async def fan_out_rows(url: str) -> tuple[int, int]:
    """(activities, rows a per-member feed table would hold for them)."""
    conn = await asyncpg.connect(url)
    try:
        activities = await conn.fetchval("SELECT count(*) FROM activities")
        rows = await conn.fetchval(
            "SELECT count(*) FROM (SELECT a.position, f.follower AS reader FROM activities a"
            " JOIN member_follows f ON f.followee = a.actor_id"
            " UNION SELECT a.position, cm.member_id FROM activities a"
            " JOIN community_members cm ON cm.community_id = a.community_id"
            " UNION SELECT a.position, a.actor_id FROM activities a) audience"
        )
    finally:
        await conn.close()
    return activities, rows


@dataclass
class Measured:
    results: dict[str, Result]
    writes: float
    """Writes accepted a second, during the phases measured while writing."""
    refused: float


async def measure(base: str, uncached: str, who: Readers, args: argparse.Namespace) -> Measured:
    rng = random.Random(1)
    auth = who.reading

    def health(s: aiohttp.ClientSession, _: int) -> Any:
        return s.get("/healthz")

    def home(s: aiohttp.ClientSession, n: int) -> Any:
        return s.get("/api/v1/feeds/home", headers=auth[n % len(auth)])

    def profile(s: aiohttp.ClientSession, n: int) -> Any:
        handle = who.handles[rng.randrange(len(who.handles))]
        return s.get(f"/api/v1/members/{handle}/profile", headers=auth[n % len(auth)])

    def search(s: aiohttp.ClientSession, n: int) -> Any:
        q = rng.choice(SEARCH_WORDS)
        return s.get("/api/v1/search", params={"q": q}, headers=auth[n % len(auth)])

    totals: dict[str, Result] = {}
    writes: Counter[bool] = Counter()
    writing_seconds = 0.0
    limit = args.concurrency
    async with (
        aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=limit)) as served,
        aiohttp.ClientSession(uncached, connector=aiohttp.TCPConnector(limit=limit)) as other,
        aiohttp.ClientSession(base) as writer,
    ):
        quiet = {
            "ceiling": (served, health),
            "home": (served, home),
            "home, no cache": (other, home),
            "profile": (served, profile),
            "profile, no cache": (other, profile),
            "search": (served, search),
            "search, no cache": (other, search),
        }
        writing = {
            f"ceiling{WRITING}": health,
            f"home{WRITING}": home,
            f"profile{WRITING}": profile,
            f"search{WRITING}": search,
        }
        await drive("warm-up", served, home, limit, 2.0)
        await drive("warm-up", other, home, limit, 2.0)
        for _ in range(args.rounds):
            for name, (session, request) in quiet.items():
                _add(totals, await drive(name, session, request, limit, args.seconds))
            done = asyncio.Event()
            started = time.perf_counter()
            writes_task = asyncio.create_task(write(writer, who, args.writes, done))
            for name, request in writing.items():
                _add(totals, await drive(name, served, request, limit, args.seconds))
            done.set()
            writes += await writes_task
            writing_seconds += time.perf_counter() - started
    return Measured(totals, writes[True] / writing_seconds, writes[False] / writing_seconds)


def _add(totals: dict[str, Result], result: Result) -> None:
    prior = totals.get(result.name)
    totals[result.name] = result if prior is None else prior + result


def report(measured: Measured, args: argparse.Namespace) -> None:
    totals = measured.results
    for name, result in totals.items():
        ceiling = totals[f"ceiling{WRITING}" if name.endswith(WRITING) else "ceiling"]
        share = "" if result is ceiling else f"   {result.rate / ceiling.rate:.2f} of the ceiling"
        print(result.line() + share)
    print(
        f"{WRITING[2:]}: {measured.writes:,.1f} writes/s accepted (asked {args.writes:g}/s),"
        f" {measured.refused:,.1f}/s refused; shares{WRITING} are of the ceiling{WRITING}"
    )
    print("targets: home and profile >= 0.80 of the ceiling and p99 < 30 ms; search p99 < 50 ms")


def run(server_url: str, args: argparse.Namespace) -> None:
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}")
    if args.existing:
        url = server_url
    else:
        asyncio.run(fresh_database(server_url, DATABASE))
        url = with_database(server_url, DATABASE)
    env = serving(url)
    with tempfile.TemporaryDirectory(prefix="learnwork-bench-reads-") as folder:
        if not args.existing:
            build(env, url, args, Path(folder))
        who = asyncio.run(readers(url, 200))
        server, base = start(["serve"], env, Path(folder) / "serve.log", READY)
        no_cache = {
            **env,
            "LEARNWORK_HOME_FEED_CACHE": "0",
            "LEARNWORK_PROFILE_CACHE": "0",
            "LEARNWORK_SEARCH_CACHE": "0",
            "LEARNWORK_PROJECTIONS": "false",
        }
        other, uncached = start(["serve"], no_cache, Path(folder) / "serve-2.log", READY)
        try:
            report(asyncio.run(measure(base, uncached, who, args)), args)
        finally:
            for process in (server, other):
                process.terminate()
                process.wait(timeout=60)


def build(env: dict[str, str], url: str, args: argparse.Namespace, folder: Path) -> None:
    """Seed, build every read model from position 0, count what fan-out on write would hold."""
    seconds = seed(env, args)
    print(f"seed: {args.events:,} events in {seconds:,.0f} s ({args.events / seconds:,.0f}/s)")
    built = build_read_models(env, url, folder)
    events = asyncio.run(head(url))
    print(
        f"all read models from position 0: {events:,} events in {built:,.1f} s"
        f" ({events / built:,.0f} events/s; target >= 50,000)"
    )
    activities, rows = asyncio.run(fan_out_rows(url))
    print(
        f"fan-out on write would hold {rows:,} feed rows for {activities:,} activities"
        f" ({rows / max(activities, 1):,.1f} per activity); on read holds {activities:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--communities", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=2.0, help="one measurement, one round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--writes", type=float, default=20.0, help="writes a second while measuring the reads"
    )
    parser.add_argument(
        "--existing",
        action="store_true",
        help="measure the instance at BENCH_DATABASE_URL as it is (seeded and built already)",
    )
    args = parser.parse_args()
    if args.existing and not os.environ.get("BENCH_DATABASE_URL"):
        parser.error("--existing needs BENCH_DATABASE_URL")
    on_postgres(run, args)


if __name__ == "__main__":
    main()
