"""The posts read model: posts and replies with their HTML, threads, likes; and the queries over
them.

HTML is rendered (and sanitised) here, when an event is applied, from the body as the author
wrote it. A deleted or removed post stays as a tombstone — status set, body and html emptied,
its likes dropped — so the thread it is in keeps its shape.

Every query takes the reading member (`viewer`, None when anonymous): a post in a members-only
community exists only for its members and instance admins, and a suspended member's posts are
not served at all.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import datetime

import asyncpg
import msgspec

from server.domain.rendering import render, render_all
from server.events import RecordedEvent
from server.events.types.posts import (
    PostDeleted,
    PostEdited,
    PostLiked,
    PostLikedRemotely,
    PostPublished,
    PostRemoved,
    PostUnliked,
    PostUnlikedRemotely,
)
from server.events.types.remote import RemoteObjectDeleted, RemoteObjectReceived
from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.remote_objects import (
    REMOTE_OBJECT_COLUMNS,
    RemoteObjectView,
    remote_object_view,
)
from server.projections.runner import Projection, apply_in_segments, tags
from server.projections.visibility import author_active, community_visible


class PostsProjection(Projection):
    name = "posts"
    tables = ("posts", "post_likes", "post_remote_likes", "post_remote_replies")
    event_types = tags(
        PostPublished,
        PostEdited,
        PostDeleted,
        PostRemoved,
        PostLiked,
        PostUnliked,
        PostLikedRemotely,
        PostUnlikedRemotely,
        RemoteObjectReceived,
        RemoteObjectDeleted,
    )

    def __init__(self) -> None:
        self._html: dict[int, str] = {}  # rendered ahead by `prepare`, by position

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # Publications and likes, nearly all of the traffic, are written a segment at a time:
        # every post of the segment in one COPY, then every like in one statement, then every
        # count they change in one more. That order is the log's wherever it matters (a post
        # comes before its likes and replies), and counts add up in any order. Any other event
        # closes the segment and is applied on its own.
        write = functools.partial(_write, html=self._render)
        apply_one = functools.partial(_apply, html=self._render)
        await apply_in_segments(conn, events, (PostPublished, PostLiked), write, apply_one)

    async def prepare(self, events: Sequence[RecordedEvent], helper: Executor) -> None:
        bodies = [e for e in events if isinstance(e.data, PostPublished | PostEdited)]
        texts = [(e.data.body, e.data.format) for e in bodies]  # type: ignore[attr-defined]
        html = await asyncio.get_running_loop().run_in_executor(helper, render_all, texts)
        self._html.update(zip((e.position for e in bodies), html, strict=True))

    def _render(self, event: RecordedEvent) -> str:
        html = self._html.pop(event.position, None)
        if html is None:
            data = event.data
            html = render(data.body, data.format)  # type: ignore[attr-defined]
        return html


Html = Callable[[RecordedEvent], str]
"""The HTML of a post's body as published or edited by an event."""


async def _write(conn: asyncpg.Connection, segment: list[RecordedEvent], html: Html) -> None:
    published = [e for e in segment if isinstance(e.data, PostPublished)]
    liked = [e for e in segment if isinstance(e.data, PostLiked)]
    likes: Counter[str] = Counter()
    replies = Counter(
        parent
        for event in published
        if (parent := event.data.in_reply_to) is not None  # type: ignore[attr-defined]
    )
    if published:
        await conn.copy_records_to_table(
            "posts", records=[_post_row(e, html) for e in published], columns=_POST_COLUMNS_WRITTEN
        )
    if liked:
        rows = await conn.fetch(
            _INSERT_LIKES,
            [e.stream_id.removeprefix("post-") for e in liked],
            [e.data.member_id for e in liked],  # type: ignore[attr-defined]
            [e.recorded_at for e in liked],
            [e.position for e in liked],
        )
        likes.update(dict(rows))
    if ids := sorted(likes.keys() | replies.keys()):
        await conn.executemany(_COUNT, [(i, likes[i], replies[i]) for i in ids])


_POST_COLUMNS_WRITTEN = [
    "id", "author_id", "community_id", "in_reply_to", "thread_id", "body", "format", "html",
    "status", "published_at", "position", "in_reply_to_remote", "group_remote",
]  # fmt: skip
"""New posts go in with one COPY (activities measured it: never slower than a pipelined
INSERT, a quarter faster for 200 rows)."""


