"""Events of the artefacts area (filled in by the issue-3 work on this area)."""

from __future__ import annotations

from server.events.registry import Event

TYPES: list[type[Event]] = []
