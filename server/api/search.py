"""`GET /api/v1/search`: full-text search over members, communities, posts, artefacts and
learning paths (see server/projections/search.py)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.api.accounts import PageQuery
from server.api.keys import SEARCHES
from server.api.routing import Api, Call, field_problem
from server.projections.pagination import Page
from server.projections.search import SearchHitView

api = Api()


class SearchQuery(PageQuery, kw_only=True):
    q: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    """What to look for, as in a web search: words (all must match, in any form: "queries"
    finds "query"), "a phrase", -a word to leave out, `or` between alternatives."""
    type: Literal["member", "community", "post", "artefact", "path"] | None = None
    """Only results of this kind."""


@api.route(
    "GET",
    "/api/v1/search",
    tag="search",
    query=SearchQuery,
    response=Page[SearchHitView],
    auth="optional",
    errors=(400,),
)
async def search(call: Call) -> Page[SearchHitView]:
    """Members, communities, posts, artefacts and published paths that match `q`, best match
    first: a match in a title counts most, then in skills, a handle or a slug, then in the
    text. Only what you may read is found: nothing from a members-only community you are not
    in, nothing by a suspended member, no draft path."""
    query: SearchQuery = call.query
    if "\x00" in query.q:
        raise field_problem(400, "Bad Request", "q", "may not contain the NUL character")
    return await call.request.app[SEARCHES].search(
        query.q, query.type, call.viewer, query.cursor, query.limit, call.min_position
    )
