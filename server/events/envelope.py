"""The envelope around every event: identity, place in the log, time and causal metadata."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal

import msgspec

if TYPE_CHECKING:
    from server.events.registry import Event

ANY: Final = "any"
"""Expected version: append whatever the stream's current version is."""
NO_STREAM: Final = "no_stream"
"""Expected version: the stream must not exist yet."""

ExpectedVersion = int | Literal["any", "no_stream"]
"""An exact version (the stream's last event has it; versions start at 1), ANY or NO_STREAM."""


class Metadata(msgspec.Struct, frozen=True, omit_defaults=True):
    """Who caused an event and why: the acting member, the message that caused it, the
    conversation it belongs to. Room for more fields, all optional, without touching events."""

    actor: str | None = None
    causation_id: uuid.UUID | None = None
    correlation_id: uuid.UUID | None = None


NO_METADATA: Final = Metadata()


class NewEvent(msgspec.Struct, frozen=True):
    """An event to append. Supply `id` to make retries idempotent: an id already in the log is
    answered with its original position instead of being written again."""

    data: Event
    id: uuid.UUID | None = None
    metadata: Metadata = NO_METADATA


class StreamAppend(msgspec.Struct, frozen=True):
    """One stream's share of a multi-stream append (`EventStore.append_all`)."""

    stream_id: str
    events: list[NewEvent | Event]
    expected_version: ExpectedVersion = ANY


class RecordedEvent(msgspec.Struct, frozen=True):
    """An event as stored: `data` is always the current schema version (upcast on read)."""

    id: uuid.UUID
    type: str
    stream_id: str
    stream_version: int
    position: int
    recorded_at: datetime
    metadata: Metadata
    data: Event


class Page(msgspec.Struct, frozen=True):
    """One read of the log in position order: the events asked for and how far the read got.

    `position` is the last position the read passed over: the last event's, or further when
    the read skipped events of types not asked for (a consumer's checkpoint moves there all
    the same). `read` counts what it passed over — events, skipped ones included, or for a
    read of some types the positions (with the gaps rolled-back appends leave); a read that
    stopped at its limit may have more to give at once, one that read 0 is at the head."""

    events: list[RecordedEvent]
    position: int
    read: int


class AppendResult(msgspec.Struct, frozen=True):
    """Where an append landed: one position and one stream version per event, in order."""

    stream_id: str
    positions: list[int]
    first_version: int
    last_version: int

    @property
    def position(self) -> int:
        """The last position written: read models that reached it show this append."""
        return self.positions[-1]
