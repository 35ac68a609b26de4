"""Federation's HTTP surface: discovery, and each actor's document and collections, answered as
ActivityStreams JSON-LD or, to a browser, as a page (server/federation/negotiation.py)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web

from server.domain.common import is_id
from server.federation import actors, discovery, inbox, objects
from server.federation.keys import INSTANCE
from server.federation.negotiation import ACTIVITY_JSON, wants_html
from server.federation.signatures.common import SignatureRejected
from server.federation.signatures.schemes import verify_request
from server.federation.state import (
    INBOX_LIMITER,
    OPTIONS,
    REMOTE_KEYS,
    STORE,
    VAULT,
    FederationOptions,
)
from server.federation.urls import PREFIX, Urls
from server.problems import problem
from server.projections.artefacts import get_artefact
from server.projections.communities import CommunityView, get_community
from server.projections.members import MemberView, get_member
from server.projections.paths import get_path
from server.projections.posts import count_public_posts, get_post
from server.projections.remote_followers import count_followers
from server.ratelimit import RateLimiter

routes = web.RouteTableDef()

VARY = {"Vary": "Accept"}
"""The same URL answers a document or a page: caches must keep them apart."""


def setup(app: web.Application, options: FederationOptions) -> None:
    """Mount federation on `app`; STORE and VAULT are set by the app factory once opened."""
    app[OPTIONS] = options
    app[INBOX_LIMITER] = RateLimiter(options.inbox_rate, options.inbox_burst)
    discovery.setup(app)
    app.add_routes(routes)
    app.add_routes(inbox.routes)


async def _refused(request: web.Request) -> web.Response | None:
    """With authorized fetch on, a 401 for a request that is not signed by a key that can be
    found and verifies (server/federation/signatures/); a browser, which cannot sign, still
    gets the page."""
    options = request.app[OPTIONS]
    if not options.authorized_fetch or wants_html(request.headers.get("Accept")):
        return None
    target = options.base_url + request.path_qs  # as the signer saw it, not behind a proxy
    try:
        await verify_request(request.method, target, request.headers, b"",
                             keys=request.app[REMOTE_KEYS], now=datetime.now(UTC))  # fmt: skip
    except SignatureRejected as refused:
        return problem(401, "Unauthorized", refused.message, reason=str(refused.reason))
    return None


def _document(request: web.Request, document: dict[str, Any]) -> web.Response:
    if wants_html(request.headers.get("Accept")):
        return web.Response(text=actors.page(document), content_type="text/html", headers=VARY)
    return web.Response(
        body=msgspec.json.encode(document), content_type=ACTIVITY_JSON, headers=VARY
    )


async def _member(request: web.Request) -> MemberView:
    member_id = request.match_info["id"]
    async with request.app[STORE].pool.acquire() as conn:
        member = await get_member(conn, member_id) if is_id(member_id) else None
    if member is None:
        raise Missing("member")
    return member


async def _community(request: web.Request) -> CommunityView:
    """A public community: a members-only one is not presented to other servers."""
    community_id = request.match_info["id"]
    async with request.app[STORE].pool.acquire() as conn:
        found = await get_community(conn, community_id, None) if is_id(community_id) else None
    if found is None:
        raise Missing("community")
    return found


class Missing(Exception):
    """What a request names is not here (or not for other servers): a 404."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _signed(handler: Handler) -> Handler:
    """`handler` behind the authorized-fetch check, its `Missing` answered 404."""

    @functools.wraps(handler)
    async def serve(request: web.Request) -> web.Response:
        if (refused := await _refused(request)) is not None:
            return refused
        try:
            return await handler(request)
        except Missing as missing:
            return problem(404, "Not Found", f"no such {missing.what}")

    return serve


@routes.get(PREFIX + "/members/{id}")
@_signed
async def member_actor(request: web.Request) -> web.Response:
    member = await _member(request)
    keys = await request.app[VAULT].keys(member.id)
    urls = Urls(request.app[OPTIONS].base_url)
    return _document(request, actors.person(urls, member, keys))


@routes.get(PREFIX + "/communities/{id}")
@_signed
async def community_actor(request: web.Request) -> web.Response:
    community = await _community(request)
    keys = await request.app[VAULT].keys(community.id)
    urls = Urls(request.app[OPTIONS].base_url)
    return _document(request, actors.group(urls, community, keys))


@routes.get(PREFIX + "/instance")
async def instance_actor(request: web.Request) -> web.Response:
    keys = await request.app[VAULT].keys(INSTANCE)
    urls = Urls(request.app[OPTIONS].base_url)
    return _document(request, actors.application(urls, keys))


