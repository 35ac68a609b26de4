"""The HTTP API's write and read paths against a trivial endpoint of the same app, in one run:
`python -m bench.api`.

Runs `learnwork` as processes of their own on a loopback port (over a fresh embedded
PostgreSQL, or BENCH_DATABASE_URL's server) in two layouts, each on a fresh database:

- **one process**: `learnwork serve` serving HTTP and keeping the read models;
- **API + worker**: `learnwork serve` with LEARNWORK_PROJECTIONS=false, and
  `learnwork projections run` keeping the read models in a second process.

Each is driven with an aiohttp client from this process, at each of `--concurrency` requests
in flight (default 32 and 128: a moderate load, where a write's latency sets the rate, and a
saturating one, where group commit batches writes):

- the ceiling: `GET /healthz`, one indexed single-row query;
- `GET /api/v1/posts/{id}`: a post read back from the read model, authenticated;
- `POST /api/v1/posts`: publish a post, authenticated — token check, decide, durable append;
  after each, how long the read models take to include the last post written (catch-up),
  so that no projection work spills into the next measurement.

The three take turns in `--rounds` rounds of `--seconds` each, so that a change in the speed of
a shared machine during the run weighs on all three alike (measured one after the other, the
ceiling drifted by up to 25% between the start and the end of a run). Prints req/s, p50 and
p99 for each over all rounds, each path's rate as a share of the ceiling, and that share per
round. Target (issue 3): POST ≥ 0.5 of the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import msgspec

from server.db import embedded_postgres, ensure_database, with_database

DATABASE = "learnwork_bench_api"


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]
    errors: int

    def __add__(self, other: Result) -> Result:
        return Result(
            self.name,
            self.count + other.count,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.errors + other.errors,
        )

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def line(self) -> str:
        cuts = statistics.quantiles(self.latencies, n=100)
        return (
            f"{self.name:<28} {self.rate:>8,.0f} req/s   p50 {cuts[49] * 1000:6.2f} ms"
            f"   p99 {cuts[98] * 1000:6.2f} ms   ({self.count:,} requests, {self.errors} errors)"
        )


async def drive(
    name: str,
    session: aiohttp.ClientSession,
    request: Callable[[aiohttp.ClientSession, int], Any],
    concurrency: int,
    seconds: float,
) -> Result:
    """`concurrency` loops each sending `request` back to back for `seconds`."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def loop() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            async with request(session, next(counter)) as response:
                await response.read()
                if response.status >= 400:
                    errors += 1
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return Result(name, len(latencies), time.perf_counter() - start, latencies, errors)


def serving(url: str) -> dict[str, str]:
    """The environment of `learnwork` processes on database `url`, on a free port, with rate
    limits far above what a benchmark asks."""
    return {
        "LEARNWORK_DATABASE_URL": url,
        "LEARNWORK_PORT": "0",
        "LEARNWORK_WRITES_PER_MINUTE": "100000000",
        "LEARNWORK_SIGN_INS_PER_MINUTE": "100000000",
    }


