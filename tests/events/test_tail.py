"""The shared tail of the log: one read for every subscriber at the end, each event decoded once,
and every subscriber still gets every event exactly once, in order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection

import asyncpg

from server.events.envelope import Page
from server.events.store import EventStore
from server.events.tail import LogTail
from tests.events.sample_events import Noted, RenamedV2


class CountedReads:
    """The store's own reads of the log, counted."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.reads = 0

    async def fetch(self, after: int, limit: int) -> list[asyncpg.Record]:
        self.reads += 1
        return await self.store._fetch_after(after, limit)

    async def read_page(self, after: int, limit: int, types: Collection[str] | None) -> Page:
        self.reads += 1
        return await self.store.read_page(after, limit, types)


def tail_of(store: EventStore, size: int = 4000) -> tuple[LogTail, CountedReads]:
    reads = CountedReads(store)
    tail = LogTail(reads.fetch, reads.read_page, store._recorded, store.notifier.wake_all, size)
    return tail, reads


async def test_subscribers_at_the_end_share_one_read_and_one_decoding(store: EventStore) -> None:
    start = (await store.append("s", [Noted(text="before")])).position
    tail, reads = tail_of(store)
    assert (await tail.read_page(start, 100)).read == 0  # starts a window at the head
    assert reads.reads == 1

    last = await store.append("s", [Noted(text=str(i)) for i in range(5)])
    pages = await asyncio.gather(*(tail.read_page(start, 100) for _ in range(8)))
    assert reads.reads == 2  # one read of the log for the eight
    assert {tuple(e.data.text for e in p.events) for p in pages} == {("0", "1", "2", "3", "4")}
    assert all(p.position == last.position and p.read == 5 for p in pages)
    first = pages[0].events
    assert all(a is b for p in pages for a, b in zip(p.events, first, strict=True))

    # A subscriber still inside the window is served from memory.
    middle = await tail.read_page(first[1].position, 2)
    assert [e.data.text for e in middle.events] == ["2", "3"] and reads.reads == 2


async def test_a_subscriber_behind_the_window_reads_the_log_itself(store: EventStore) -> None:
    tail, reads = tail_of(store, size=8)
    assert (await tail.read_page(0, 100)).read == 0  # a window at the head of an empty log
    after = 0
    for i in range(30):  # the window keeps the newest 8 to 10, dropping the oldest as it grows
        await store.append("s", [Noted(text=str(i))])
        after = (await tail.read_page(after, 100)).position
    assert reads.reads == 31

    page = await tail.read_page(0, 5)
    assert [e.data.text for e in page.events] == ["0", "1", "2", "3", "4"]
    assert reads.reads == 32  # behind the window: a read of its own
    newest = await store.read_page(0, 100)
    recent = await tail.read_page(newest.events[-4].position, 100)
    assert [e.data.text for e in recent.events] == ["27", "28", "29"]
    assert reads.reads == 32  # inside the window: from memory


async def test_every_reader_sees_the_log_as_it_is_whatever_the_interleaving(
    store: EventStore,
) -> None:
    """Readers at random places (in the window, at its end, behind it) with random limits and
    types, while appends go on: each page is exactly what a plain read of the log gives."""
    rng = random.Random(4)
    tail, _ = tail_of(store, size=12)
    appended = 0

    async def append() -> None:
        nonlocal appended
        for _ in range(60):
            kind = rng.random()
            event = Noted(text="n") if kind < 0.7 else RenamedV2(given="A", family="B")
            await store.append(f"s{rng.randrange(5)}", [event] * rng.randint(1, 3))
            appended += 1
            await asyncio.sleep(rng.random() * 0.003)

    async def read(seed: int) -> int:
        own = random.Random(seed)
        checked, after = 0, 0
        while appended < 60 or after < (await store.read_page(after, 1)).position:
            types = own.choice([None, {"test.noted"}, {"test.renamed"}])
            limit = own.randint(1, 7)
            got = await tail.read_page(after, limit, types)
            expected = await store.read_page(after, limit, types)
            # A tail page may stop earlier (the window's end), never elsewhere.
            assert got.read <= expected.read
            truth = Page([], after, 0)
            if got.read:
                truth = await store.read_page(after, got.read, types)
            assert (got.position, got.read) == (truth.position, truth.read)
            assert [e.position for e in got.events] == [e.position for e in truth.events]
            checked += 1
            if own.random() < 0.1:
                after = max(0, after - own.randint(1, 20))  # step back: behind the window
            else:
                after = got.position
            await asyncio.sleep(own.random() * 0.002)
        return checked

    results = await asyncio.gather(append(), *(read(seed) for seed in range(6)))
    assert all(checked > 20 for checked in results[1:])


async def test_live_subscribers_miss_no_wake_up(store: EventStore) -> None:
    """Polling is set to 30 s, so only a wake-up can deliver within the timeout: a subscriber
    served from the window must still hear of events that arrive beyond it."""
    rng = random.Random(7)
    appends = 80

    async def collect(delay: float) -> list[str]:
        texts: list[str] = []
        async for page in store.subscribe(0, poll_interval=30, min_interval=0.005):
            texts.extend(e.data.text for e in page.events)
            if len(texts) >= appends:
                return texts
            await asyncio.sleep(delay)  # applying the page takes a while
        return texts

    readers = [asyncio.create_task(collect(rng.random() * 0.004)) for _ in range(6)]
    for i in range(appends):
        await store.append(f"s{i % 3}", [Noted(text=str(i))])
        await asyncio.sleep(rng.random() * 0.004)
    results = await asyncio.wait_for(asyncio.gather(*readers), timeout=20)
    assert all(r == [str(i) for i in range(appends)] for r in results)


async def test_a_subscriber_served_from_the_window_hears_of_what_lies_beyond_it(
    store: EventStore,
) -> None:
    """B wakes for F2 while the window ends at F1 (A read F1, and is busy), so B is served F1
    and waits; A's read of F2 must then wake B. Polling (30 s) would come too late."""
    await store.append("s", [Noted(text="E0")])

    async def collect(pauses: list[float]) -> list[str]:
        texts: list[str] = []
        async for page in store.subscribe(0, poll_interval=30):
            texts.extend(e.data.text for e in page.events)
            if len(texts) == 3:
                return texts
            await asyncio.sleep(pauses.pop(0) if pauses else 0)  # busy applying the page
        return texts

    a = asyncio.create_task(collect([0, 0.4]))
    b = asyncio.create_task(collect([0.3]))
    await asyncio.sleep(0.1)
    await store.append("s", [Noted(text="F1")])  # A reads it into the window; B is busy
    await asyncio.sleep(0.1)
    await store.append("s", [Noted(text="F2")])  # both wake; B reads first, from the window
    results = await asyncio.wait_for(asyncio.gather(a, b), timeout=5)
    assert results == [["E0", "F1", "F2"]] * 2
