"""The federation inbox against a trivial endpoint of the same server, in one run:
`python -m bench.inbox`.

One `learnwork serve` process on a loopback port over a fresh database (embedded PostgreSQL,
or BENCH_DATABASE_URL's server), its inbox rate limit raised out of the way. A second process
is the remote side: one aiohttp server on 127.0.0.1 serving `--actors` actors' documents (RSA
2048 keys, as Mastodon's) and answering 202 to any POST. The benchmark's own process drives
the server with an aiohttp client at `--concurrency` requests in flight:

- the ceiling: `GET /healthz`, one indexed single-row query;
- `POST /ap/inbox`: distinct `Follow` activities (Mastodon's shape and context) by the remote
  actors of `--communities` public communities that approve members by hand, round robin, each
  signed RFC 9421 with its actor's key (signed before each round: the client's RSA signing is
  not what is measured). Each is checked as the inbox checks everything — the signature
  verified (the key fetched once, then kept), the activity read as JSON-LD — and appended: the
  follow waits for a moderator, so no Accept is delivered back. The follow handler fetches the
  follower's document for its inboxes each time (from the loopback server).

The two take turns in `--rounds` rounds of `--seconds` each, as bench/api.py's do, and the
figures are over all rounds: req/s, p50 and p99 for each, and the inbox's rate as a share of
the ceiling's, overall and per round.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.api import READY, Result, drive, fresh_database, on_postgres, serving, start
from bench.delivery import free_port
from server.db import with_database
from server.federation.signatures.common import Scheme
from server.federation.signatures.schemes import sign_request

DATABASE = "learnwork_bench_inbox"
CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "Hashtag": "as:Hashtag",
    },
]


def serve_actors(port: int, pems: list[str], ready: Any) -> None:
    """The remote side, in a process of its own: each actor's document, and 202 to a POST."""

    async def actor(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        base = f"http://127.0.0.1:{port}"
        me = f"{base}/users/{n}"
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": me, "type": "Person", "preferredUsername": f"user{n}",
            "inbox": f"{me}/inbox", "endpoints": {"sharedInbox": f"{base}/inbox"},
            "publicKey": {"id": f"{me}#main-key", "owner": me, "publicKeyPem": pems[n]},
        }  # fmt: skip
        return web.json_response(document, content_type="application/activity+json")

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/users/{n}", actor)
        app.router.add_post("/{path:.*}", accept)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.value = 1
        await asyncio.Event().wait()

    asyncio.run(run())


class Follows:
    """Distinct signed Follows, by `keys`' actors of `targets` in turn."""

    def __init__(
        self, inbox: str, remote: str, keys: list[rsa.RSAPrivateKey], targets: list[str]
    ) -> None:
        self.inbox = inbox
        self.remote = remote
        self.keys = keys
        self.pairs = itertools.cycle(itertools.product(range(len(keys)), targets))

    def signed(self, count: int) -> list[tuple[bytes, dict[str, str]]]:
        made = []
        for _ in range(count):
            n, target = next(self.pairs)
            actor = f"{self.remote}/users/{n}"
            body = msgspec.json.encode({
                "@context": CONTEXT, "id": f"{actor}#follows/{uuid.uuid4()}", "type": "Follow",
                "actor": actor, "object": target,
            })  # fmt: skip
            headers = sign_request(
                Scheme.RFC9421, "POST", self.inbox,
                {"Content-Type": "application/activity+json"}, body,
                private_key=self.keys[n], key_id=f"{actor}#main-key", now=datetime.now(UTC),
            )  # fmt: skip
            made.append((body, headers))
        return made


async def post_all(
    session: aiohttp.ClientSession,
    signed: list[tuple[bytes, dict[str, str]]],
    concurrency: int,
    seconds: float,
) -> Result:
    """POST the signed activities, `concurrency` at a time, until they or `seconds` run out."""
    latencies: list[float] = []
    errors: dict[int, int] = {}
    queue = iter(signed)
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        for body, headers in queue:
            if time.perf_counter() >= deadline:
                return
            began = time.perf_counter()
            async with session.post("/ap/inbox", data=body, headers=headers) as response:
                await response.read()
                if response.status != 202:
                    errors[response.status] = errors.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    if errors:
        print(f"  inbox answers other than 202: {errors}")
    elapsed = time.perf_counter() - began
    failed = sum(errors.values())
    return Result("POST /ap/inbox (Follow)", len(latencies), elapsed, latencies, failed)