def start(command: list[str], env: dict[str, str], log: Path, ready: str) -> tuple[Any, str]:
    """A `learnwork` process and the first group of `ready` once its log shows it."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *command], env={**os.environ, **env}, stderr=stderr
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if match := re.search(ready, log.read_text()):
            return process, match[1] if match.groups() else match[0]
        time.sleep(0.05)
    process.terminate()
    raise SystemExit(f"learnwork {' '.join(command)} did not start:\n{log.read_text()}")


async def catch_up(session: aiohttp.ClientSession, auth: dict[str, str]) -> float:
    """Seconds from the end of the write phase until the read models hold its last post."""
    start = time.perf_counter()
    written = await (
        await session.post("/api/v1/posts", json={"body": "last"}, headers=auth)
    ).json()
    wait = {**auth, "Learnwork-Min-Position": str(written["position"])}
    while (await session.get(f"/api/v1/posts/{written['id']}", headers=wait)).status != 200:
        pass  # 503: not there within the server's read wait yet; ask again
    return time.perf_counter() - start


async def measure(base: str, concurrency: int, seconds: float, rounds: int) -> None:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector) as session:
        account = await (
            await session.post(
                "/api/v1/accounts",
                json={"handle": "bench", "display_name": "Bench", "password": "correct horse 1"},
            )
        ).json()
        auth = {"Authorization": f"Bearer {account['access_token']}"}
        written = await (
            await session.post("/api/v1/posts", json={"body": "# Hello\n\n*world*"}, headers=auth)
        ).json()
        post_id = written["id"]
        # Wait until the read model has the post, then read it without the header.
        wait = {**auth, "Learnwork-Min-Position": str(written["position"])}
        assert (await session.get(f"/api/v1/posts/{post_id}", headers=wait)).status == 200
        # Encoded once: the client's CPU (on the same 2 cores) is not what is measured.
        body = msgspec.json.encode(
            {"body": "A note on **incident review**: what we learnt, and what we change."}
        )
        as_json = {**auth, "Content-Type": "application/json"}

        def health(s: aiohttp.ClientSession, _: int) -> Any:
            return s.get("/healthz")

        def read(s: aiohttp.ClientSession, _: int) -> Any:
            return s.get(f"/api/v1/posts/{post_id}", headers=auth)

        def write(s: aiohttp.ClientSession, _: int) -> Any:
            return s.post("/api/v1/posts", data=body, headers=as_json)

        c, t = concurrency, seconds
        await drive("warm-up", session, health, c, 1.0)
        totals: dict[str, Result] = {}
        shares: list[tuple[float, float]] = []
        catch_ups: list[float] = []
        for _ in range(rounds):
            ceiling = await drive("GET /healthz (ceiling)", session, health, c, t)
            get = await drive("GET /api/v1/posts/{id}", session, read, c, t)
            post = await drive("POST /api/v1/posts", session, write, c, t)
            catch_ups.append(await catch_up(session, auth))
            shares.append((get.rate / ceiling.rate, post.rate / ceiling.rate))
            for result in (ceiling, get, post):
                prior = totals.get(result.name)
                totals[result.name] = result if prior is None else prior + result
    ceiling, get, post = totals.values()
    for result in (ceiling, get, post):
        print(result.line())
    print(
        "read models caught up with the last post"
        f" {statistics.median(catch_ups) * 1000:,.0f} ms after it (median of the rounds;"
        f" at most {max(catch_ups) * 1000:,.0f} ms)"
    )
    print(
        f"GET post / ceiling = {get.rate / ceiling.rate:.2f};"
        f" POST post / ceiling = {post.rate / ceiling.rate:.2f}   target: POST >= 0.50"
    )
    print("per round, GET / ceiling:", " ".join(f"{g:.2f}" for g, _ in shares))
    print("per round, POST / ceiling:", " ".join(f"{p:.2f}" for _, p in shares))


async def fresh_database(server_url: str, database: str = DATABASE) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()
    await ensure_database(server_url, database)


LAYOUTS = {
    "one process (serve keeps the read models)": False,
    "API + worker (projections run in a second process)": True,
}


def run(server_url: str, args: argparse.Namespace) -> None:
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{args.rounds} rounds of {args.seconds:g} s per measurement")
    for (layout, worker), concurrency in itertools.product(LAYOUTS.items(), args.concurrency):
        asyncio.run(fresh_database(server_url))
        env = serving(with_database(server_url, DATABASE))
        env["LEARNWORK_PROJECTIONS"] = "false" if worker else "true"
        with tempfile.TemporaryDirectory(prefix="learnwork-bench-api-") as folder:
            processes = []
            try:
                if worker:
                    log = Path(folder) / "worker.log"
                    command = ["projections", "run"]
                    processes.append(start(command, env, log, r"projections running")[0])
                server, base = start(["serve"], env, Path(folder) / "serve.log", READY)
                processes.append(server)
                print(f"\n## {layout}, {concurrency} requests in flight\n")
                asyncio.run(measure(base, concurrency, args.seconds, args.rounds))
            finally:
                for process in processes:
                    process.terminate()
                    process.wait(timeout=60)


READY = r"ready at (http://\S+)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="length of one measurement in one round"
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the three (default 4)")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[32, 128],
        help="requests in flight, comma-separated for several (default 32,128)",
    )
    on_postgres(run, parser.parse_args())


def on_postgres(run: Callable[[str, argparse.Namespace], None], args: argparse.Namespace) -> None:
    """`run(server URL, args)` on BENCH_DATABASE_URL's server, or on a fresh embedded one."""
    if url := os.environ.get("BENCH_DATABASE_URL"):
        run(url, args)
        return
    with tempfile.TemporaryDirectory(prefix="learnwork-bench-") as folder:
        with embedded_postgres(folder, database="postgres") as url:
            run(url, args)


if __name__ == "__main__":
    main()
