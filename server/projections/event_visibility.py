"""Which events of the log a member may see in an event stream (docs/streams.md), decided from
the read models as they stand — so the read models must have reached the events first.

- What happens in a members-only community — its posts, their likes and replies, its
  artefacts, paths and learners' progress, joins and library — only for its members.
- A learner's progress (enrolling, steps, completing, leaving) only for the learner, unless they
  share it (docs/paths.md).
- A draft path's events only for its creator (once published, its history is the path's).
- Admin decisions about members (approval, rejection, suspension and its end) and pending
  registrations: admins only.
- Moderation of a community (requests to join, invitations, removals, bans, roles): admins and
  the member it concerns.

Admins see every event (but secrets, which no stream carries). An event whose place cannot be
told (its post or artefact unknown to the read models) is not shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from server.events import RecordedEvent
from server.events.types.artefacts import ArtefactCreated
from server.events.types.communities import (
    InvitationRevoked,
    JoinApproved,
    JoinRejected,
    JoinRequested,
    JoinWithdrawn,
    MemberBanned,
    MemberInvited,
    MemberRemoved,
    MemberUnbanned,
    RoleChanged,
    SlugClaimed,
)
from server.events.types.endorsements import EndorsementGiven, EndorsementWithdrawn
from server.events.types.members import (
    MemberApproved,
    MemberRegistered,
    MemberRejected,
    MemberSuspended,
    MemberUnsuspended,
)
from server.events.types.paths import Enrolled, EnrollmentLeft, PathCompleted, StepCompleted
from server.events.types.posts import PostPublished
from server.projections.runner import tags

ADMINS_ONLY = tags(MemberApproved, MemberRejected, MemberSuspended, MemberUnsuspended)
CONCERNED = tags(
    JoinRequested,
    JoinApproved,
    JoinRejected,
    JoinWithdrawn,
    MemberInvited,
    InvitationRevoked,
    MemberRemoved,
    MemberBanned,
    MemberUnbanned,
    RoleChanged,
)
"""Moderation: for admins and the member it concerns (`member_id`)."""
READ_MODELS = ("members", "communities", "posts", "artefacts", "paths")
"""The projections whose tables decide visibility: wait for these to reach a page."""
PROGRESS = tags(Enrolled, StepCompleted, PathCompleted, EnrollmentLeft)

_UNKNOWN = "?"
"""The place of an event whose post or artefact the read models do not know."""


@dataclass(slots=True)
class _Place:
    community: str | None = None  # None: nowhere in particular (a profile, a member)
    post: str | None = None
    artefact: str | None = None
    path: str | None = None
    learner: str | None = None


def _place(event: RecordedEvent) -> _Place | None:
    """Where `event` happens, as far as the event tells; None: admins only."""
    data = event.data
    kind, _, entity = event.stream_id.partition("-")
    if event.type in ADMINS_ONLY or (isinstance(data, MemberRegistered) and data.pending):
        return None
    if kind == "community":
        return _Place(community=entity)
    if isinstance(data, SlugClaimed):
        return _Place(community=data.community_id)
    if kind == "post":
        if isinstance(data, PostPublished):
            return _Place(community=data.community_id)
        return _Place(post=entity)
    if kind == "artefact":
        if isinstance(data, ArtefactCreated):
            return _Place(community=data.community_id)
        return _Place(artefact=entity)
    if kind == "path":
        return _Place(path=entity)
    if event.type in PROGRESS:
        return _Place(path=data.path_id, learner=data.member_id)  # type: ignore[attr-defined]
    if isinstance(data, EndorsementGiven | EndorsementWithdrawn) and data.kind == "artefact":
        return _Place(artefact=data.target_id)
    return _Place()


class Visibility:
    """Who of some viewers may see each of a page of events: the page's places and the facts
    about them are looked up once, whatever the number of viewers."""

    def __init__(
        self,
        places: list[_Place | None],
        paths: dict[str, tuple[str | None, str, str]],
        closed: set[str],
        sharing: set[str],
    ) -> None:
        self._places = places
        self._paths = paths
        self._closed = closed
        self._sharing = sharing
        self._viewers: set[str] = set()
        self._members: set[tuple[str, str]] = set()
        """(community, viewer) for the page's members-only communities and known viewers."""

    @classmethod
    async def of(cls, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> Visibility:
        """For `events`; then `know` the viewers (active members, not admins) to ask about."""
        places = [_place(e) for e in events]
        known = [p for p in places if p is not None]
        posts = await _lookup(conn, "posts", {p.post for p in known if p.post})
        artefacts = await _lookup(conn, "artefacts", {p.artefact for p in known if p.artefact})
        paths = {
            r[0]: (r[1], r[2], r[3])
            for r in await conn.fetch(
                "SELECT id::text, community_id::text, status, creator_id::text FROM paths"
                " WHERE id = ANY($1::uuid[])",
                list({p.path for p in known if p.path}),
            )
        }
        for place in known:
            if place.post:
                place.community = posts.get(place.post, _UNKNOWN)
            elif place.artefact:
                place.community = artefacts.get(place.artefact, _UNKNOWN)
        communities = {p.community for p in known if p.community}
        communities |= {c for c, _, _ in paths.values() if c}
        closed = {
            r[0]
            for r in await conn.fetch(
                "SELECT id::text FROM communities WHERE id = ANY($1::uuid[])"
                " AND visibility <> 'public'",
                list(communities - {_UNKNOWN}),
            )
        }
        learners = list({p.learner for p in known if p.learner})
        sharing: set[str] = set()
        if learners:
            rows = await conn.fetch(
                "SELECT id::text FROM members WHERE id = ANY($1::uuid[]) AND share_progress",
                learners,
            )
            sharing = {r[0] for r in rows}
        return cls(places, paths, closed, sharing)

    def knows(self, viewer: str) -> bool:
        return viewer in self._viewers

    async def know(self, conn: asyncpg.Connection, viewers: Iterable[str]) -> None:
        """Learn which of the page's members-only communities `viewers` belong to."""
        new = [v for v in viewers if v not in self._viewers]
        self._viewers.update(new)
        if self._closed and new:
            rows = await conn.fetch(
                "SELECT community_id::text, member_id::text FROM community_members"
                " WHERE community_id = ANY($1::uuid[]) AND member_id = ANY($2::uuid[])",
                list(self._closed),
                new,
            )
            self._members.update((r[0], r[1]) for r in rows)

    def may_see(self, index: int, event: RecordedEvent, viewer: str) -> bool:
        """Whether `viewer` (known) may see `event`, the page's `index`th."""
        place = self._places[index]
        if place is None:
            return False
        if event.type in CONCERNED:
            return event.data.member_id == viewer  # type: ignore[attr-defined]
        community = place.community
        if place.path is not None:
            found = self._paths.get(place.path)
            if found is None:
                return False
            community, status, creator = found
            if status == "draft" and creator != viewer:
                return False
        if (
            place.learner is not None
            and place.learner != viewer
            and place.learner not in self._sharing
        ):
            return False
        if community == _UNKNOWN:
            return False
        return community not in self._closed or (community, viewer) in self._members


async def _lookup(conn: asyncpg.Connection, table: str, ids: set[str]) -> dict[str, str | None]:
    """Each of `ids` in `table` (posts or artefacts) → its community (None: none)."""
    if not ids:
        return {}
    rows = await conn.fetch(
        f"SELECT id::text, community_id::text FROM {table} WHERE id = ANY($1::uuid[])", list(ids)
    )
    return {r[0]: r[1] for r in rows}
