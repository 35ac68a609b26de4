"""How the inbox says no: a problem (RFC 9457) raised from wherever the refusal is decided,
answered as it stands, with nothing written."""

from __future__ import annotations

from typing import Any

from server.problems import problem


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.response = problem(status, title, detail, **extensions)


def malformed(field: str, detail: str) -> Refused:
    """A 400 naming the field at fault."""
    return Refused(400, "Bad Request", detail, errors=[{"field": field, "detail": detail}])