# The likes not there yet go in (a like repeated is nothing new); how many each post gained.
_INSERT_LIKES = """
WITH new AS (
    INSERT INTO post_likes (post_id, member_id, liked_at, position)
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::bigint[])
    ON CONFLICT DO NOTHING RETURNING post_id)
SELECT post_id::text, count(*)::int FROM new GROUP BY post_id
"""
# By primary key, one pipelined statement per post: a plan that cannot turn into a scan of the
# table however small it was when the plan was made (a rebuild, a new instance).
_COUNT = (
    "UPDATE posts SET likes_count = likes_count + $2, replies_count = replies_count + $3"
    " WHERE id = $1"
)


def _post_row(event: RecordedEvent, html: Html) -> tuple[object, ...]:
    data = event.data
    assert isinstance(data, PostPublished)
    return (
        event.stream_id.removeprefix("post-"),
        data.author_id,
        data.community_id,
        data.in_reply_to,
        data.thread_id,
        data.body,
        data.format,
        html(event),
        "published",
        event.recorded_at,
        event.position,
        data.in_reply_to_remote,
        data.group_remote,
    )


async def _apply(conn: asyncpg.Connection, event: RecordedEvent, html: Html) -> None:
    post_id = event.stream_id.removeprefix("post-")
    data = event.data
    match data:
        case RemoteObjectReceived() | RemoteObjectDeleted():
            await _remote_reply(conn, event)
        case PostEdited():
            await conn.execute(
                "UPDATE posts SET body = $2, format = $3, html = $4, edited_at = $5"
                " WHERE id = $1 AND status = 'published'",
                post_id,
                data.body,
                data.format,
                html(event),
                event.recorded_at,
            )
        case PostDeleted() | PostRemoved():
            status = "deleted" if isinstance(data, PostDeleted) else "removed"
            row = await conn.fetchrow(
                "UPDATE posts SET status = $2, body = '', html = '', likes_count = 0"
                " WHERE id = $1 AND status = 'published' RETURNING in_reply_to::text",
                post_id,
                status,
            )
            await conn.execute("DELETE FROM post_likes WHERE post_id = $1", post_id)
            await conn.execute("DELETE FROM post_remote_likes WHERE post_id = $1", post_id)
            if row is not None and row[0] is not None:
                await _count_reply(conn, row[0], -1)
        case PostUnliked():
            deleted = await conn.fetchval(
                "DELETE FROM post_likes WHERE post_id = $1 AND member_id = $2 RETURNING 1",
                post_id,
                data.member_id,
            )
            if deleted:
                await _count_like(conn, post_id, -1)
        case PostLikedRemotely():
            added = await conn.fetchval(
                "INSERT INTO post_remote_likes (post_id, actor_id, like_id, liked_at, position)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
                post_id,
                data.actor_id,
                data.like_id,
                event.recorded_at,
                event.position,
            )
            if added:
                await _count_like(conn, post_id, 1)
        case PostUnlikedRemotely():
            deleted = await conn.fetchval(
                "DELETE FROM post_remote_likes WHERE post_id = $1 AND actor_id = $2"
                " AND like_id = $3 RETURNING 1",
                post_id,
                data.actor_id,
                data.like_id,
            )
            if deleted:
                await _count_like(conn, post_id, -1)


async def _remote_reply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    """A reply from another server to one of our posts joins its thread (a public one only:
    threads are read by anyone who may read the post); its deletion leaves a tombstone."""
    key = event.stream_id.removeprefix("remoteobject-")
    data = event.data
    if isinstance(data, RemoteObjectReceived):
        if data.reply_to_post is None or not data.public:
            return
        parent = await conn.fetchrow(
            "INSERT INTO post_remote_replies (object_key, post_id, thread_id, community_id,"
            " position) SELECT $1, p.id, p.thread_id, p.community_id, $3 FROM posts p"
            " WHERE p.id = $2 ON CONFLICT DO NOTHING RETURNING post_id::text",
            key,
            data.reply_to_post,
            event.position,
        )
        if parent is not None:
            await _count_reply(conn, parent[0], 1)
        return
    parent = await conn.fetchval(
        "UPDATE post_remote_replies SET deleted = true WHERE object_key = $1 AND NOT deleted"
        " RETURNING post_id::text",
        key,
    )
    if parent is not None:
        await _count_reply(conn, parent, -1)


async def _count_reply(conn: asyncpg.Connection, parent_id: str, by: int) -> None:
    await conn.execute(
        "UPDATE posts SET replies_count = replies_count + $2 WHERE id = $1", parent_id, by
    )


