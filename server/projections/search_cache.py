"""Search results kept in memory (`PageCache`) until the search read model changes.

A search ranks the newest `CANDIDATES` matches its reader may see (server/projections/search.py)
and costs PostgreSQL up to ~10 ms for a common word. Most of what a reader may see is what
everyone may see, so a search is split in two:

- the newest `CANDIDATES` public matches of the words (and kind): the same for every reader,
  kept per query until any event the search read model reads arrives (a new or changed
  document, an author suspended, a community's visibility changed) — as fresh as the read
  model, like the near-real-time search of a search engine;
- the newest matches in the members-only communities the reader belongs to (all of them for
  an admin), read for every signed-in reader: one short query through an index of the few
  members-only documents.

The newest `CANDIDATES` of both together are the newest the reader may see, as in
`search.search`; they are ranked and paginated the same way, and the snippets of what is
shown are read once and kept with the results.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from server.events import RecordedEvent
from server.events.store import EventStore
from server.projections import search
from server.projections.page_cache import PageCache
from server.projections.pagination import Page, after, page
from server.projections.runner import Projection
from server.projections.search import CANDIDATES, SearchHitView, SearchProjection

SEARCH_TABLES = frozenset({"search_documents", "search_communities", "members", "communities"})
"""The read models a search is read from."""

_COLUMNS = f"""d.kind, d.id::text, d.title, m.handle, c.slug, d.community_id::text,
       d.author_id::text, ts_rank_cd(d.document, {search.QUERY}), d.position
  FROM candidates d
  LEFT JOIN members m ON d.kind = 'member' AND m.id = d.id
  LEFT JOIN communities c ON d.kind = 'community' AND c.id = d.id"""

_MATCHES = f"d.document @@ {search.QUERY} AND d.listed AND d.author_active"
_OF_KIND = "($1::text IS NULL OR d.kind = $1)"

# $1: the kind or NULL, $2: the words (search.QUERY).
_PUBLIC = f"""
WITH candidates AS (
    SELECT d.* FROM search_documents d
     WHERE {_MATCHES} AND {_OF_KIND} AND NOT d.members_only
     ORDER BY d.position DESC LIMIT {CANDIDATES})
SELECT {_COLUMNS}
"""

# $3: the reader. Only one of the two branches runs: the admin's, or the member's, which
# reads the members-only documents of the reader's communities through their own index.
_IS_ADMIN = (
    "EXISTS (SELECT 1 FROM members va WHERE va.id = $3::uuid AND va.admin AND va.status = 'active')"
)
_MEMBERS_ONLY = f"""
WITH candidates AS (
    (SELECT d.* FROM search_documents d
      WHERE {_MATCHES} AND {_OF_KIND} AND d.members_only AND NOT {_IS_ADMIN}
        AND d.community_id = ANY (ARRAY(SELECT community_id FROM community_members
                                         WHERE member_id = $3::uuid)))
    UNION ALL
    (SELECT d.* FROM search_documents d
      WHERE {_MATCHES} AND {_OF_KIND} AND d.members_only AND {_IS_ADMIN})
    ORDER BY position DESC LIMIT {CANDIDATES})
SELECT {_COLUMNS}
"""

_SNIPPETS = f"""
SELECT d.kind, d.id::text, {search.SNIPPET}
  FROM search_documents d JOIN unnest($1::text[], $3::uuid[]) AS s(kind, id) USING (kind, id)
"""


@dataclass(slots=True)
class _Hit:
    kind: str
    id: str
    title: str
    handle: str | None
    slug: str | None
    community_id: str | None
    author_id: str | None
    rank: float
    position: int
    snippet: str | None = None
    """Read when the hit is first shown."""

    def view(self) -> SearchHitView:
        return SearchHitView(
            kind=self.kind,
            id=self.id,
            title=self.title,
            snippet=self.snippet or "",
            handle=self.handle,
            slug=self.slug,
            community_id=self.community_id,
            author_id=self.author_id,
        )


class SearchCache(PageCache):
    def __init__(self, store: EventStore, projections: Iterable[Projection], capacity: int) -> None:
        super().__init__(store, projections, SEARCH_TABLES, capacity, "search-cache")
        self._changes_documents = SearchProjection.event_types

    def touches(self, event: RecordedEvent) -> frozenset[str] | None:
        return None if event.type in self._changes_documents else frozenset()

    async def search(
        self,
        text: str,
        kind: str | None,
        reader: str | None,
        cursor: str | None,
        limit: int,
        at_least: int = 0,
    ) -> Page[SearchHitView]:
        """As `search.search`: what matches `text` (of `kind`, or of any) that `reader` may
        see, best match first, showing every event up to `at_least`."""
        rank, position = after(cursor, float, int, first=(float("inf"), 2**63 - 1))
        async with self._store.pool.acquire() as conn:
            if not self.enabled:
                return await search.search(conn, text, kind, reader, cursor, limit)
            public = self.get((text, kind), at_least) or await self._read_public(conn, text, kind)
            hits: Iterable[_Hit] = public
            if reader is not None:
                async with conn.transaction(readonly=True):
                    rows = await _fetch(conn, _MEMBERS_ONLY, kind, text, reader)
                if rows:
                    hits = heapq.merge(public, rows, key=_newest)
            candidates = heapq.nsmallest(CANDIDATES, hits, key=_newest)
            ranked = sorted(
                (h for h in candidates if (h.rank, h.position) < (rank, position)), key=_best
            )[: limit + 1]
            await _read_snippets(conn, text, [h for h in ranked[:limit] if h.snippet is None])
        return page(ranked, limit, _Hit.view, lambda h: (h.rank, h.position))

    async def _read_public(
        self, conn: asyncpg.Connection, text: str, kind: str | None
    ) -> list[_Hit]:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            position = await self.read_position(conn)
            hits = await _fetch(conn, _PUBLIC, kind, text)
        self.keep((text, kind), hits, position, frozenset())
        return hits


def _newest(hit: _Hit) -> int:
    return -hit.position


def _best(hit: _Hit) -> tuple[float, int]:
    return (-hit.rank, -hit.position)


async def _fetch(conn: asyncpg.Connection, query: str, *args: object) -> list[_Hit]:
    """Hits, newest first (in a transaction)."""
    # Planned for these words, as in `search.search`.
    await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    rows = await conn.fetch(query, *args)
    return sorted((_Hit(*r) for r in rows), key=_newest)


async def _read_snippets(conn: asyncpg.Connection, text: str, hits: Sequence[_Hit]) -> None:
    if not hits:
        return
    kinds, ids = [h.kind for h in hits], [h.id for h in hits]
    rows = await conn.fetch(_SNIPPETS, kinds, text, ids)
    snippets = {(r[0], r[1]): r[2] for r in rows}
    for hit in hits:
        # A document gone since it was found keeps no snippet.
        hit.snippet = snippets.get((hit.kind, hit.id), "")
