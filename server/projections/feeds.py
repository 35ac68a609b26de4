"""Feeds, read from the activities read model (fan-out on read; docs/feeds.md says why).

- **Home feed** of a member: the activities of the members they follow, their own, and those
  in the communities they belong to — newest first.
- **Community feed**: the activities in one community, newest first.

Every item is served only where the reader may see it: its community is visible to them, its
actor (and an endorsed member) is not suspended. Each carries what a client shows: the post
as HTML, an artefact's or path's title and summary, the endorsed member and skill.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.remote_objects import RemoteObjectView, community_items, feed_items
from server.projections.visibility import author_active, community_visible, progress_shared


class PlaceView(msgspec.Struct, kw_only=True):
    id: str
    slug: str
    name: str


class FeedPostView(msgspec.Struct, kw_only=True):
    id: str
    html: str
    in_reply_to: str | None
    thread_id: str
    replies_count: int
    likes_count: int


class FeedWorkView(msgspec.Struct, kw_only=True):
    """An artefact or a learning path."""

    id: str
    title: str
    summary: str


class FeedEndorsementView(msgspec.Struct, kw_only=True):
    member_id: str
    handle: str
    display_name: str
    skill: str


class ActivityView(msgspec.Struct, kw_only=True):
    kind: str
    """`post`, `artefact`, `path_published`, `path_completed` or `endorsement`; or, from
    another server, `remote_post`, `remote_artefact` or `remote_path`."""
    at: datetime
    position: int
    actor: MemberView | None
    """Who posted, published, completed or endorsed; None for what came from another server
    (its author is `remote.author`)."""
    community: PlaceView | None = None
    post: FeedPostView | None = None
    artefact: FeedWorkView | None = None
    path: FeedWorkView | None = None
    endorsement: FeedEndorsementView | None = None
    remote: RemoteObjectView | None = None
    """What came from another server: a post, artefact or path by, or shared by, a remote
    actor the reader follows."""


# The columns of an activity `a` and what it is about, for `_view`; `$1` is the reader.
_SELECT = f"""
SELECT a.kind, a.at, a.position, {MEMBER_COLUMNS},
       c.id::text, c.slug, c.name,
       p.id::text, p.html, p.in_reply_to::text, p.thread_id::text, p.replies_count, p.likes_count,
       ar.id::text, ar.title, ar.summary,
       pa.id::text, pa.title, pa.summary,
       t.id::text, t.handle, t.display_name, a.skill
  FROM {{source}}
  JOIN members m ON m.id = a.actor_id
  LEFT JOIN communities c ON c.id = a.community_id
  LEFT JOIN posts p ON p.id = a.post_id
  LEFT JOIN artefacts ar ON ar.id = a.artefact_id
  LEFT JOIN paths pa ON pa.id = a.path_id
  LEFT JOIN members t ON t.id = a.target_id
 ORDER BY a.position DESC LIMIT $3
"""

_SERVED = (
    f"{community_visible('a.community_id', '$1::uuid')} AND {author_active('a.actor_id')}"
    f" AND (a.target_id IS NULL OR {author_active('a.target_id')})"
    f" AND (a.kind <> 'path_completed' OR {progress_shared('a.actor_id', '$1::uuid')})"
)

# Home: the newest served activities of each source — each followed member, the reader, each
# community they belong to — at most $3 from each (one short index scan apiece), then the
# newest $3 of those. The work is bounded by the sources, not by how much happened.
_HOME = _SELECT.format(
    source=f"""(
    SELECT DISTINCT ON (a.position) a.* FROM (
        SELECT a.* FROM (SELECT followee AS actor_id FROM member_follows WHERE follower = $1::uuid
                         UNION SELECT $1::uuid) s
        CROSS JOIN LATERAL (
            SELECT a.* FROM activities a WHERE a.actor_id = s.actor_id AND a.position < $2
               AND {_SERVED} ORDER BY a.position DESC LIMIT $3) a
        UNION ALL
        SELECT a.* FROM community_members s
        CROSS JOIN LATERAL (
            SELECT a.* FROM activities a WHERE a.community_id = s.community_id
               AND a.position < $2 AND {_SERVED} ORDER BY a.position DESC LIMIT $3) a
         WHERE s.member_id = $1::uuid) a
     ORDER BY a.position DESC LIMIT $3) a"""
)

_COMMUNITY = _SELECT.format(
    source=f"""(
    SELECT a.* FROM activities a WHERE a.community_id = $4::uuid AND a.position < $2
       AND {_SERVED} ORDER BY a.position DESC LIMIT $3) a"""
)


def _view(r: asyncpg.Record) -> ActivityView:
    at = 14  # the first column after the actor's
    place, post, artefact, path, endorsed = (
        r[at : at + 3],
        r[at + 3 : at + 9],
        r[at + 9 : at + 12],
        r[at + 12 : at + 15],
        r[at + 15 : at + 19],
    )
    return ActivityView(
        kind=r[0],
        at=r[1],
        position=r[2],
        actor=member_view(r[3:at]),
        community=PlaceView(id=place[0], slug=place[1], name=place[2]) if place[0] else None,
        post=FeedPostView(
            id=post[0],
            html=post[1],
            in_reply_to=post[2],
            thread_id=post[3],
            replies_count=post[4],
            likes_count=post[5],
        )
        if post[0]
        else None,
        artefact=FeedWorkView(id=artefact[0], title=artefact[1], summary=artefact[2])
        if artefact[0]
        else None,
        path=FeedWorkView(id=path[0], title=path[1], summary=path[2]) if path[0] else None,
        endorsement=FeedEndorsementView(
            member_id=endorsed[0], handle=endorsed[1], display_name=endorsed[2], skill=endorsed[3]
        )
        if endorsed[0]
        else None,
    )


async def home_feed(
    conn: asyncpg.Connection, member_id: str, cursor: str | None, limit: int
) -> Page[ActivityView]:
    """`member_id`'s home feed, as they may see it, newest first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(_HOME, member_id, before, limit + 1)
    remote = await feed_items(conn, member_id, before, limit + 1)
    return _merged(rows, remote, limit)


def _merged(
    rows: list[asyncpg.Record], remote: list[tuple[int, RemoteObjectView]], limit: int
) -> Page[ActivityView]:
    """A page of our activities and remote items together, by log position, newest first."""
    items = [_view(r) for r in rows] + [_remote_view(at, item) for at, item in remote]
    items.sort(key=lambda item: item.position, reverse=True)
    return page(items, limit, lambda item: item, lambda item: (item.position,))


def _remote_view(position: int, item: RemoteObjectView) -> ActivityView:
    return ActivityView(
        kind=f"remote_{item.kind}",
        at=item.published,
        position=position,
        actor=None,
        remote=item,
    )


async def community_feed(
    conn: asyncpg.Connection, community_id: str, viewer: str | None, cursor: str | None, limit: int
) -> Page[ActivityView]:
    """What happened in the community, as `viewer` may see it, newest first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(_COMMUNITY, viewer, before, limit + 1, community_id)
    remote = await community_items(conn, community_id, before, limit + 1)
    return _merged(rows, remote, limit)
