"""Event streams at scale (issue 5), in one run: `python -m bench.streams`.

On a fresh database (embedded PostgreSQL, or BENCH_DATABASE_URL's server):

1. `learnwork seed` makes an instance (default 100,000 events, 5,000 members, 500
   communities, some members-only) and one `learnwork serve` process builds its read models and
   keeps them up to date — the server measured, on the same 2 cores as everything else here;
2. this process opens `--subscribers` (5,000) Server-Sent Event streams to it, with the tokens
   of 1,000 members and 5 admins, a mix of filters (`PLAN`): mostly one community or one
   member, some types, a few unfiltered;
3. a second process appends `--rate` (500) events a second for `--seconds` through the same
   commands as the API (posts in the writers' communities, public and members-only, likes,
   follows, endorsements), noting the time before each command;
4. each message's delivery latency is the time it was received here less the time its command
   was started (one clock: one machine); the server's resident memory is sampled each second.

Target (issue 5): p99 < 250 ms, RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import multiprocessing
import os
import platform
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.api import READY, fresh_database, on_postgres, serving, start
from bench.reads import caught_up, seed
from server.commands import accounts, endorsements, members, posts
from server.commands.context import Commands
from server.db import with_database
from server.domain.common import Actor
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.projections.catalog import all_projections

DATABASE = "learnwork_bench_streams"
MEMBER_TOKENS = 1000
ADMINS = 5

PLAN = {
    "community": 0.60,
    "member": 0.30,
    "types": 0.098,
    "all": 0.002,
}
"""Share of subscribers per kind of filter: one community (of one of the token's member's,
members-only ones included), one member, a few rare types (`endorsement.*`, `path.*`), none
(half of these admins)."""
RARE_TYPES = ["endorsement.*", "path.*", "member.profile_updated,member.followed"]


@dataclass
class Instance:
    admins: list[str]
    """Bearer tokens."""
    readers: list[tuple[str, list[str]]]
    """(bearer token, the member's communities)."""
    members: list[str]
    communities: list[str]


async def instance(url: str) -> Instance:
    """Tokens with the `stream` scope for 1,000 members in communities, and for 5 admins."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT m.id::text, array_agg(c.community_id::text) FROM members m"
            " JOIN community_members c ON c.member_id = m.id WHERE m.status = 'active'"
            " GROUP BY m.id ORDER BY random() LIMIT $1",
            MEMBER_TOKENS,
        )
        everyone = [r[0] for r in await conn.fetch("SELECT id::text FROM members")]
        communities = [r[0] for r in await conn.fetch("SELECT id::text FROM communities")]
    finally:
        await conn.close()
    store = await EventStore.open(url, REGISTRY, pool_size=4)
    try:
        cx = Commands.over(store)
        admins = []
        for n in range(ADMINS):
            done = await accounts.register(
                cx, handle=f"bench_admin_{n}", display_name="Admin", password="x" * 12, admin=True
            )
            admins.append((await accounts.issue_token(cx, done.member, ["stream"])).token)
        readers = []
        for member_id, theirs in rows:
            member = await accounts.load_member(cx, member_id)
            assert member is not None
            token = (await accounts.issue_token(cx, member, ["read", "stream"])).token
            readers.append((token, theirs))
    finally:
        await store.close()
    return Instance(admins, readers, everyone, communities)


def plan(world: Instance, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(token, query string) for each subscriber."""
    wanted: list[tuple[str, str]] = []
    for kind, share in PLAN.items():
        for n in range(max(1, round(count * share))):
            token, theirs = rng.choice(world.readers)
            if kind == "community":
                query = f"community={rng.choice(theirs)}"
            elif kind == "member":
                query = f"member={rng.choice(world.members)}"
            elif kind == "types":
                query = f"types={rng.choice(RARE_TYPES)}"
            else:
                query = ""
                if n % 2 == 0:
                    token = world.admins[n // 2 % len(world.admins)]
            wanted.append((token, query))
    return wanted[:count]


_ID = re.compile(rb"\nid: (\d+)\n")
_ERROR = re.compile(rb"\nevent: error\n")


class Received:
    """Position and time received of each message, in arrays: a list of a million tuples would
    have this process's garbage collector pause it for long enough to show in the latencies."""

    def __init__(self) -> None:
        self.positions = array.array("q")
        self.times = array.array("d")

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return zip(self.positions, self.times, strict=True)


class _Subscriber(asyncio.Protocol):
    """One SSE stream over a bare socket: records the position and time received of each
    message, without parsing more than its `id` line (so that this process keeps up with the
    server)."""

    def __init__(self, request: bytes, received: Received, errors: Counter[str]):
        self._request = request
        self._received = received
        self._errors = errors
        self._rest = b""
        self._open = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        data = self._rest + data
        if not self._open:
            head, found, data = data.partition(b"\r\n\r\n")
            if not found:
                self._rest = head
                return
            self._open = True
            if not head.startswith(b"HTTP/1.1 200"):
                self.ready.set_exception(RuntimeError(head.split(b"\r\n", 1)[0].decode()))
                return
            self.ready.set_result(None)
            data = b"\n" + data
        cut = data.rfind(b"\n")
        for match in _ID.finditer(data, 0, cut + 1):
            self._received.positions.append(int(match[1]))
            self._received.times.append(now)
        if _ERROR.search(data, 0, cut + 1):
            self._errors["error messages"] += 1
        self._rest = data[cut:]

    def connection_lost(self, exc: Exception | None) -> None:
        self._errors["closed by the server"] += 1
        if not self.ready.done():
            self.ready.set_exception(RuntimeError("closed before answering"))


async def subscribe(
    base: str, wanted: list[tuple[str, str]], received: Received
) -> tuple[list[asyncio.Transport], Counter[str]]:
    host, port = base.removeprefix("http://").split(":")
    errors: Counter[str] = Counter()
    transports: list[asyncio.Transport] = []
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(100)

    async def one(token: str, query: str) -> None:
        request = (
            f"GET /api/v1/streams/events?{query} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
        async with gate:
            transport, protocol = await loop.create_connection(
                lambda: _Subscriber(request, received, errors), host, int(port)
            )
            transports.append(transport)
            await protocol.ready

    await asyncio.gather(*(one(token, query) for token, query in wanted))
    return transports, errors


def write(url: str, rate: float, seconds: float, go: Any, results: Any) -> None:
    """The writing process: `rate` commands a second for `seconds` once `go` is set; puts
    (position → time its command started, counts) on `results`."""
    results.put(asyncio.run(_write(url, rate, seconds, go)))


async def _write(url: str, rate: float, seconds: float, go: Any) -> tuple[dict[int, float], Any]:
    conn = await asyncpg.connect(url)
    try:
        writers = [
            (r[0], r[1])
            for r in await conn.fetch(
                "SELECT member_id::text, community_id::text FROM community_members"
                " ORDER BY random() LIMIT 2000"
            )
        ]
        recent = [
            (r[0], r[1])
            for r in await conn.fetch(
                "SELECT p.id::text, c.member_id::text FROM posts p JOIN community_members c"
                " ON c.community_id = p.community_id ORDER BY random() LIMIT 5000"
            )
        ]
        others = [r[0] for r in await conn.fetch("SELECT id::text FROM members LIMIT 5000")]
    finally:
        await conn.close()
    store = await EventStore.open(url, REGISTRY, pool_size=8)
    cx = Commands.over(store)
    rng = random.Random(5)
    started_at: dict[int, float] = {}
    counts: Counter[str] = Counter()
    in_flight = asyncio.Semaphore(64)

    async def one(n: int) -> None:
        choice = rng.random()
        begun = time.time()
        try:
            if choice < 0.70:
                member_id, community_id = rng.choice(writers)
                _, results = await posts.publish(
                    cx, Actor(member_id), body=f"Notes {n}", format="markdown",
                    community_id=community_id,
                )  # fmt: skip
            elif choice < 0.85:
                post_id, member_id = rng.choice(recent)
                results = await posts.like(cx, Actor(member_id), post_id)
            elif choice < 0.97:
                member_id, _ = rng.choice(writers)
                results = await members.follow(cx, Actor(member_id), rng.choice(others))
            else:
                member_id, _ = rng.choice(writers)
                _, results = await endorsements.endorse(
                    cx, Actor(member_id), kind="member", target_id=rng.choice(others),
                    skill=f"skill{n % 50}",
                )  # fmt: skip
        except Exception as exc:  # a repeat (liked or followed already): counted, not timed
            counts[type(exc).__name__] += 1
            return
        finally:
            in_flight.release()
        counts["appended"] += 1
        for result in results:
            for position in result.positions:
                started_at[position] = begun

    await asyncio.to_thread(go.wait)
    tasks = []
    begin = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
        await in_flight.acquire()
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    counts["seconds"] = round(time.perf_counter() - begin, 2)
    await store.close()
    return started_at, dict(counts)


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak) of process `pid`, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    received: Received = field(default_factory=Received)
    rss: list[float] = field(default_factory=list)


async def measure(base: str, pid: int, url: str, world: Instance, args: argparse.Namespace) -> None:
    rng = random.Random(7)
    wanted = plan(world, args.subscribers, rng)
    run = Run()
    opened = time.perf_counter()
    idle_rss = rss_mb(pid)[0]
    transports, errors = await subscribe(base, wanted, run.received)
    kinds = Counter(q.partition("=")[0] or "all" for _, q in wanted)
    print(
        f"{len(transports):,} streams open in {time.perf_counter() - opened:.1f} s"
        f" ({', '.join(f'{n:,} {k}' for k, n in kinds.items())});"
        f" server RSS {idle_rss:,.0f} MB before, {rss_mb(pid)[0]:,.0f} MB after"
    )
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    writer = context.Process(target=write, args=(url, args.rate, args.seconds, go, results))
    writer.start()
    await asyncio.sleep(2)  # the writer loads its members
    cpu_before, own_before = cpu_seconds(pid), time.process_time()
    go.set()
    began = time.perf_counter()
    while writer.is_alive() and results.empty():
        run.rss.append(rss_mb(pid)[0])
        await asyncio.sleep(1)
    started_at, counts = await asyncio.to_thread(results.get)
    writer.join()
    await asyncio.sleep(2)  # the last deliveries
    took = time.perf_counter() - began
    busy = (cpu_seconds(pid) - cpu_before) / took, (time.process_time() - own_before) / took
    for transport in transports:
        transport.close()
    report(run, started_at, counts, errors, rss_mb(pid)[1], busy, args)


def report(
    run: Run,
    started_at: dict[int, float],
    counts: dict[str, Any],
    errors: Counter[str],
    peak: float,
    busy: tuple[float, float],
    args: argparse.Namespace,
) -> None:
    latencies = sorted(t - started_at[p] for p, t in run.received if p in started_at)
    seconds = counts.pop("seconds")
    appended = counts.pop("appended")

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    print(
        f"appended {appended:,} events in {seconds:.1f} s ({appended / seconds:,.0f}/s;"
        f" asked {args.rate:g}/s); refused as repeats: {counts or 'none'}"
    )
    print(
        f"delivered {len(latencies):,} messages ({len(latencies) / seconds:,.0f}/s) to"
        f" {args.subscribers:,} streams; errors: {dict(errors) or 'none'}"
    )
    print(
        f"delivery latency (append -> received): p50 {pct(0.50):.1f} ms, p90 {pct(0.90):.1f} ms,"
        f" p99 {pct(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms   target: p99 < 250 ms"
    )
    print("p99 per 5 s of appends:", " ".join(f"{p:.0f}" for p in windows(run, started_at)), "ms")
    print(
        f"server RSS: {max(run.rss):,.0f} MB at most while writing, peak {peak:,.0f} MB"
        f"   target: < 500 MB; CPU: server {busy[0]:.2f} cores, subscribers {busy[1]:.2f}"
    )


def windows(run: Run, started_at: dict[int, float], seconds: float = 5.0) -> list[float]:
    """The p99 latency of the messages of events appended in each `seconds` of the run."""
    first = min(started_at.values())
    by_window: dict[int, list[float]] = {}
    for position, received in run.received:
        if (began := started_at.get(position)) is not None:
            by_window.setdefault(int((began - first) // seconds), []).append(received - began)
    return [
        sorted(latencies)[int(0.99 * len(latencies))] * 1000
        for _, latencies in sorted(by_window.items())
    ]


def run(server_url: str, args: argparse.Namespace) -> None:
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}")
    asyncio.run(fresh_database(server_url, DATABASE))
    url = with_database(server_url, DATABASE)
    env = serving(url)
    took = seed(env, args)
    print(f"seed: {args.events:,} events in {took:,.0f} s")
    with tempfile.TemporaryDirectory(prefix="learnwork-bench-streams-") as folder:
        server, base = start(["serve"], env, Path(folder) / "serve.log", READY)
        try:
            while not asyncio.run(caught_up(url, len(all_projections()))):
                time.sleep(0.5)
            world = asyncio.run(instance(url))
            asyncio.run(measure(base, server.pid, url, world, args))
        finally:
            server.terminate()
            server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--communities", type=int, default=500)
    parser.add_argument("--subscribers", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=500.0, help="events appended a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to append")
    on_postgres(run, parser.parse_args())


if __name__ == "__main__":
    main()
