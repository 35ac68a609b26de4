"""Why a command was refused. The API maps each class to its HTTP status; the domain never
knows about HTTP, only about what went wrong and which field of the command is at fault."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    kind: ClassVar[str]

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    """The target does not exist — or the actor may not know it exists (members-only)."""

    kind = "not_found"


class Forbidden(DomainError):
    """The actor can see the target but may not do this to it."""

    kind = "forbidden"


class Conflict(DomainError):
    """The target's current state does not allow it (already taken, already done, last owner)."""

    kind = "conflict"


class Invalid(DomainError):
    """The command is well-formed but makes no sense (e.g. endorsing oneself); names a field."""

    kind = "invalid"
