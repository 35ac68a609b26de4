"""Figures about the whole instance, as NodeInfo publishes them (server/federation/nodeinfo.py)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True, slots=True)
class Usage:
    users: int
    """Active members."""
    active_month: int
    """Members who did something (posted, endorsed, followed, learned…) in the last 30 days."""
    active_halfyear: int
    """…in the last 180 days."""
    local_posts: int
    """Posts and replies not deleted or removed."""


async def usage(conn: asyncpg.Connection) -> Usage:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM members WHERE status = 'active'),"
        " (SELECT count(DISTINCT actor_id) FROM activities WHERE at > now() - interval '30 days'),"
        " (SELECT count(DISTINCT actor_id) FROM activities"
        "   WHERE at > now() - interval '180 days'),"
        " (SELECT count(*) FROM posts WHERE status = 'published')"
    )
    assert row is not None
    return Usage(*row)
