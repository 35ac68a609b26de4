"""Federation's deliveries, in one run: `python -m bench.delivery`.

On a fresh database (embedded PostgreSQL, or BENCH_DATABASE_URL's server), this process runs
the event store, the outbox and one delivery sender as `learnwork serve` runs them (32
deliveries in flight, at most 4 per host: the default settings), with a translator that makes
each published post an Announce (~2 kB of JSON) by a community, with its integrity proof
(Ed25519) and sent signed with its RSA key. A second process is the remote side: one aiohttp
server listening on 127.0.0.1 … 127.0.0.100 — 100 hosts, as per-host concurrency and shared
inboxes count them — answering 202 to every POST that carries a signature.

1. **distinct inboxes**: one post to 1,000 followers with 1,000 inboxes, 10 on each host;
2. **shared inboxes**: one post to the same followers, each host publishing a shared inbox.

For each: the time from the append of the post's event to the last delivery recorded as
delivered — the outbox reading the log, translating, enqueueing, and every signed POST
answered — with how long the enqueueing took of it, deliveries/s, and the POSTs the sink got.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import socket
import tempfile
import time
import uuid
from collections.abc import Sequence
from multiprocessing.sharedctypes import Synchronized

import asyncpg
from aiohttp import web

from bench.api import fresh_database
from server.db import connect, embedded_postgres, with_database
from server.events import RecordedEvent
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.events.types.posts import PostPublished
from server.federation.client import SignedClient
from server.federation.delivery import DeliveryOptions, DeliverySender
from server.federation.keys import KeyVault
from server.federation.outbox import OutboxEnqueuer
from server.federation.outgoing import Outgoing, Recipient
from server.federation.urls import Urls
from server.migrations import migrate
from server.projections.runner import ProjectionRunner

DATABASE = "learnwork_bench_delivery"
BASE_URL = "https://learn.example"
SECRET = b"the benchmark's instance key, 32+ characters"
CONTENT = (
    "<p>Week 12 of the reading group: we worked through chapter 7 on spaced repetition, "
    "compared three card formats and agreed to try interleaving for a fortnight.</p>"
) * 8
"""A post's HTML, so that the activity comes to about 2 kB of JSON."""


class Announcing:
    """A translator like the real ones to come: a published post is announced by its
    community to the recipients `audiences` names for its body."""

    types = ("post.published",)
    read_models = ()

    def __init__(self, community: str, audiences: dict[str, list[Recipient]]) -> None:
        self.urls = Urls(BASE_URL)
        self.community = community
        self.audiences = audiences

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        made = []
        group = self.urls.community(self.community)
        for event in events:
            post = event.data
            assert isinstance(post, PostPublished)
            note = f"{BASE_URL}/ap/posts/{event.stream_id.removeprefix('post-')}"
            activity = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{note}/announce",
                "type": "Announce",
                "actor": group.id,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [group.followers],
                "object": {
                    "id": note,
                    "type": "Note",
                    "attributedTo": self.urls.member(post.author_id).id,
                    "audience": group.id,
                    "content": CONTENT,
                    "published": event.recorded_at.isoformat(),
                },
            }
            made.append(
                Outgoing(activity, self.community, group.main_key, self.audiences[post.body])
            )
        return made