async def _count_like(conn: asyncpg.Connection, post_id: str, by: int) -> None:
    await conn.execute("UPDATE posts SET likes_count = likes_count + $2 WHERE id = $1", post_id, by)


# -- reading --------------------------------------------------------------------------------


class PostView(msgspec.Struct, kw_only=True):
    """A post, or in a thread also a reply from another server: then `author` is null, `remote`
    holds it as its server describes it (its author there), `body` is "" and `format` `html`."""

    id: str
    """For a reply from another server, our name for it (`remote.id`)."""
    author: MemberView | None
    """null for a reply from another server (see `remote`)."""
    community_id: str | None
    """null: the post is on its author's profile."""
    in_reply_to: str | None
    """The post this one replies to; null for the first post of a thread."""
    in_reply_to_remote: str | None
    group_remote: str | None = None
    """The group on another server it was written in (an ActivityPub id)."""
    """What it replies to on another server (an ActivityPub id): see `/api/v1/remote`."""
    thread_id: str
    """The first post of the thread (the post's own id unless it is a reply)."""
    body: str
    """As the author wrote it; "" once the post is deleted or removed."""
    format: str
    """`markdown` or `plain`: how `body` is written; `html` for a reply from another server
    (only its HTML is known)."""
    html: str
    """`body` rendered to sanitised HTML; "" once the post is deleted or removed."""
    status: str
    """`published`, or `deleted` (by its author, here or on its server) / `removed` (by a
    moderator): a tombstone."""
    published_at: datetime
    edited_at: datetime | None
    likes_count: int
    """Likes by members, and by actors on other servers."""
    replies_count: int
    """Direct replies that are neither deleted nor removed, those from other servers too."""
    liked_by_viewer: bool
    remote: RemoteObjectView | None = None
    """A reply from another server: what it says and who wrote it; null for our posts."""


class LikeView(msgspec.Struct, kw_only=True):
    member: MemberView
    liked_at: datetime


_POST_COLUMNS = (
    f"{MEMBER_COLUMNS}, p.id::text, p.community_id::text, p.in_reply_to::text,"
    " p.thread_id::text, p.body, p.format, p.html, p.status, p.published_at, p.edited_at,"
    " p.likes_count, p.replies_count,"
    " EXISTS (SELECT 1 FROM post_likes vl WHERE vl.post_id = p.id AND vl.member_id = $1),"
    " p.position, p.in_reply_to_remote, p.group_remote"
)
_FROM = "FROM posts p JOIN members m ON m.id = p.author_id"


_READABLE = f"{community_visible('p.community_id', '$1::uuid')} AND {author_active('p.author_id')}"
"""What every post query requires: the post's community is visible to the viewer (`$1`), and
its author is not suspended."""


def _post(r: asyncpg.Record) -> PostView:
    return PostView(
        id=r[11],
        author=member_view(r),
        community_id=r[12],
        in_reply_to=r[13],
        in_reply_to_remote=r[25],
        group_remote=r[26],
        thread_id=r[14],
        body=r[15],
        format=r[16],
        html=r[17],
        status=r[18],
        published_at=r[19],
        edited_at=r[20],
        likes_count=r[21],
        replies_count=r[22],
        liked_by_viewer=r[23],
    )


def _position(r: asyncpg.Record) -> tuple[int]:
    return (r[24],)


async def get_post(conn: asyncpg.Connection, post_id: str, viewer: str | None) -> PostView | None:
    """A post (or its tombstone), if `viewer` may see it."""
    row = await conn.fetchrow(
        f"SELECT {_POST_COLUMNS} {_FROM} WHERE p.id = $2 AND {_READABLE}",
        viewer,
        post_id,
    )
    return _post(row) if row else None


