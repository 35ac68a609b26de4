"""Profiles, kept in memory (`PageCache`), dropped as soon as the log says they changed.

A profile is read far more often than it changes, and reading one takes eight queries
(server/projections/profile.py). Who reads it matters only through the members-only
communities the profile shows something of: a reader who belongs to some of them, or an admin,
sees more; the member sees their own progress even where they do not share it. So a profile is
kept once per *view* — the member themselves, an admin, or which of those communities the
reader belongs to (most readers: none) — and readers of one view share it.

Three kinds of page, each dropped by the events that name what it depends on:

- `("member", key)`: the active member a handle or id names, and the members-only communities
  their profile can show something of: where they are a member, have artefacts, or are
  enrolled in a path. Nothing gets into one of those without an event naming the member, and a
  community that becomes members-only drops every page (`DROP_ALL`).
- `("reader", id)`: whether a reader is an admin, and the communities they belong to.
- `("profile", member id, view)`: the profile as JSON. It is read in one snapshot together
  with the view it shows, and kept only under that view: a member or reader page that an event
  has made stale, but the cache has not dropped yet, cannot file a profile under the wrong view.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
import msgspec

from server.events.store import EventStore
from server.projections.members import get_member
from server.projections.page_cache import PageCache
from server.projections.profile import ProfileView, get_profile
from server.projections.runner import Projection

PROFILE_TABLES = frozenset(
    {
        "members",
        "endorsements",
        "communities",
        "community_members",
        "enrollments",
        "enrollment_steps",
        "paths",
        "path_steps",
        "artefacts",
    }
)
"""The read models a profile is read from (server/projections/profile.py)."""

View = tuple[str, ...]
"""Whom a profile is shown to: `SELF`, `ADMIN`, or the members-only communities of the profile
the reader belongs to (sorted ids; `()` for anyone else, signed in or not)."""
SELF: View = ("self",)
ADMIN: View = ("admin",)

_MEMBERS_ONLY = """
SELECT c.id::text FROM communities c
 WHERE c.visibility <> 'public' AND c.id IN (
       SELECT community_id FROM community_members WHERE member_id = $1::uuid
        UNION ALL SELECT community_id FROM artefacts WHERE author_id = $1::uuid
        UNION ALL SELECT p.community_id FROM enrollments e JOIN paths p ON p.id = e.path_id
                   WHERE e.member_id = $1::uuid)
"""

_READER = """
SELECT coalesce((SELECT admin AND status = 'active' FROM members WHERE id = $1::uuid), false),
       ARRAY(SELECT community_id::text FROM community_members WHERE member_id = $1::uuid)
"""


class ProfileCache(PageCache):
    def __init__(self, store: EventStore, projections: Iterable[Projection], capacity: int) -> None:
        super().__init__(store, projections, PROFILE_TABLES, capacity, "profile-cache")

    async def profile(self, key: str, reader: str | None, at_least: int = 0) -> bytes | None:
        """The profile of the active member `key` names (handle or id) as JSON, as `reader`
        (None: anonymous) may see it, showing every event up to `at_least`; None: no such
        member."""
        if not self.enabled:
            async with self._store.pool.acquire() as conn:
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    member = await get_member(conn, key)
                    if member is None:
                        return None
                    return msgspec.json.encode(await get_profile(conn, member, reader))
        found = self.get(("member", key), at_least) or await self._read_member(key)
        if found is None:
            return None
        member_id, members_only = found
        view = await self._view(member_id, members_only, reader, at_least)
        body = self.get(("profile", member_id, view), at_least)
        if body is None:
            body = await self._read_profile(member_id, reader, view)
        return body

    async def _view(
        self, member_id: str, members_only: frozenset[str], reader: str | None, at_least: int
    ) -> View:
        if reader is None:
            return ()
        if reader == member_id:
            return SELF
        admin, communities = self.get(("reader", reader), at_least) or await self._read_reader(
            reader
        )
        return ADMIN if admin else tuple(sorted(members_only & communities))

    async def _read_member(self, key: str) -> tuple[str, frozenset[str]] | None:
        async with self._store.pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                position = await self.read_position(conn)
                member = await get_member(conn, key)
                if member is None:
                    return None
                members_only = await _members_only(conn, member.id)
        found = (member.id, members_only)
        self.keep(("member", key), found, position, frozenset({member.id}))
        return found

    async def _read_reader(self, reader: str) -> tuple[bool, frozenset[str]]:
        async with self._store.pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                position = await self.read_position(conn)
                admin, communities = await conn.fetchrow(_READER, reader)
        found = (admin, frozenset(communities))
        self.keep(("reader", reader), found, position, frozenset({reader}))
        return found

    async def _read_profile(self, member_id: str, reader: str | None, view: View) -> bytes | None:
        async with self._store.pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                position = await self.read_position(conn)
                member = await get_member(conn, member_id)
                if member is None:  # suspended since its member page was read
                    return None
                profile = await get_profile(conn, member, reader)
                seen_as = await _view_now(conn, member_id, reader)
                artefacts = await conn.fetch(
                    "SELECT id::text FROM artefacts WHERE author_id = $1::uuid", member_id
                )
        body = msgspec.json.encode(profile)
        if seen_as == view:
            # Every artefact of theirs, shown or not: deleting one changes the count.
            shown = {member_id, *(r[0] for r in artefacts), *_shown(profile)}
            self.keep(("profile", member_id, view), body, position, frozenset(shown))
        return body


async def _members_only(conn: asyncpg.Connection, member_id: str) -> frozenset[str]:
    return frozenset(r[0] for r in await conn.fetch(_MEMBERS_ONLY, member_id))


async def _view_now(conn: asyncpg.Connection, member_id: str, reader: str | None) -> View:
    """`reader`'s view of `member_id`'s profile in `conn`'s snapshot."""
    if reader is None:
        return ()
    if reader == member_id:
        return SELF
    admin, communities = await conn.fetchrow(_READER, reader)
    if admin:
        return ADMIN
    return tuple(sorted(await _members_only(conn, member_id) & set(communities)))


def _shown(profile: ProfileView) -> Iterable[str]:
    for skill in profile.skills:
        yield from (endorser.id for endorser in skill.endorsers)
    yield from (c.community_id for c in profile.communities)
    for progress in (*profile.learning, *profile.completed_paths):
        yield progress.path_id
        yield progress.community_id
    yield from (a.id for a in profile.recent_artefacts)
