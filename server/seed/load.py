"""The seed's writer: every event checked exactly as `EventStore.append_all` checks it, then
written with COPY, many thousands of events per transaction.

Appending command by command, each one a durable commit, runs at ~2,000 appends a second
(docs/benchmarks.md, (a)): the seed's commands depend on each other, so group commit would not
gather them, and a million events would take many minutes. COPY goes into the same table with
the same constraints and triggers (the commit-order lock is taken once per COPY). An append
is never split between two transactions, so a seed stopped half-way leaves whole commands.

Positions are the identity column's, in the order the rows are sent, so `recorded_at` (given by
the world's timeline) rises with them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

import asyncpg

from server.events import Metadata, NewEvent
from server.events.store import EventStore
from server.seed.ledger import Append

COLUMNS = (
    "event_id", "stream_id", "stream_version", "type", "schema_version", "data",
    "actor", "causation_id", "correlation_id", "recorded_at",
)  # fmt: skip
BATCH_EVENTS = 10_000
"""Events per COPY (one transaction each)."""

Record = tuple[object, ...]


class BulkLoader:
    def __init__(
        self, store: EventStore, conn: asyncpg.Connection, batch_events: int = BATCH_EVENTS
    ) -> None:
        """`store` validates (it is never started: nothing goes through its writers); `conn`
        writes, and must encode jsonb as `server.db.connect` does (raw JSON bytes)."""
        self._store = store
        self._conn = conn
        self._batch_events = batch_events
        self.written = 0
        self.types: Counter[str] = Counter()

    async def write(
        self, appends: Iterable[Append], on_batch: Callable[[int], None] = lambda _: None
    ) -> None:
        """Validate and write every append; `on_batch(events written so far)` after each
        COPY."""
        batch: list[Record] = []
        for append in appends:
            batch.extend(self.records(append))
            if len(batch) >= self._batch_events:
                await self._copy(batch)
                on_batch(self.written)
                batch = []
        if batch:
            await self._copy(batch)
            on_batch(self.written)

    def records(self, append: Append) -> list[Record]:
        """The append's rows for COPY, each event validated and encoded by the store (raises
        as `append_all` would: InvalidAppend, EventTooLarge, …)."""
        # As `server.commands.repository.execute` wraps a decision's events.
        metadata = Metadata(actor=append.actor)
        times = iter(append.recorded_at)
        rows: list[Record] = []
        for index, (part, first) in enumerate(
            zip(append.parts, append.first_versions, strict=True)
        ):
            events = [NewEvent(event, metadata=metadata) for event in part.events]
            checked = self._store.prepare(
                part.stream_id, events, part.expected_version, f"appends[{index}]."
            )
            for offset, row in enumerate(checked.rows):
                rows.append(
                    (row.id, part.stream_id, first + offset, row.type, row.schema_version,
                     row.data, row.actor, row.causation_id, row.correlation_id, next(times))
                )  # fmt: skip
                self.types[row.type] += 1
        return rows

    async def _copy(self, batch: list[Record]) -> None:
        # One statement, so one transaction: all of the batch is written, or none of it.
        await self._conn.copy_records_to_table("events", records=batch, columns=COLUMNS)
        self.written += len(batch)
