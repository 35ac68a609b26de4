"""An event as developers get it, in event streams and webhook deliveries alike: a CloudEvents
1.0 JSON envelope (docs/streams.md), whose `id` is the event's log position."""

from __future__ import annotations

import msgspec

from server.api.event_filters import TYPE_PREFIX
from server.events import RecordedEvent


def envelope(event: RecordedEvent, source: str) -> bytes:
    """`event`'s envelope; `source` is the instance's base URL."""
    return msgspec.json.encode(
        {
            "specversion": "1.0",
            "id": str(event.position),
            "source": source,
            "type": TYPE_PREFIX + event.type,
            "time": event.recorded_at,
            "subject": event.stream_id,
            "datacontenttype": "application/json",
            "data": event.data,
        }
    )
