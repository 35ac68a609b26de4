"""`GET /api/v1/streams/events`: the event log for developers, as Server-Sent Events or, with a
WebSocket upgrade at the same URL, one text message per event.

Each message is a CloudEvents 1.0 JSON envelope whose `id` is the event's log position: an
opaque cursor that only grows. A client resumes exactly after the last event it received with
`Last-Event-ID` (browsers send it by themselves) or `?cursor=`; `?cursor=0` replays the log from
the start (the log keeps everything: there is no retention). Filters run on the server. Secrets
and credentials (passwords, tokens, OAuth codes, invitations) are never streamed.

A token with the `stream` scope gets what its holder may see: an admin every event, a member
what server/projections/event_visibility.py lets them (decided once the read models have reached
the events).

Every server process serves its own connections, and all see every event: one reader of the log
per process hands each event to the streams that want it (server/api/stream_hub.py). Each
connection holds at most `stream_buffer` events not yet written to it; a consumer that leaves
that buffer full for a heartbeat interval (it stopped reading, or reads slower than events come)
gets an `error` message naming the last event it was sent, and is disconnected: it resumes from
there, nothing skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from aiohttp import web

from server.api.event_filters import EventFilter, parse_types
from server.api.keys import OPTIONS
from server.api.routing import Api, Call, field_problem
from server.api.stream_hub import (
    CLOSED,
    FAILED,
    SHUTTING_DOWN,
    STREAM_HUB,
    TOO_SLOW,
    Item,
    Message,
    Subscriber,
    end,
)

api = Api()

KEEP_ALIVE = ""
"""Put in an idle stream's buffer to have a keep-alive sent."""
MOST_AT_ONCE = 500
"""Messages written to a connection together, when that many are waiting…"""
MOST_BYTES_AT_ONCE = 256 * 1024
"""…unless they reach this many bytes first."""


@dataclass(eq=False, slots=True)
class _Open:
    queue: asyncio.Queue[Item]
    written: float
    """When something was last written to it (the loop's clock)."""


OPEN_STREAMS = web.AppKey("open_streams", set[_Open])
"""Every open stream of this process: a stream never ends by itself, so shutting down ends them,
each with an error message saying where to resume; and those idle for a heartbeat are sent a
keep-alive, by one timer for all (not one per stream and message)."""


def setup(app: web.Application) -> None:
    app[OPEN_STREAMS] = set()
    app.cleanup_ctx.append(_keeping_alive)
    app.on_shutdown.append(_end_streams)


