"""What every command handler is given: the store, the aggregate repository, the clock, the
instance's registration policy, and the metadata each appended event carries."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.commands.repository import Decision, Repository, execute
from server.domain.members import RegistrationPolicy
from server.events import AppendResult, Metadata
from server.events.store import EventStore


def _now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Commands:
    store: EventStore
    repo: Repository
    registration: RegistrationPolicy = RegistrationPolicy.OPEN
    clock: Callable[[], datetime] = field(default=_now)

    @classmethod
    def over(cls, store: EventStore, **options: object) -> Commands:
        return cls(store, Repository(store), **options)  # type: ignore[arg-type]

    async def run(
        self,
        decide: Callable[[], Awaitable[Decision]],
        *,
        actor: str | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> list[AppendResult]:
        """Decide and append (retrying on concurrent change); see `repository.execute`."""
        metadata = Metadata(actor=actor, correlation_id=correlation_id)
        results = await execute(self.store, decide, metadata=metadata)
        self.repo.forget([r.stream_id for r in results])
        return results
