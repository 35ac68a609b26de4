"""What can go wrong with an append. Bad input is refused before anything is queued or written;
each refusal names the field at fault, so the API can answer with RFC 9457 field details."""

from __future__ import annotations

import uuid


class EventStoreError(Exception):
    pass


class InvalidAppend(EventStoreError, ValueError):
    """The append was malformed; nothing was written. `field` is a JSON-path-like pointer."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidStreamId(InvalidAppend):
    pass


class UnknownEventType(InvalidAppend):
    pass


class InvalidEventPayload(InvalidAppend):
    pass


class EventTooLarge(InvalidAppend):
    def __init__(self, field: str, size: int, limit: int) -> None:
        super().__init__(field, f"payload is {size} bytes, over the limit of {limit}")
        self.size = size
        self.limit = limit


class WrongExpectedVersion(EventStoreError):
    """Optimistic concurrency conflict: the stream moved on. Nothing of this append was written."""

    def __init__(self, stream_id: str, expected: int | str, actual: int) -> None:
        super().__init__(f"stream {stream_id!r} is at version {actual}, expected {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class IdempotencyConflict(EventStoreError):
    """Some event ids of this append are already stored, but not as this same append (another
    stream, or only part of the events): a retry must resend exactly what it sent first."""

    def __init__(self, stream_id: str, event_ids: list[uuid.UUID]) -> None:
        ids = ", ".join(str(i) for i in event_ids)
        super().__init__(
            f"event ids already used by a different append than this one to {stream_id!r}: {ids}"
        )
        self.stream_id = stream_id
        self.event_ids = event_ids
