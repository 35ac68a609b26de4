"""Feeds: a member's home feed and a community's feed (server/projections/feeds.py)."""

from __future__ import annotations

from aiohttp import web

from server.api.accounts import PageQuery
from server.api.communities import visible_community
from server.api.keys import HOME_FEEDS
from server.api.routing import Api, Call
from server.projections import feeds as feeds_read
from server.projections.feeds import ActivityView
from server.projections.pagination import Page

api = Api()


@api.route(
    "GET",
    "/api/v1/feeds/home",
    tag="feeds",
    query=PageQuery,
    response=Page[ActivityView],
    scope="read",
)
async def home_feed(call: Call) -> Page[ActivityView]:
    """Your home feed, newest first: posts, artefacts, paths published and completed, and
    endorsements by the members you follow and by you, and all of these in the communities
    you belong to — each only if you may see it."""
    if call.query.cursor is None:
        body = await call.request.app[HOME_FEEDS].first_page(
            call.actor.member_id, call.query.limit, call.min_position
        )
        return web.Response(body=body, content_type="application/json")
    async with call.db() as conn:
        return await feeds_read.home_feed(
            conn, call.actor.member_id, call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/communities/{community}/feed",
    tag="feeds",
    query=PageQuery,
    response=Page[ActivityView],
    auth="optional",
    errors=(404,),
)
async def community_feed(call: Call) -> Page[ActivityView]:
    """What happened in a community, newest first: posts and replies, artefacts, paths
    published and completed, and what its remote members wrote in it (a members-only
    community's feed is its members' alone)."""
    community = await visible_community(call)
    async with call.db() as conn:
        return await feeds_read.community_feed(
            conn, community.id, call.viewer, call.query.cursor, call.query.limit
        )