def _collection(collection_id: str, total: int) -> web.Response:
    """An actor's collection as an `OrderedCollection` with its size (items are not listed)."""
    body = {
        "@context": actors.CONTEXT[0],
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    return web.Response(body=msgspec.json.encode(body), content_type=ACTIVITY_JSON)


@routes.get(PREFIX + "/members/{id}/followers")
@_signed
async def member_followers(request: web.Request) -> web.Response:
    member = await _member(request)
    actor = Urls(request.app[OPTIONS].base_url).member(member.id)
    async with request.app[STORE].pool.acquire() as conn:
        remote = await count_followers(conn, member.id)
    return _collection(actor.followers, member.followers_count + remote)


@routes.get(PREFIX + "/members/{id}/following")
@_signed
async def member_following(request: web.Request) -> web.Response:
    member = await _member(request)
    actor = Urls(request.app[OPTIONS].base_url).member(member.id)
    return _collection(actor.following, member.following_count)


@routes.get(PREFIX + "/communities/{id}/followers")
@_signed
async def community_followers(request: web.Request) -> web.Response:
    """A community's followers are its members and the remote actors following it: what it
    announces reaches them."""
    community = await _community(request)
    actor = Urls(request.app[OPTIONS].base_url).community(community.id)
    async with request.app[STORE].pool.acquire() as conn:
        remote = await count_followers(conn, community.id)
    return _collection(actor.followers, community.members_count + remote)


@routes.get(PREFIX + "/members/{id}/outbox")
@_signed
async def member_outbox(request: web.Request) -> web.Response:
    member = await _member(request)
    async with request.app[STORE].pool.acquire() as conn:
        total = await count_public_posts(conn, author_id=member.id)
    return _collection(Urls(request.app[OPTIONS].base_url).member(member.id).outbox, total)


@routes.get(PREFIX + "/communities/{id}/outbox")
@_signed
async def community_outbox(request: web.Request) -> web.Response:
    community = await _community(request)
    async with request.app[STORE].pool.acquire() as conn:
        total = await count_public_posts(conn, community_id=community.id)
    return _collection(Urls(request.app[OPTIONS].base_url).community(community.id).outbox, total)


@routes.get(PREFIX + "/instance/outbox")
async def instance_outbox(request: web.Request) -> web.Response:
    """The instance actor publishes nothing."""
    return _collection(Urls(request.app[OPTIONS].base_url).instance.outbox, 0)


# -- objects --------------------------------------------------------------------------------


def _object(request: web.Request, document: dict[str, Any], status: int = 200) -> web.Response:
    if wants_html(request.headers.get("Accept")):
        return web.Response(
            text=objects.page(document), content_type="text/html", status=status, headers=VARY
        )
    return web.Response(
        body=msgspec.json.encode(document), content_type=ACTIVITY_JSON, status=status, headers=VARY
    )


@routes.get(PREFIX + "/posts/{id}")
@_signed
async def post_object(request: web.Request) -> web.Response:
    """A post anyone may read as a `Note`; a deleted or removed one as a `Tombstone` (410)."""
    post_id = request.match_info["id"]
    async with request.app[STORE].pool.acquire() as conn:
        post = await get_post(conn, post_id, None) if is_id(post_id) else None
    if post is None:
        raise Missing("post")
    urls = Urls(request.app[OPTIONS].base_url)
    if post.status != "published":
        return _object(request, objects.tombstone(urls.post(post.id), "Note"), 410)
    return _object(request, objects.note(urls, post))


@routes.get(PREFIX + "/artefacts/{id}")
@_signed
async def artefact_object(request: web.Request) -> web.Response:
    """An artefact anyone may read, as an `Article`."""
    artefact_id = request.match_info["id"]
    async with request.app[STORE].pool.acquire() as conn:
        made = await get_artefact(conn, artefact_id, None) if is_id(artefact_id) else None
    if made is None:
        raise Missing("artefact")
    return _object(request, objects.artefact(Urls(request.app[OPTIONS].base_url), made))


@routes.get(PREFIX + "/paths/{id}")
@_signed
async def path_object(request: web.Request) -> web.Response:
    """A published learning path anyone may read, as an `Article` with its steps."""
    path_id = request.match_info["id"]
    async with request.app[STORE].pool.acquire() as conn:
        learning = await get_path(conn, path_id, None) if is_id(path_id) else None
    if learning is None or learning.status == "draft":
        raise Missing("path")
    return _object(request, objects.path(Urls(request.app[OPTIONS].base_url), learning))