async def measure(base: str, remote: str, keys: list[rsa.RSAPrivateKey], args: Any) -> None:
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(base, connector=connector) as session:
        account = await (
            await session.post(
                "/api/v1/accounts",
                json={"handle": "bench", "display_name": "Bench", "password": "correct horse 1"},
            )
        ).json()
        auth = {"Authorization": f"Bearer {account['access_token']}"}
        targets = []
        for n in range(args.communities):
            body = {"slug": f"club{n}", "name": f"Club {n}", "visibility": "public",
                    "join_policy": "approval"}  # fmt: skip
            made = await (await session.post("/api/v1/communities", json=body, headers=auth)).json()
            targets.append(f"{base}/ap/communities/{made['id']}")
        follows = Follows(f"{base}/ap/inbox", remote, keys, targets)

        def health(s: aiohttp.ClientSession, _: int) -> Any:
            return s.get("/healthz")

        # Warm up: every actor's key fetched and kept, every community's stream written once.
        await post_all(session, follows.signed(len(keys) * len(targets)), args.concurrency, 60)
        await drive("warm-up", session, health, args.concurrency, 1.0)
        pool = 4000
        totals: dict[str, Result] = {}
        shares = []
        for _ in range(args.rounds):
            ceiling = await drive("GET /healthz (ceiling)", session, health, args.concurrency,
                                  args.seconds)  # fmt: skip
            inbox = await post_all(session, follows.signed(pool), args.concurrency, args.seconds)
            if inbox.seconds < args.seconds * 0.95:
                print(f"  (the round's {pool:,} signed activities ran out: more next round)")
            pool = max(pool, int(inbox.rate * args.seconds * 1.5))
            shares.append(inbox.rate / ceiling.rate)
            for result in (ceiling, inbox):
                prior = totals.get(result.name)
                totals[result.name] = result if prior is None else prior + result
    ceiling, inbox = totals.values()
    print(ceiling.line())
    print(inbox.line())
    print(f"inbox / ceiling = {inbox.rate / ceiling.rate:.2f}")
    print("per round, inbox / ceiling:", " ".join(f"{s:.2f}" for s in shares))


def run(server_url: str, args: argparse.Namespace) -> None:
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"{args.rounds} rounds of {args.seconds:g} s per measurement, {args.concurrency} in"
        f" flight; {args.actors} remote actors following {args.communities} communities"
    )
    asyncio.run(fresh_database(server_url, DATABASE))
    keys = [
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(args.actors)
    ]
    pems = [
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        for key in keys
    ]
    remote_port, port = free_port(), free_port()
    context = multiprocessing.get_context("spawn")
    ready = context.Value("b", 0)
    remote = context.Process(target=serve_actors, args=(remote_port, pems, ready), daemon=True)
    remote.start()
    env = {
        **serving(with_database(server_url, DATABASE)),
        "LEARNWORK_PORT": str(port),
        "LEARNWORK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LEARNWORK_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
        "LEARNWORK_FEDERATION_INBOX_RATE": "1000000",
        "LEARNWORK_FEDERATION_INBOX_BURST": "1000000",
    }
    with tempfile.TemporaryDirectory(prefix="learnwork-bench-inbox-") as folder:
        server, base = start(["serve"], env, Path(folder) / "serve.log", READY)
        try:
            while not ready.value:
                time.sleep(0.05)
            asyncio.run(measure(base, f"http://127.0.0.1:{remote_port}", keys, args))
        finally:
            server.terminate()
            server.wait(timeout=60)
            remote.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="one measurement's length")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the two (default 4)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--actors", type=int, default=8, help="remote actors (default 8)")
    parser.add_argument("--communities", type=int, default=25, help="communities they follow")
    on_postgres(run, parser.parse_args())


if __name__ == "__main__":
    main()