async def _keeping_alive(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(
        _keep_alive(app[OPEN_STREAMS], app[OPTIONS].stream_heartbeat_seconds)
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _keep_alive(streams: set[_Open], heartbeat: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(heartbeat / 2)
        idle = loop.time() - heartbeat
        for stream in streams:
            if stream.written <= idle and stream.queue.empty():
                stream.queue.put_nowait(KEEP_ALIVE)
                stream.written = loop.time()


async def _end_streams(app: web.Application) -> None:
    for stream in app[OPEN_STREAMS]:
        end(stream.queue, SHUTTING_DOWN)


class CloudEvent(msgspec.Struct, kw_only=True):
    """One message of an event stream: a CloudEvents 1.0 JSON envelope."""

    specversion: str
    """`1.0`."""
    id: str
    """The event's cursor: resume after it with `Last-Event-ID` or `cursor`. Opaque; later
    events have greater ones."""
    source: str
    """The instance's base URL."""
    type: str
    """`org.learnwork.` and the event type, such as `org.learnwork.post.published`."""
    time: datetime
    subject: str
    """The entity the event belongs to, as `post-<id>`, `member-<id>`, `community-<id>`, …"""
    datacontenttype: str
    """`application/json`."""
    data: dict[str, Any]
    """The event's fields (see schemas/ for each type)."""


class StreamQuery(msgspec.Struct, kw_only=True):
    cursor: str | None = None
    """Resume after this event `id` (`0`: from the start of the log). `Last-Event-ID` does the
    same; without either, the stream starts with what happens next."""
    types: str | None = None
    """Comma-separated event types, or areas as `post.*`: only those."""
    community: str | None = None
    """Only events naming this community (its own, and posts, artefacts and paths in it)."""
    member: str | None = None
    """Only events naming this member (by them, or about them)."""
    path: str | None = None
    """Only events naming this learning path (its changes and its learners' progress)."""


@api.route(
    "GET",
    "/api/v1/streams/events",
    tag="streams",
    query=StreamQuery,
    response=CloudEvent,
    media="text/event-stream",
    scope="stream",
    errors=(400, 403),
)
async def stream_events(call: Call) -> web.StreamResponse:
    """The instance's events as Server-Sent Events, each a CloudEvents 1.0 JSON envelope with
    the log position as `id`; resume with `Last-Event-ID` or `cursor`. You get what you may
    see: nothing from members-only communities you are not in, no one else's unshared
    progress, no draft path of someone else's, no admin decisions unless you are an admin."""
    query: StreamQuery = call.query
    ids = frozenset(i for i in (query.community, query.member, query.path) if i is not None)
    wanted = EventFilter(parse_types(query.types), ids)
    head = await call.cx.store.last_position()
    after = _cursor(call, head)
    options = call.request.app[OPTIONS]
    queue: asyncio.Queue[Item] = asyncio.Queue(options.stream_buffer)
    actor = call.actor
    subscriber = Subscriber(wanted, None if actor.admin else actor.member_id, queue, after)
    sink: _Sink = _WebSocket(queue) if _wants_websocket(call.request) else _EventSource()
    response = await sink.open(call.request, options.stream_heartbeat_seconds)
    loop = asyncio.get_running_loop()
    stream = _Open(queue, loop.time())
    open_streams = call.request.app[OPEN_STREAMS]
    open_streams.add(stream)
    stall = options.stream_heartbeat_seconds
    reading = asyncio.create_task(call.request.app[STREAM_HUB].stream(subscriber))
    last_sent = after
    try:
        while True:
            messages, reason = await _next(queue)
            if messages:
                await sink.send(messages)
                last_sent = messages[-1][0]
            elif reason is None:
                await sink.keep_alive()
            stream.written = loop.time()
            if reason is not None:  # the end: say why, and where to resume, if it reads
                error = _error(reason, last_sent, options.stream_buffer)
                # asyncio.timeout throughout, not wait_for: on Python 3.11 wait_for can
                # swallow a cancellation (gh-86296), and a stream would then never end.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(stall):
                        await sink.error(error)
                break
    except ConnectionResetError:
        pass  # the client went away
    finally:
        open_streams.discard(stream)
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    try:
        async with asyncio.timeout(stall):
            await sink.close()
    except TimeoutError:  # it stopped reading altogether
        if call.request.transport is not None:
            call.request.transport.close()
    except ConnectionResetError:
        pass
    return response


async def _next(queue: asyncio.Queue[Item]) -> tuple[list[Message], str | None]:
    """What is waiting in `queue` (at least one item, within MOST_AT_ONCE and MOST_BYTES_AT_ONCE):
    the messages, and why the stream ends, if it does."""
    messages: list[Message] = []
    size = 0
    item = await queue.get()
    while True:
        if isinstance(item, tuple):
            messages.append(item)
            size += len(item[1])
        elif item != KEEP_ALIVE:
            return messages, item
        if queue.empty() or len(messages) >= MOST_AT_ONCE or size >= MOST_BYTES_AT_ONCE:
            return messages, None
        item = queue.get_nowait()


def _wants_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


class _Sink:
    """Where a stream's messages go: Server-Sent Events or a WebSocket."""

    async def open(self, request: web.Request, heartbeat: float) -> web.StreamResponse:
        raise NotImplementedError

    async def send(self, messages: list[Message]) -> None:
        raise NotImplementedError

    async def keep_alive(self) -> None:
        raise NotImplementedError

    async def error(self, error: bytes) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _EventSource(_Sink):
    async def open(self, request: web.Request, heartbeat: float) -> web.StreamResponse:
        self._response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # nginx: pass each message on at once
            }
        )
        await self._response.prepare(request)
        return self._response

    async def send(self, messages: list[Message]) -> None:
        await self._response.write(b"".join(b"id: %d\ndata: %s\n\n" % m for m in messages))

    async def keep_alive(self) -> None:
        await self._response.write(b": keep-alive\n\n")

    async def error(self, error: bytes) -> None:
        await self._response.write(b"event: error\ndata: %s\n\n" % error)

    async def close(self) -> None:
        await self._response.write_eof()


class _WebSocket(_Sink):
    """One text message per envelope; the error as a last text message, then a close. What the
    client sends is read only to learn that it closed: then `queue` ends."""

    def __init__(self, queue: asyncio.Queue[Item]) -> None:
        self._queue = queue

    async def open(self, request: web.Request, heartbeat: float) -> web.StreamResponse:
        self._socket = web.WebSocketResponse(heartbeat=heartbeat)  # pings keep it alive
        await self._socket.prepare(request)
        self._listening = asyncio.create_task(self._listen())
        return self._socket

    async def _listen(self) -> None:
        async for _ in self._socket:
            pass  # a client has nothing to say to an event stream
        end(self._queue, CLOSED)

    async def send(self, messages: list[Message]) -> None:
        for _, envelope in messages:
            await self._socket.send_str(envelope.decode())

    async def keep_alive(self) -> None:
        """The socket pings by itself."""

    async def error(self, error: bytes) -> None:
        await self._socket.send_str(error.decode())

    async def close(self) -> None:
        await self._socket.close()
        self._listening.cancel()


def _cursor(call: Call, head: int) -> int:
    """Where to start: after the cursor given (query first, then `Last-Event-ID`), else the
    log's end."""
    field, value = "cursor", call.query.cursor
    if value is None:
        field, value = "Last-Event-ID", call.request.headers.get("Last-Event-ID")
    if value is None:
        return head
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise field_problem(400, "Bad Request", field, "not a cursor this stream gave")
    position = int(value)
    if position > head:
        raise field_problem(
            400, "Bad Request", field, f"ahead of the log (its last event is {head})"
        )
    return position


_WHY = {
    TOO_SLOW: "its buffer of {buffer} events stayed full",
    FAILED: "the server could not read the log",
    SHUTTING_DOWN: "the server is shutting down",
    CLOSED: "the client closed the stream",
}


def _error(reason: str, last_sent: int, buffer: int) -> bytes:
    why = _WHY[reason].format(buffer=buffer)
    return msgspec.json.encode(
        {
            "error": reason,
            "detail": f"{why}; reconnect to resume after {last_sent}",
            "last_event_id": str(last_sent),
        }
    )
