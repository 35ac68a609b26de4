"""Learnwork's event types, one module per area, and the registry the application uses.

Rules (events are permanent): a tag is never renamed or reused; a new field gets a default; any
other change bumps `schema_version` and adds an upcaster to `UPCASTERS`. Run `learnwork schemas`
after a change: `schemas/events/` is checked against these types by the test suite.
"""

from __future__ import annotations

from server.events.registry import EventRegistry, Upcaster
from server.events.types import (
    artefacts,
    auth,
    communities,
    endorsements,
    federation,
    members,
    paths,
    posts,
    remote,
    webhooks,
)
from server.events.types.members import MemberRegistered

AREAS = (
    members,
    auth,
    communities,
    posts,
    artefacts,
    paths,
    endorsements,
    webhooks,
    federation,
    remote,
)

UPCASTERS: dict[tuple[str, int], Upcaster] = {}

REGISTRY = EventRegistry([t for area in AREAS for t in area.TYPES], UPCASTERS)

PRIVATE_TYPES = frozenset(
    t.__struct_config__.tag
    for t in [*auth.TYPES, members.PasswordSet, *webhooks.TYPES, federation.ActorKeysCreated]
)
"""Event types that hold credentials or what guards them (webhooks' secret salts, actors' sealed
private keys): never streamed to developers nor federated."""

__all__ = ["PRIVATE_TYPES", "REGISTRY", "UPCASTERS", "MemberRegistered"]
