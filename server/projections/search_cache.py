"""Search results kept in memory (`PageCache`) until the search read model changes.

A search ranks the newest `CANDIDATES` matches its reader may see (server/projections/search.py)
and costs PostgreSQL up to ~10 ms for a common word. What a reader may see is what everyone may
see, and what is in the members-only communities they belong to (all of them for an admin). So
a query (words and kind) is read once for every reader, in one snapshot:

- the newest `CANDIDATES` public matches;
- the newest `CANDIDATES` matches in each members-only community (through an index of the few
  members-only documents);

and kept until any event the search read model reads arrives (a new or changed document, an
author suspended, a community's visibility changed): as fresh as the read model, like the
near-real-time search of a search engine. Which members-only communities a reader belongs to
is kept per reader, dropped by the events that name them.

The newest `CANDIDATES` of the public matches and of the reader's communities together are the
newest the reader may see, as in `search.search`; they are ranked and paginated the same way,
and the snippets of what is shown are read once and kept with the results. Once a query and a
reader are known, a search is answered from memory, without a query.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from server.events import RecordedEvent
from server.events.store import EventStore
from server.events.types.artefacts import ArtefactCreated
from server.events.types.communities import CommunityCreated
from server.events.types.members import MemberApproved, MemberRegistered, MemberUnsuspended
from server.events.types.paths import PathCreated, PathPublished
from server.events.types.posts import PostPublished
from server.projections import search
from server.projections.page_cache import PageCache
from server.projections.pagination import Page, after, page
from server.projections.runner import Projection, tags
from server.projections.search import CANDIDATES, SearchHitView, SearchProjection

REFRESH = 1.0
"""Seconds a search may miss documents added since its results were read: under a steady flow
of new posts, each query is read again at most once a second (as a search engine refreshes its
index), not on every post. What hides or changes a document — a delete, an edit, a removal, a
suspension, a community closed — drops every result read before it, at once."""

ADDING = tags(
    PostPublished,
    ArtefactCreated,
    PathCreated,
    PathPublished,
    MemberRegistered,
    MemberApproved,
    MemberUnsuspended,
    CommunityCreated,
)
"""Events of the search read model that can only add results (a search may miss them for up
to REFRESH seconds)."""

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

# The newest CANDIDATES of each members-only community: the newest a reader may see among
# those of their communities (or, for an admin, of all) are among them.
_MEMBERS_ONLY = f"""
WITH candidates AS (
    SELECT * FROM (
        SELECT d.*, row_number() OVER (PARTITION BY d.community_id ORDER BY d.position DESC) AS n
          FROM search_documents d
         WHERE {_MATCHES} AND {_OF_KIND} AND d.members_only) m
     WHERE n <= {CANDIDATES})
SELECT {_COLUMNS}
"""

_READER = """
SELECT coalesce((SELECT admin AND status = 'active' FROM members WHERE id = $1::uuid), false),
       ARRAY(SELECT cm.community_id::text FROM community_members cm
               JOIN communities c ON c.id = cm.community_id
              WHERE cm.member_id = $1::uuid AND c.visibility <> 'public')
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


@dataclass(frozen=True, slots=True)
class _Results:
    """What `text` (of a kind) matches, as far as any reader may see it."""

    newest: list[_Hit]
    """The newest CANDIDATES public matches, newest first."""
    positions: list[int]
    """Their positions."""
    ranked: list[_Hit]
    """The same, best first."""
    members_only: dict[str, list[_Hit]]
    """The newest CANDIDATES matches in each members-only community, newest first."""
    position: int
    """How far the read models they were read from showed the log."""
    read_at: float
    """When they were read (`time.monotonic()`)."""

    def members_only_for(self, admin: bool, communities: Iterable[str]) -> list[_Hit]:
        """Members-only matches a reader may see, newest first."""
        lists = self.members_only.values() if admin else map(self.members_only.get, communities)
        return sorted(itertools.chain.from_iterable(h for h in lists if h), key=_newest)


