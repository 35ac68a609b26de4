"""The search read model: full-text search over members, communities, posts, artefacts and
published paths, ranked, and served only where the reader may see each result.

One document per entity (`search_documents`), its vector kept by PostgreSQL from its title,
keywords (skills; a member's handle, a community's slug) and text; see migration 0011 for the
weights. Who may see a document is kept on its row from the members' and communities' events
(its author active, its community members-only), so a search reads no other table per match.
A query is read like a web search (`websearch_to_tsquery`: words, "a phrase", -not,
or), stemmed as English.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted, ArtefactRevised
from server.events.types.communities import CommunityCreated, CommunityUpdated
from server.events.types.members import (
    MemberApproved,
    MemberRegistered,
    MemberRejected,
    MemberSuspended,
    MemberUnsuspended,
    ProfileUpdated,
)
from server.events.types.paths import PathCreated, PathPublished, PathUpdated
from server.events.types.posts import PostDeleted, PostEdited, PostPublished, PostRemoved
from server.projections.pagination import Page, after, page
from server.projections.runner import Projection, apply_in_segments, tags
from server.projections.visibility import is_admin

_TYPES = (
    MemberRegistered,
    ProfileUpdated,
    MemberApproved,
    MemberRejected,
    MemberSuspended,
    MemberUnsuspended,
    CommunityCreated,
    CommunityUpdated,
    PostPublished,
    PostEdited,
    PostDeleted,
    PostRemoved,
    ArtefactCreated,
    ArtefactRevised,
    ArtefactDeleted,
    PathCreated,
    PathUpdated,
    PathPublished,
)

# Documents a segment creates, in one statement. A document is as visible as its community is
# when it is written (search_communities) and its author is active then: nobody pending,
# rejected or suspended writes.
_INSERT = """
INSERT INTO search_documents (kind, id, community_id, author_id, title, keywords, body, listed,
                              position, author_active, members_only)
SELECT d.*, coalesce(c.members_only, false)
  FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[],
              $8::bool[], $9::bigint[], $10::bool[])
       AS d(kind, id, community_id, author_id, title, keywords, body, listed, position, active)
  LEFT JOIN search_communities c ON c.id = d.community_id
