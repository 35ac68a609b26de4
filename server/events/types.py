"""Learnwork's event types and the registry the application writes and reads with.

Rules (events are permanent): a tag is never renamed or reused; a new field gets a default; any
other change bumps `schema_version` and adds an upcaster to `UPCASTERS`. Run `learnwork schemas`
after a change: `schemas/events/` is checked against these types by the test suite.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.events.registry import Event, EventRegistry

Handle = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,30}$")]
ShortText = Annotated[str, msgspec.Meta(max_length=200)]


class MemberRegistered(Event, frozen=True, tag="member.registered"):
    """A person became a member of this instance. Stream: `member-<uuid>`."""

    handle: Handle
    display_name: ShortText


TYPES: list[type[Event]] = [MemberRegistered]
UPCASTERS: dict = {}

REGISTRY = EventRegistry(TYPES, UPCASTERS)
