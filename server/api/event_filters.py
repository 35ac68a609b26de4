"""What a developer may ask of the event log — by event type (areas with `.*`), and by the
community, member or path an event names — and which event types no developer ever gets.
Event streams and webhooks filter the same way (docs/streams.md)."""

from __future__ import annotations

from dataclasses import dataclass

from server.api.routing import field_problem
from server.events import RecordedEvent
from server.events.types import PRIVATE_TYPES, REGISTRY
from server.projections.page_cache import named_ids

STREAMED = frozenset(REGISTRY.types) - PRIVATE_TYPES
"""What a stream or webhook may carry: no event that holds a credential or guards one."""
AREAS = frozenset(t.partition(".")[0] for t in STREAMED)
"""What a type filter may end in `.*` after: `post.*`, `community.*`, …"""

TYPE_PREFIX = "org.learnwork."
"""CloudEvents `type` is this followed by the event type (`org.learnwork.post.published`)."""


@dataclass(frozen=True, slots=True)
class EventFilter:
    types: frozenset[str] = STREAMED
    ids: frozenset[str] = frozenset()
    """The community, member or path ids of which an event must name one (none: any event)."""

    def matches(self, event: RecordedEvent) -> bool:
        return event.type in self.types and (
            not self.ids or not self.ids.isdisjoint(named_ids(event))
        )


def parse_types(text: str | None, field: str = "types", status: int = 400) -> frozenset[str]:
    """Comma-separated event types, areas as `post.*`, or `*`; none: every type streamed. An
    unknown one is a problem with `status` (400 in a query, 422 in a body) naming `field`."""
    if not text:
        return STREAMED
    return frozenset().union(*(_one_type(p.strip(), field, status) for p in text.split(",")))


def _one_type(pattern: str, field: str, status: int) -> frozenset[str]:
    if pattern == "*":
        return STREAMED
    if pattern.endswith(".*") and pattern[:-2] in AREAS:
        return frozenset(t for t in STREAMED if t.partition(".")[0] == pattern[:-2])
    if pattern in STREAMED:
        return frozenset((pattern,))
    known = ", ".join(sorted(f"{a}.*" for a in AREAS))
    title = "Bad Request" if status == 400 else "Unprocessable Content"
    raise field_problem(status, title, field, f"no such event type {pattern!r} (areas: {known})")