def serve_sink(port: int, hosts: int, posts: Synchronized, ready: Synchronized) -> None:
    """The remote side, in a process of its own: 202 to each signed POST, on every host."""

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        if "Signature" not in request.headers:
            return web.Response(status=401)
        with posts.get_lock():
            posts.value += 1
        return web.Response(status=202)

    async def run() -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", inbox)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for n in range(1, hosts + 1):
            await web.TCPSite(runner, f"127.0.0.{n}", port).start()
        ready.value = 1
        await asyncio.Event().wait()

    asyncio.run(run())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def deliver(
    store: EventStore, audiences: dict[str, list[Recipient]], body: str, posts: Synchronized
) -> None:
    """Append one post and wait until all its deliveries are delivered; print the figures."""
    before = posts.value
    inboxes = len({r.shared_inbox or r.inbox for r in audiences[body]})
    post_id = str(uuid.uuid4())
    event = PostPublished(author_id=str(uuid.uuid4()), body=body, thread_id=post_id)
    started = time.perf_counter()
    await store.append(f"post-{post_id}", [event])
    enqueued = None
    async with store.pool.acquire() as conn:
        while True:
            queued, delivered = await conn.fetchrow(
                "SELECT count(*), count(*) FILTER (WHERE status = 'delivered')"
                " FROM federation_deliveries WHERE activity_id LIKE $1",
                f"%/{post_id}/announce",
            )
            if enqueued is None and queued == inboxes:
                enqueued = time.perf_counter() - started
            if delivered == inboxes:
                break
            await asyncio.sleep(0.005)
    seconds = time.perf_counter() - started
    assert enqueued is not None
    print(
        f"{body:<18} {len(audiences[body]):>6,} followers {inboxes:>6,} deliveries"
        f" {posts.value - before:>6,} POSTs   {seconds:6.2f} s   {inboxes / seconds:>6,.0f}"
        f" deliveries/s   (enqueued in {enqueued * 1000:,.0f} ms)"
    )


async def run(server_url: str, args: argparse.Namespace) -> None:
    await fresh_database(server_url, DATABASE)
    url = with_database(server_url, DATABASE)
    conn = await connect(url, "learnwork-bench")
    try:
        await migrate(conn)
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    print(f"PostgreSQL {version}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"{args.followers:,} followers on {args.hosts} hosts; {args.concurrency} deliveries in"
        f" flight, at most {args.host_concurrency} per host\n"
    )

    port = free_port()
    context = multiprocessing.get_context("spawn")
    posts, ready = context.Value("q", 0), context.Value("b", 0)
    sink = context.Process(target=serve_sink, args=(port, args.hosts, posts, ready), daemon=True)
    sink.start()
    store = await EventStore.open(url, REGISTRY, pool_size=8)
    vault = KeyVault(store, lambda: SECRET)
    client = SignedClient(vault, allow_private=True, connections=args.concurrency + 100)
    options = DeliveryOptions(
        concurrency=args.concurrency,
        host_concurrency=args.host_concurrency,
        first_retry_seconds=30.0,
        timeout_seconds=10.0,
    )
    sender = DeliverySender(store, client, options)
    community = str(uuid.uuid4())
    followers = [
        (f"http://127.0.0.{n % args.hosts + 1}:{port}", f"users/{n}") for n in range(args.followers)
    ]
    audiences = {
        "distinct inboxes": [Recipient(f"{host}/{user}/inbox") for host, user in followers],
        "shared inboxes": [
            Recipient(f"{host}/{user}/inbox", f"{host}/inbox") for host, user in followers
        ],
    }
    outbox = OutboxEnqueuer(
        store,
        ProjectionRunner(store, url, []),
        url,
        [Announcing(community, audiences)],
        vault,
        retry_seconds=2 * 24 * 3600.0,
        enqueued=sender.wake,
    )
    try:
        await vault.keys(community)  # the community's keys exist before it first posts
        await client.start()
        sender.start()
        outbox.start()
        while not ready.value:  # noqa: ASYNC110 (another process)
            await asyncio.sleep(0.05)
        for body in audiences:
            await deliver(store, audiences, body, posts)
    finally:
        await outbox.close()
        await sender.close()
        await client.close()
        await store.close()
        sink.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100, help="at most 254")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--host-concurrency", type=int, default=4)
    args = parser.parse_args()
    if url := os.environ.get("BENCH_DATABASE_URL"):
        asyncio.run(run(url, args))
        return
    with tempfile.TemporaryDirectory(prefix="learnwork-bench-") as folder:
        with embedded_postgres(folder, database="postgres") as url:
            asyncio.run(run(url, args))


if __name__ == "__main__":
    main()
