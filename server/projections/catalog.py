"""Every read model the server keeps, in one list (the app runs them; rebuild tools find them
here)."""

from __future__ import annotations

from server.projections.members import MembersProjection
from server.projections.runner import Projection


def all_projections() -> list[Projection]:
    return [MembersProjection()]