class SearchCache(PageCache):
    """Results per (words, kind): `_Results`. Readers per id: whether they are an admin, and
    their members-only communities; dropped by the events that name them."""

    def __init__(self, store: EventStore, projections: Iterable[Projection], capacity: int) -> None:
        super().__init__(store, projections, SEARCH_TABLES, capacity, "search-cache")
        self._changes_documents = SearchProjection.event_types
        self._added = 0  # the position of the last event followed that adds documents
        self._reading: dict[tuple[str, str | None], asyncio.Future[_Results]] = {}
        self.reads = 0
        """Results read from the read models."""

    def touches(self, event: RecordedEvent) -> frozenset[str] | None:
        if event.type in ADDING:
            self._added = event.position
        elif event.type in self._changes_documents:
            return None  # it may hide a result: every result read before it goes
        return super().touches(event)

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
        see, best match first, showing every event up to `at_least`; documents added in the
        last `REFRESH` seconds may be missing from a search without `at_least`."""
        after_key = _key(*after(cursor, float, int, first=(float("inf"), 2**63 - 1)))
        if not self.enabled:
            async with self._store.pool.acquire() as conn:
                return await search.search(conn, text, kind, reader, cursor, limit)
        # A connection is taken only for what memory does not hold: most searches need none.
        results = await self._results(text, kind, at_least)
        members_only: list[_Hit] = []
        if reader is not None:
            admin, communities = await self._reader(reader, at_least)
            if admin or communities:
                members_only = results.members_only_for(admin, communities)
        if members_only:
            shown = _merged(results, members_only, after_key, limit + 1)
        else:  # the public results alone, best first: continue after the cursor
            start = bisect.bisect_right(results.ranked, after_key, key=_best)
            shown = results.ranked[start : start + limit + 1]
        unread = [h for h in shown[:limit] if h.snippet is None]
        if unread:
            await self._read_snippets(text, unread)
        return page(shown, limit, _Hit.view, lambda h: (h.rank, h.position))

    async def _results(self, text: str, kind: str | None, at_least: int) -> _Results:
        """The results kept, unless documents were added after them and they are older than
        `REFRESH` seconds; else read afresh, once for all the searches that wait for them."""
        key = (text, kind)
        kept = self.get(("words", *key), at_least)
        if kept is not None and (
            kept.position >= self._added or time.monotonic() - kept.read_at < REFRESH
        ):
            return kept
        reading = self._reading.get(key)
        if reading is None:
            reading = self._reading[key] = asyncio.ensure_future(self._read(text, kind))
            reading.add_done_callback(lambda _: self._reading.pop(key, None))
        results = await asyncio.shield(reading)
        if results.position < at_least:  # that read began before the read models got there
            results = await self._read(text, kind)
        return results

    async def _read(self, text: str, kind: str | None) -> _Results:
        self.reads += 1
        read_at = time.monotonic()
        async with self._store.pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                position = await self.read_position(conn)
                newest = await _fetch(conn, _PUBLIC, kind, text)
                members_only: dict[str, list[_Hit]] = {}
                for hit in await _fetch(conn, _MEMBERS_ONLY, kind, text):
                    members_only.setdefault(hit.community_id or "", []).append(hit)
        ranked = sorted(newest, key=_best)
        positions = [h.position for h in newest]
        results = _Results(newest, positions, ranked, members_only, position, read_at)
        self.keep(("words", text, kind), results, position, frozenset())
        return results

    async def _reader(self, reader: str, at_least: int) -> tuple[bool, list[str]]:
        """Whether `reader` is an admin, and the members-only communities they belong to."""
        found = self.get(("reader", reader), at_least)
        if found is None:
            async with self._store.pool.acquire() as conn:
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    position = await self.read_position(conn)
                    admin, communities = await conn.fetchrow(_READER, reader)
            found = (admin, communities)
            self.keep(("reader", reader), found, position, frozenset({reader}))
        return found

    async def _read_snippets(self, text: str, hits: Sequence[_Hit]) -> None:
        kinds, ids = [h.kind for h in hits], [h.id for h in hits]
        async with self._store.pool.acquire() as conn:
            rows = await conn.fetch(_SNIPPETS, kinds, text, ids)
        snippets = {(r[0], r[1]): r[2] for r in rows}
        for hit in hits:
            # A document gone since it was found keeps no snippet.
            hit.snippet = snippets.get((hit.kind, hit.id), "")


def _key(rank: float, position: int) -> tuple[float, int]:
    """A sort key, best first, of a hit of `rank` at `position`."""
    return (-rank, -position)


def _best(hit: _Hit) -> tuple[float, int]:
    return _key(hit.rank, hit.position)


def _newest(hit: _Hit) -> int:
    return -hit.position


def _merged(
    results: _Results, members_only: list[_Hit], after_key: tuple[float, int], n: int
) -> list[_Hit]:
    """The best `n` after `after_key` among the newest CANDIDATES of the public results and
    `members_only`."""
    positions = results.positions + [h.position for h in members_only]
    oldest = sorted(positions, reverse=True)[:CANDIDATES][-1]
    best = heapq.merge(results.ranked, sorted(members_only, key=_best), key=_best)
    after_cursor = (h for h in best if h.position >= oldest and _best(h) > after_key)
    return list(itertools.islice(after_cursor, n))


async def _fetch(conn: asyncpg.Connection, query: str, *args: object) -> list[_Hit]:
    """Hits, newest first (in a transaction)."""
    # Planned for these words, as in `search.search`.
    await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    rows = await conn.fetch(query, *args)
    return sorted((_Hit(*r) for r in rows), key=_newest)
