"""A read model for testing the runner: one row per `test.noted` event applied."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.projections.runner import Projection

NOTES_TABLE = "CREATE TABLE IF NOT EXISTS test_notes (position bigint NOT NULL, text text)"


class Notes(Projection):
    name = "test_notes"
    tables = ("test_notes",)
    event_types = frozenset({"test.noted"})

    def __init__(self, *, poison: str | None = None, delay_per_event: float = 0.0) -> None:
        self.poison = poison
        self.delay_per_event = delay_per_event

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            if event.data.text == self.poison:
                raise ValueError(f"cannot take {event.data.text!r}")
            if self.delay_per_event:
                await asyncio.sleep(self.delay_per_event)
        await conn.executemany(
            "INSERT INTO test_notes (position, text) VALUES ($1, $2)",
            [(e.position, e.data.text) for e in events],
        )