async def list_thread(
    conn: asyncpg.Connection, thread_id: str, viewer: str | None, cursor: str | None, limit: int
) -> Page[PostView]:
    """The posts of a thread, oldest first: its first post, then the replies as they came —
    ours and those from other servers (`remote`). Tombstones are included (empty body); posts
    of suspended members are left out."""
    (since,) = after(cursor, int, first=(0,))
    ours = await conn.fetch(
        f"SELECT {_POST_COLUMNS} {_FROM}"
        f" WHERE p.thread_id = $2 AND p.position > $3 AND {_READABLE}"
        " ORDER BY p.position LIMIT $4",
        viewer,
        thread_id,
        since,
        limit + 1,
    )
    remote = await conn.fetch(
        f"SELECT r.position, r.post_id::text, r.thread_id::text, r.community_id::text,"
        " EXISTS (SELECT 1 FROM remote_object_likes l WHERE l.object_key = r.object_key"
        f" AND l.member_id = $1::uuid), {REMOTE_OBJECT_COLUMNS}"
        " FROM post_remote_replies r JOIN remote_objects o USING (object_key)"
        " LEFT JOIN remote_actors ra ON ra.actor_id = o.author"
        " WHERE r.thread_id = $2::uuid AND r.position > $3 ORDER BY r.position LIMIT $4",
        viewer,
        thread_id,
        since,
        limit + 1,
    )
    both = sorted(
        [(_position(r)[0], _post(r)) for r in ours]
        + [(r[0], _remote_reply_view(r)) for r in remote],
        key=lambda item: item[0],
    )
    return page(both[: limit + 1], limit, lambda item: item[1], lambda item: (item[0],))


def _remote_reply_view(r: asyncpg.Record) -> PostView:
    remote = remote_object_view(r[5:])
    return PostView(
        id=remote.id,
        author=None,
        community_id=r[3],
        in_reply_to=r[1],
        in_reply_to_remote=None,
        thread_id=r[2],
        body="",
        format="html",
        html=remote.html,
        status="deleted" if remote.deleted else "published",
        published_at=remote.published,
        edited_at=remote.updated,
        likes_count=remote.likes_count,
        replies_count=0,
        liked_by_viewer=r[4],
        remote=remote,
    )


async def list_community_posts(
    conn: asyncpg.Connection,
    community_id: str,
    viewer: str | None,
    cursor: str | None,
    limit: int,
) -> Page[PostView]:
    """The first posts of a community's threads, newest first (no replies, no tombstones)."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_POST_COLUMNS} {_FROM}"
        " WHERE p.community_id = $2 AND p.in_reply_to IS NULL AND p.status = 'published'"
        f" AND p.position < $3 AND {_READABLE}"
        " ORDER BY p.position DESC LIMIT $4",
        viewer,
        community_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _post, _position)


async def count_public_posts(
    conn: asyncpg.Connection, *, author_id: str | None = None, community_id: str | None = None
) -> int:
    """Posts and replies anyone may read (no tombstones), by `author_id` or in `community_id`."""
    return await conn.fetchval(
        f"SELECT count(*) {_FROM} WHERE p.status = 'published'"
        " AND ($2::uuid IS NULL OR p.author_id = $2) AND ($3::uuid IS NULL OR p.community_id = $3)"
        f" AND {_READABLE}",
        None,
        author_id,
        community_id,
    )


async def list_member_posts(
    conn: asyncpg.Connection, member_id: str, viewer: str | None, cursor: str | None, limit: int
) -> Page[PostView]:
    """A member's posts and replies — on their profile and in the communities `viewer` may
    see — newest first (no tombstones)."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_POST_COLUMNS} {_FROM}"
        " WHERE p.author_id = $2 AND p.status = 'published'"
        f" AND p.position < $3 AND {_READABLE}"
        " ORDER BY p.position DESC LIMIT $4",
        viewer,
        member_id,
        before,
        limit + 1,
    )
    return page(rows, limit, _post, _position)


async def list_likes(
    conn: asyncpg.Connection, post_id: str, viewer: str | None, cursor: str | None, limit: int
) -> Page[LikeView]:
    """Which members of ours liked a post `viewer` may see, newest first; suspended members are
    left out. Likes from other servers count in the post's `likes_count` but are not listed."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {MEMBER_COLUMNS}, l.liked_at, l.position FROM post_likes l"
        " JOIN members m ON m.id = l.member_id JOIN posts p ON p.id = l.post_id"
        " WHERE l.post_id = $2 AND l.position < $3 AND m.status = 'active'"
        f" AND {_READABLE}"
        " ORDER BY l.position DESC LIMIT $4",
        viewer,
        post_id,
        before,
        limit + 1,
    )
    return page(
        rows, limit, lambda r: LikeView(member=member_view(r), liked_at=r[11]), lambda r: (r[12],)
    )


async def remote_like_post(conn: asyncpg.Connection, actor_id: str, like_id: str) -> str | None:
    """The post `actor_id` likes by its `Like` `like_id`, if that like stands."""
    return await conn.fetchval(
        "SELECT post_id::text FROM post_remote_likes WHERE like_id = $1 AND actor_id = $2",
        like_id,
        actor_id,
    )
