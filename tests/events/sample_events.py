"""Event types for testing the store itself, independent of the domain's types."""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec

from server.events.registry import Event, EventRegistry


class Noted(Event, frozen=True, tag="test.noted"):
    text: str
    count: Annotated[int, msgspec.Meta(ge=0)] = 0


class RenamedV1(Event, frozen=True, tag="test.renamed"):
    """Version 1 of `test.renamed`: one free-text name."""

    name: str


class RenamedV2(Event, frozen=True, tag="test.renamed"):
    """Version 2: the name split in two. Old events are upcast by `split_name`."""

    schema_version: ClassVar[int] = 2
    given: str
    family: str


class Unregistered(Event, frozen=True, tag="test.unregistered"):
    text: str


def split_name(payload: dict) -> dict:
    given, _, family = payload.pop("name").partition(" ")
    return {**payload, "given": given, "family": family}


SAMPLE_REGISTRY = EventRegistry([Noted, RenamedV2], {("test.renamed", 1): split_name})
V1_REGISTRY = EventRegistry([Noted, RenamedV1])
