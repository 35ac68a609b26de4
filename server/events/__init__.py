"""The event log: event types, the envelope, and the PostgreSQL store.

Import the store from `server.events.store`; this package's top level holds only what the pure
domain may use (types, the envelope, errors), so importing it never loads asyncpg.
"""

from server.events.envelope import (
    ANY,
    NO_STREAM,
    AppendResult,
    Metadata,
    NewEvent,
    Page,
    RecordedEvent,
    StreamAppend,
)
from server.events.errors import (
    EventStoreError,
    EventTooLarge,
    IdempotencyConflict,
    InvalidAppend,
    InvalidEventPayload,
    InvalidStreamId,
    UnknownEventType,
    WrongExpectedVersion,
)
from server.events.registry import Event, EventRegistry

__all__ = [
    "ANY",
    "NO_STREAM",
    "AppendResult",
    "Event",
    "EventRegistry",
    "EventStoreError",
    "EventTooLarge",
    "IdempotencyConflict",
    "InvalidAppend",
    "InvalidEventPayload",
    "InvalidStreamId",
    "Metadata",
    "NewEvent",
    "Page",
    "RecordedEvent",
    "StreamAppend",
    "UnknownEventType",
    "WrongExpectedVersion",
]
