"""One reader of the log per server process for all its open event streams.

The hub follows the log at its end and hands each new event to the streams that want it: it
finds them through indexes (by the ids they filter on, else by event type), so an event costs
only what the streams that get it cost; it encodes each event once, whoever gets it; and it
looks up who may see a page of events once, with one query for all the members reading
(`Visibility`), after the read models have reached the page.

A stream starts on its own: from its cursor it reads the log itself (catching up, or replaying
from 0), and joins the hub once it has reached what the hub has handed out. The hub never waits
for a stream: when a stream's buffer is full, the hub lets it go, and it goes back to reading on
its own from the first event it did not get — where a consumer that keeps its buffer full is
told so and disconnected (`TOO_SLOW`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiohttp import web

from server.api.cloudevents import envelope
from server.api.event_filters import STREAMED, EventFilter
from server.events import RecordedEvent
from server.events.store import EventStore
from server.projections.event_visibility import READ_MODELS, Visibility
from server.projections.page_cache import named_ids
from server.projections.runner import ProjectionRunner

log = logging.getLogger(__name__)

Message = tuple[int, bytes]
"""An event as a stream sends it: its position and its CloudEvents envelope."""

TOO_SLOW = "too_slow"
FAILED = "failed"
SHUTTING_DOWN = "shutting_down"
CLOSED = "closed"
Item = Message | str
"""What a stream's buffer holds: messages, then perhaps why it ends (one of the above)."""


@dataclass(eq=False, slots=True)
class Subscriber:
    """One open stream."""

    filter: EventFilter
    viewer: str | None
    """The member reading; None: an admin, who sees everything streamed."""
    queue: asyncio.Queue[Item]
    after: int
    """Everything up to here has been handed to the stream or left out."""
    left: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    """Set by the hub when it let the stream go: where to read on from."""


