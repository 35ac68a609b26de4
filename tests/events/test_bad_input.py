"""Bad input is refused with an error naming the field at fault, and leaves the log unchanged."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from server.events import (
    EventTooLarge,
    InvalidAppend,
    InvalidEventPayload,
    InvalidStreamId,
    Metadata,
    NewEvent,
    UnknownEventType,
)
from server.events.store import EventStore
from tests.events.sample_events import SAMPLE_REGISTRY, Noted, Unregistered

BAD_APPENDS = {
    "unknown event type": ("s", [Unregistered(text="x")], UnknownEventType, "events[0].data"),
    "payload of the wrong type": (
        "s",
        [Noted(text="ok"), Noted(text=42)],
        InvalidEventPayload,
        "events[1].data.text",  # type: ignore[arg-type]
    ),
    "payload breaking a constraint": (
        "s",
        [Noted(text="x", count=-1)],
        InvalidEventPayload,
        "events[0].data.count",
    ),
    "payload over the size limit": ("s", [Noted(text="x" * 5000)], EventTooLarge, "events[0].data"),
    "NUL character PostgreSQL cannot store": (
        "s",
        [Noted(text="a\x00b")],
        InvalidEventPayload,
        "events[0].data",
    ),
    "not an event at all": ("s", [{"text": "x"}], InvalidAppend, "events[0].data"),
    "empty stream id": ("", [Noted(text="x")], InvalidStreamId, "stream_id"),
    "stream id with a control character": ("a\nb", [Noted(text="x")], InvalidStreamId, "stream_id"),
    "stream id too long": ("s" * 201, [Noted(text="x")], InvalidStreamId, "stream_id"),
    "no events": ("s", [], InvalidAppend, "events"),
    "one id twice": (
        "s",
        [
            NewEvent(Noted(text="a"), id=uuid.UUID(int=1)),
            NewEvent(Noted(text="b"), id=uuid.UUID(int=1)),
        ],
        InvalidAppend,
        "events",
    ),
    "actor with a control character": (
        "s",
        [NewEvent(Noted(text="a"), metadata=Metadata(actor="eve\r\nX-Injected: 1"))],
        InvalidAppend,
        "events[0].metadata.actor",
    ),
}


@pytest.fixture
async def small_store(database_url: str):
    store = await EventStore.open(database_url, SAMPLE_REGISTRY, max_event_bytes=4096)
    yield store
    await store.close()


@pytest.mark.parametrize("case", BAD_APPENDS, ids=list(BAD_APPENDS))
async def test_bad_input_is_refused_and_writes_nothing(small_store, db, case) -> None:
    await small_store.append("s", [Noted(text="before")])
    stream_id, events, error, field = BAD_APPENDS[case]
    with pytest.raises(error) as caught:
        await small_store.append(stream_id, events)
    assert caught.value.field == field
    assert await db.fetchval("SELECT count(*) FROM events") == 1


@pytest.mark.parametrize("expected", [0, -3, True, "latest", 1.5])
async def test_a_malformed_expected_version_is_refused(small_store, db, expected) -> None:
    with pytest.raises(InvalidAppend) as caught:
        await small_store.append("s", [Noted(text="x")], expected)
    assert caught.value.field == "expected_version"
    assert await db.fetchval("SELECT count(*) FROM events") == 0


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(small_store, db) -> None:
    await small_store.append("s", [Noted(text="write \\u0000 to mean NUL")])
    [event] = await small_store.read_all()
    assert event.data == Noted(text="write \\u0000 to mean NUL")


async def test_bad_input_among_good_appends_fails_only_itself(small_store, db) -> None:
    import asyncio

    outcomes = await asyncio.gather(
        small_store.append("good-1", [Noted(text="a")]),
        small_store.append("bad", [Noted(text="x" * 5000)]),
        small_store.append("good-2", [Noted(text="b")]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], EventTooLarge)
    assert not isinstance(outcomes[0], Exception) and not isinstance(outcomes[2], Exception)
    assert await db.fetchval("SELECT count(*) FROM events") == 2


async def test_the_log_refuses_updates_and_deletes(store, db) -> None:
    import asyncpg

    await store.append("s", [Noted(text="permanent")])
    with pytest.raises(asyncpg.RaiseError, match="immutable"):
        await db.execute("UPDATE events SET stream_id = 'other'")
    with pytest.raises(asyncpg.RaiseError, match="immutable"):
        await db.execute("DELETE FROM events")
    assert msgspec.json.decode(await db.fetchval("SELECT data FROM events"))["text"] == "permanent"