"""

# A member's handle and a community's slug lead their keywords (neither changes, and neither
# holds a space): an update keeps that first word and replaces the skills after it.
_FIRST_WORD = "split_part(keywords, ' ', 1) || ' ' || "

_SEGMENT = (
    MemberRegistered,
    CommunityCreated,
    PostPublished,
    ArtefactCreated,
    PathCreated,
    ProfileUpdated,
    PostEdited,
    ArtefactRevised,
    PathUpdated,
    PathPublished,
)
"""Events that create a document (and a community's visibility) or change its texts, and
nothing else: a segment of them creates first, then changes (a document's creation comes
before its changes in the log)."""


class SearchProjection(Projection):
    name = "search"
    tables = ("search_documents", "search_communities")
    event_types = tags(*_TYPES)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        await apply_in_segments(conn, events, _SEGMENT, _write, _change)


async def _write(conn: asyncpg.Connection, events: list[RecordedEvent]) -> None:
    """The communities of a segment, then its documents (each community is known before any
    document in it, its own first, is written), then the changes to their texts, in log order
    for each document."""
    communities = [
        (e.stream_id.partition("-")[2], e.data.visibility == "members_only")
        for e in events
        if isinstance(e.data, CommunityCreated)
    ]
    if communities:
        await conn.execute(
            "INSERT INTO search_communities (id, members_only) SELECT * FROM unnest($1::uuid[],"
            " $2::bool[])",
            *zip(*communities, strict=True),
        )
    documents = []
    changes: dict[str, list[tuple[object, ...]]] = {}
    for event in events:
        entity_id = event.stream_id.partition("-")[2]
        document = _document(event.data, entity_id)
        if document is not None:
            pending = isinstance(event.data, MemberRegistered) and event.data.pending
            documents.append((*document, event.position, not pending))
        elif (change := _texts(event.data)) is not None:
            kind, assignments, values = change
            changes.setdefault(assignments, []).append((kind, entity_id, event.position, *values))
    if documents:
        await conn.execute(_INSERT, *zip(*documents, strict=True))
    for assignments, rows in changes.items():
        await conn.executemany(_UPDATE_TEXTS.format(assignments), rows)


_AUTHOR_ACTIVE_AFTER = {
    MemberApproved: True,
    MemberRejected: False,
    MemberSuspended: False,
    MemberUnsuspended: True,
}


async def _change(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    data = event.data
    entity_id = event.stream_id.partition("-")[2]
    if (kind := _DELETED_BY.get(type(data))) is not None:
        await conn.execute(
            "DELETE FROM search_documents WHERE kind = $1 AND id = $2", kind, entity_id
        )
        return
    if (active := _AUTHOR_ACTIVE_AFTER.get(type(data))) is not None:
        await conn.execute(
            "UPDATE search_documents SET author_active = $2 WHERE author_id = $1",
            entity_id,
            active,
        )
        return
    if isinstance(data, CommunityUpdated):
        members_only = data.visibility == "members_only"
        await conn.execute(
            "UPDATE search_communities SET members_only = $2 WHERE id = $1", entity_id, members_only
        )
        await conn.execute(
            "UPDATE search_documents SET members_only = $2 WHERE community_id = $1",
            entity_id,
            members_only,
        )
    if (change := _texts(data)) is not None:
        kind, assignments, values = change
        await conn.execute(
            _UPDATE_TEXTS.format(assignments), kind, entity_id, event.position, *values
        )


_UPDATE_TEXTS = "UPDATE search_documents SET {}, position = $3 WHERE kind = $1 AND id = $2"

_DELETED_BY = {PostDeleted: "post", PostRemoved: "post", ArtefactDeleted: "artefact"}


def _document(data: object, entity_id: str) -> tuple[object, ...] | None:
    """A new document's columns from kind to listed, if `data` makes one."""
    match data:
        case MemberRegistered():
            return ("member", entity_id, None, entity_id, data.display_name, data.handle, "", True)
        case CommunityCreated():
            keywords = " ".join([data.slug, *data.skills])
            return (
                "community",
                entity_id,
                entity_id,
                None,
                data.name,
                keywords,
                data.description,
                True,
            )
        case PostPublished():
            return ("post", entity_id, data.community_id, data.author_id, "", "", data.body, True)
        case ArtefactCreated():
            body = f"{data.summary}\n{data.body}"
            skills = " ".join(data.skills)
            return (
                "artefact",
                entity_id,
                data.community_id,
                data.author_id,
                data.title,
                skills,
                body,
                True,
            )
        case PathCreated():  # a draft: unlisted until published
            skills = " ".join(data.skills)
            return (
                "path",
                entity_id,
                data.community_id,
                data.by,
                data.title,
                skills,
                data.summary,
                False,
            )
    return None


_TEXTS = "title = $4, keywords = $5, body = $6"
_TEXTS_KEEPING_FIRST_WORD = f"title = $4, keywords = {_FIRST_WORD}$5, body = $6"


def _texts(data: object) -> tuple[str, str, tuple[object, ...]] | None:
    """The kind of document `data` changes, the assignments ($4… are the values) and the
    values."""
    match data:
        case ProfileUpdated():
            values = (data.display_name, " ".join(data.skills), f"{data.headline}\n{data.bio}")
            return "member", _TEXTS_KEEPING_FIRST_WORD, values
        case CommunityUpdated():
            values = (data.name, " ".join(data.skills), data.description)
            return "community", _TEXTS_KEEPING_FIRST_WORD, values
        case PostEdited():
            return "post", "body = $4", (data.body,)
        case ArtefactRevised():
            values = (data.title, " ".join(data.skills), f"{data.summary}\n{data.body}")
            return "artefact", _TEXTS, values
        case PathUpdated():
            return "path", _TEXTS, (data.title, " ".join(data.skills), data.summary)
        case PathPublished():
            return "path", "listed = true", ()
    return None


# -- reading --------------------------------------------------------------------------------


class SearchHitView(msgspec.Struct, kw_only=True):
    kind: str
    """`member`, `community`, `post`, `artefact` or `path`."""
    id: str
    title: str
    """A member's display name, a community's name, an artefact's or path's title; "" for a
    post."""
    snippet: str
    """Plain text around the words found (a post's or artefact's text, a member's headline
    and bio, a description or summary); "" when they matched elsewhere."""
    handle: str | None = None
    """A member's handle."""
    slug: str | None = None
    """A community's slug."""
    community_id: str | None = None
    """Where a post, artefact or path is (a community's own id for a community)."""
    author_id: str | None = None
    """Who wrote a post or artefact, or made a path (a member's own id for a member)."""


CANDIDATES = 500
"""The most recent matches a search ranks. A word found in more documents than this is ranked
among its most recent uses (a search for it is about what is current); rarer ones are ranked
over every match. It bounds the work of a search, however common its words."""

# The newest matches the reader may see, then the best of those. Planned for the words given
# (see `search`): for a common word PostgreSQL walks the documents newest first, for a rare one
# it collects its few matches from the GIN index.
QUERY = "websearch_to_tsquery('english', $2)"
SNIPPET = f"""ts_headline('english', d.body, {QUERY}, 'MaxFragments=1, MaxWords=30, MinWords=10,
                   StartSel="", StopSel=""')"""
"""Plain text around the words found in document `d`."""
_SEARCH = f"""
WITH candidates AS (
    SELECT d.* FROM search_documents d
     WHERE d.document @@ {QUERY} AND d.listed AND d.author_active
       AND ($3::text IS NULL OR d.kind = $3)
       AND (NOT d.members_only
            OR d.community_id IN (SELECT community_id FROM community_members
                                   WHERE member_id = $1::uuid)
            OR {is_admin("$1::uuid")})
     ORDER BY d.position DESC LIMIT {CANDIDATES})
SELECT d.kind, d.id::text, d.title,
       {SNIPPET},
       m.handle, c.slug, d.community_id::text, d.author_id::text,
       ts_rank_cd(d.document, {QUERY}) AS rank, d.position
  FROM candidates d
  LEFT JOIN members m ON d.kind = 'member' AND m.id = d.id
  LEFT JOIN communities c ON d.kind = 'community' AND c.id = d.id
 WHERE (ts_rank_cd(d.document, {QUERY}), d.position) < ($4::real, $5::bigint)
 ORDER BY rank DESC, d.position DESC LIMIT $6
"""


async def search(
    conn: asyncpg.Connection,
    text: str,
    kind: str | None,
    viewer: str | None,
    cursor: str | None,
    limit: int,
) -> Page[SearchHitView]:
    """What matches `text` (of `kind`, or of any) that `viewer` may see, best match first."""
    rank, position = after(cursor, float, int, first=(float("inf"), 2**63 - 1))
    async with conn.transaction(readonly=True):
        # A plan made for these words: one made for any words cannot tell a common word from
        # a rare one, and took a second where it should take milliseconds.
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await conn.fetch(_SEARCH, viewer, text, kind, rank, position, limit + 1)
    return page(
        rows,
        limit,
        lambda r: SearchHitView(
            kind=r[0],
            id=r[1],
            title=r[2],
            snippet=r[3],
            handle=r[4],
            slug=r[5],
            community_id=r[6],
            author_id=r[7],
        ),
        lambda r: (r[8], r[9]),
    )