class StreamHub:
    def __init__(
        self, store: EventStore, runner: ProjectionRunner, source: str, stall: float
    ) -> None:
        self._store = store
        self._runner = runner
        self._source = source
        self._stall = stall
        self._position: int | None = None  # None: not following the log yet
        self._by_type: dict[str, set[Subscriber]] = {}
        self._by_id: dict[str, set[Subscriber]] = {}
        self._viewers: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._position = await self._store.last_position()
        self._task = asyncio.create_task(self._follow(), name="learnwork-stream-hub")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def subscribers(self) -> int:
        return sum(self._viewers.values())

    async def stream(self, subscriber: Subscriber) -> None:
        """Fill `subscriber.queue` from its cursor on, for as long as the stream is open
        (cancel it to stop); end it with why, if it ends otherwise."""
        try:
            while True:
                if not self._join(subscriber):
                    if not await self._read_alone(subscriber):
                        return
                    continue
                try:
                    subscriber.after = await subscriber.left
                finally:
                    self._leave(subscriber)
                subscriber.left = asyncio.get_running_loop().create_future()
        except Exception:
            log.exception("event stream: reading the log failed")
            end(subscriber.queue, FAILED)

    def _join(self, subscriber: Subscriber) -> bool:
        """Hand `subscriber` its events from here on, if it has had all the hub handed out."""
        if self._position is None or subscriber.after < self._position:
            return False
        keys, index = (
            (subscriber.filter.ids, self._by_id)
            if subscriber.filter.ids
            else (subscriber.filter.types, self._by_type)
        )
        for key in keys:
            index.setdefault(key, set()).add(subscriber)
        if subscriber.viewer is not None:
            self._viewers[subscriber.viewer] += 1
        else:
            self._viewers[""] += 1
        return True

    def _leave(self, subscriber: Subscriber) -> None:
        keys, index = (
            (subscriber.filter.ids, self._by_id)
            if subscriber.filter.ids
            else (subscriber.filter.types, self._by_type)
        )
        for key in keys:
            if (group := index.get(key)) is not None:
                group.discard(subscriber)
                if not group:
                    del index[key]
        viewer = subscriber.viewer or ""
        self._viewers[viewer] -= 1
        if self._viewers[viewer] <= 0:
            del self._viewers[viewer]

    async def _read_alone(self, subscriber: Subscriber) -> bool:
        """Read the log for `subscriber` until it can join the hub (True), or its consumer
        leaves its buffer full for a stall (False: ended, too slow)."""
        wanted = subscriber.filter
        pages = self._store.subscribe(subscriber.after, types=wanted.types, poll_interval=1.0)
        async with contextlib.aclosing(pages):
            async for page in pages:
                events = [e for e in page.events if wanted.matches(e)]
                for message in await self._visible(events, subscriber.viewer):
                    try:
                        async with asyncio.timeout(self._stall):
                            await subscriber.queue.put(message)
                    except TimeoutError:
                        end(subscriber.queue, TOO_SLOW)
                        return False
                subscriber.after = page.position
                if self._join(subscriber):
                    return True
        raise AssertionError("a subscription ended by itself")

    async def _visible(self, events: list[RecordedEvent], viewer: str | None) -> list[Message]:
        if events and viewer is not None:
            visibility = await self._visibility(events, (viewer,))
            events = [e for i, e in enumerate(events) if visibility.may_see(i, e, viewer)]
        return [(e.position, self._envelope(e)) for e in events]

    async def _visibility(self, events: list[RecordedEvent], viewers: Iterable[str]) -> Visibility:
        await self._runner.wait_for(events[-1].position, READ_MODELS)
        async with self._store.pool.acquire() as conn:
            visibility = await Visibility.of(conn, events)
            await visibility.know(conn, viewers)
        return visibility

    async def _follow(self) -> None:
        while True:
            try:
                pages = self._store.subscribe(self._position or 0, types=STREAMED)
                async with contextlib.aclosing(pages) as following:
                    async for page in following:
                        if page.events and self._viewers:
                            await self._hand_out(page.events)
                        self._position = page.position
            except Exception:
                log.exception("event streams: following the log failed; retrying in 1 s")
                for subscriber in self._all():
                    end(subscriber.queue, FAILED)
                await asyncio.sleep(1)

    def _all(self) -> set[Subscriber]:
        everyone: set[Subscriber] = set()
        for group in (*self._by_type.values(), *self._by_id.values()):
            everyone |= group
        return everyone

    async def _hand_out(self, events: list[RecordedEvent]) -> None:
        members = [v for v in self._viewers if v]
        visibility = await self._visibility(events, members) if members else None
        if visibility is not None:
            async with self._store.pool.acquire() as conn:
                # Streams that joined while the page was being looked up
                while joined := [v for v in self._viewers if v and not visibility.knows(v)]:
                    await visibility.know(conn, joined)
        # From here to the position moving on, nothing awaits: a stream joins before or after.
        for index, event in enumerate(events):
            message: Message | None = None
            for subscriber in self._wanting(event):
                if subscriber.after >= event.position or subscriber.left.done():
                    continue
                viewer = subscriber.viewer
                if viewer is not None and not visibility.may_see(index, event, viewer):  # type: ignore[union-attr]
                    continue
                if message is None:
                    message = (event.position, self._envelope(event))
                try:
                    subscriber.queue.put_nowait(message)
                except asyncio.QueueFull:
                    subscriber.left.set_result(event.position - 1)

    def _wanting(self, event: RecordedEvent) -> Iterable[Subscriber]:
        by_type = self._by_type.get(event.type, ())
        by_id = [g for i in named_ids(event) if (g := self._by_id.get(i))]
        if not by_id:
            return by_type
        wanting = {s for g in by_id for s in g if event.type in s.filter.types}
        return wanting.union(by_type) if by_type else wanting

    def _envelope(self, event: RecordedEvent) -> bytes:
        return envelope(event, self._source)


STREAM_HUB = web.AppKey("stream_hub", StreamHub)


def end(queue: asyncio.Queue[Item], reason: str) -> None:
    """Empty `queue` of what was not sent, and put why the stream ends."""
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(reason)
