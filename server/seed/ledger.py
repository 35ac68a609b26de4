"""The seed's memory of the log it is writing: every stream's version and, for an aggregate's
stream, its state folded with the aggregate's own `evolve`.

It stands in for `server.commands.repository` (which reads the log): the seed decides on these
states exactly as a command decides on loaded ones, and `commit` checks each append's expected
version the way the store does. A mismatch is a bug in the generator, never something to
retry, so it raises. Nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from server.commands.aggregates import (
    ARTEFACTS,
    COMMUNITIES,
    ENDORSEMENTS,
    ENROLLMENTS,
    MEMBERS,
    PATHS,
    POSTS,
)
from server.commands.repository import Aggregate, Loaded
from server.events import ANY, NO_STREAM, StreamAppend, WrongExpectedVersion

S = TypeVar("S")

SEEDED_AGGREGATES = (MEMBERS, COMMUNITIES, POSTS, ARTEFACTS, PATHS, ENROLLMENTS, ENDORSEMENTS)


@dataclass(slots=True)
class Append:
    """One command's outcome, as `EventStore.append_all` would take it: events per stream with
    the versions they were decided on, the acting member, and when each event happened."""

    actor: str | None
    parts: list[StreamAppend]
    first_versions: list[int]
    """The stream version of each part's first event."""
    recorded_at: list[datetime] = field(default_factory=list)
    """One time per event, in order over the parts (set by the world's timeline)."""

    @property
    def size(self) -> int:
        return sum(len(part.events) for part in self.parts)


class Ledger:
    def __init__(self, aggregates: Iterable[Aggregate[Any]] = SEEDED_AGGREGATES) -> None:
        self._aggregates = {aggregate.prefix: aggregate for aggregate in aggregates}
        self._versions: dict[str, int] = {}
        self._states: dict[str, Any] = {}

    def load(self, aggregate: Aggregate[S], entity_id: str) -> Loaded[S]:
        """The entity's state and version, as `Repository.load` would read them."""
        stream_id = aggregate.stream(entity_id)
        version = self._versions.get(stream_id, 0)
        if not version:
            return Loaded(aggregate.initial(entity_id), 0)
        return Loaded(self._states[stream_id], version)

    def state(self, aggregate: Aggregate[S], entity_id: str) -> S:
        return self.load(aggregate, entity_id).state

    def exists(self, stream_id: str) -> bool:
        return stream_id in self._versions

    def commit(self, actor: str | None, appends: Sequence[StreamAppend]) -> Append | None:
        """Record a command's appends (all or nothing, like `append_all`) and fold their events
        into the states; None when the command decided to change nothing."""
        parts = [append for append in appends if append.events]
        if not parts:
            return None
        first_versions = self._check(parts)
        for part in parts:
            self._fold(part)
        return Append(actor, parts, first_versions)

    def _check(self, parts: list[StreamAppend]) -> list[int]:
        moved: dict[str, int] = {}
        first_versions = []
        for part in parts:
            current = moved.get(part.stream_id, self._versions.get(part.stream_id, 0))
            expected = part.expected_version
            if not (
                expected == ANY
                or (expected == NO_STREAM and current == 0)
                or (isinstance(expected, int) and expected == current)
            ):
                raise WrongExpectedVersion(part.stream_id, expected, current)
            first_versions.append(current + 1)
            moved[part.stream_id] = current + len(part.events)
        return first_versions

    def _fold(self, part: StreamAppend) -> None:
        stream_id = part.stream_id
        prefix, _, entity_id = stream_id.partition("-")
        aggregate = self._aggregates.get(prefix)
        version = self._versions.get(stream_id, 0)
        if aggregate is not None:
            state = self._states[stream_id] if version else aggregate.initial(entity_id)
            for event in part.events:
                state = aggregate.evolve(state, event)
            self._states[stream_id] = state
        self._versions[stream_id] = version + len(part.events)
