"""How other servers find this instance's actors and learn what it is: WebFinger (RFC 7033),
host-meta (RFC 6415) and NodeInfo 2.1.

WebFinger answers `acct:name@host` for a member's handle and a public community's slug (they
are two namespaces: a name that is both gets both links, the member's first, each with its
ActivityStreams type as Lemmy gives it), and an actor's id. Members-only communities are not
found: nothing about them leaves the instance.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec
from aiohttp import web

from server.domain.common import is_id
from server.federation.negotiation import ACTIVITY_JSON
from server.federation.state import OPTIONS, STORE
from server.federation.urls import PREFIX, Urls
from server.problems import problem
from server.projections.communities import get_community
from server.projections.instance import Usage, usage
from server.projections.members import get_member

routes = web.RouteTableDef()

JRD = "application/jrd+json"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
NODEINFO = f'application/json; profile="{NODEINFO_SCHEMA}#"'
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
AS_TYPE = "https://www.w3.org/ns/activitystreams#type"
USAGE_SECONDS = 60.0
"""How long NodeInfo's figures are kept before they are counted again (crawlers ask often)."""
CORS = {"Access-Control-Allow-Origin": "*"}
"""Discovery documents are public; browser clients of other servers read them too."""


@dataclass(frozen=True, slots=True)
class _Found:
    kind: str
    """`Person` or `Group`."""
    id: str


@routes.get("/.well-known/webfinger")
async def webfinger(request: web.Request) -> web.StreamResponse:
    urls = Urls(request.app[OPTIONS].base_url)
    resource = request.query.get("resource")
    if not resource:
        return _bad_resource("required: acct:name@host, or an actor's id")
    asked = _asked(resource, urls)
    if asked is MALFORMED:
        return _bad_resource(f"not an acct: URI or an http(s) URL: {resource[:200]!r}")
    found = await _find(request, urls, asked) if asked is not None else []
    if not found:
        return problem(404, "Not Found", f"nobody here is called {resource[:200]!r}")
    links: list[dict[str, Any]] = []
    for actor in found:
        links.append({"rel": "self", "type": ACTIVITY_JSON, "href": actor.id,
                      "properties": {AS_TYPE: actor.kind}})  # fmt: skip
        links.append({"rel": PROFILE_PAGE, "type": "text/html", "href": actor.id})
    kind, key = asked  # type: ignore[misc]
    body = {
        "subject": f"acct:{key}@{urls.host}" if kind == "acct" else resource,
        "aliases": [actor.id for actor in found],
        "links": links,
    }
    return web.Response(body=msgspec.json.encode(body), content_type=JRD, headers=CORS)


def _bad_resource(detail: str) -> web.Response:
    return problem(400, "Bad Request", detail, errors=[{"field": "resource", "detail": detail}])


MALFORMED = ("", "")


def _asked(resource: str, urls: Urls) -> tuple[str, str] | None:
    """What a resource asks for: `("acct", name)` for `acct:name@host`, `(kind, id)` for an
    actor's id (`members` or `communities`); None when it names another host or nothing
    here; MALFORMED when it is neither an `acct:` URI nor an http(s) URL."""
    if resource.startswith("acct:"):
        name, _, host = unquote(resource[5:]).removeprefix("@").rpartition("@")
        if not name or not host:
            return MALFORMED
        return ("acct", name.lower()) if host.lower() == urls.host else None
    parts = urlsplit(resource)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return MALFORMED
    kind, _, entity = resource.removeprefix(urls.base + PREFIX + "/").partition("/")
    if not resource.startswith(urls.base + PREFIX + "/") or kind not in ("members", "communities"):
        return None
    return kind, entity


async def _find(request: web.Request, urls: Urls, asked: tuple[str, str]) -> list[_Found]:
    """The actors asked for: by handle and slug (both may exist), or by id."""
    kind, key = asked
    if kind == "acct" and is_id(key):
        return []  # a name, never an id
    async with request.app[STORE].pool.acquire() as conn:
        member = await get_member(conn, key) if kind in ("acct", "members") else None
        community = (
            await get_community(conn, key, None) if kind in ("acct", "communities") else None
        )
    found = []
    if member is not None and (kind == "acct" or member.id == key):
        found.append(_Found("Person", urls.member(member.id).id))
    if community is not None and (kind == "acct" or community.id == key):
        found.append(_Found("Group", urls.community(community.id).id))
    return found


@routes.get("/.well-known/host-meta")
async def host_meta(request: web.Request) -> web.Response:
    template = _template(request)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">'
        f'<Link rel="lrdd" template="{template}"/></XRD>\n'
    )
    return web.Response(text=body, content_type="application/xrd+xml", headers=CORS)


@routes.get("/.well-known/host-meta.json")
async def host_meta_json(request: web.Request) -> web.Response:
    body = {"links": [{"rel": "lrdd", "template": _template(request)}]}
    return web.Response(body=msgspec.json.encode(body), content_type=JRD, headers=CORS)


def _template(request: web.Request) -> str:
    return request.app[OPTIONS].base_url + "/.well-known/webfinger?resource={uri}"


@routes.get("/.well-known/nodeinfo")
async def nodeinfo_links(request: web.Request) -> web.Response:
    href = request.app[OPTIONS].base_url + "/nodeinfo/2.1"
    body = {"links": [{"rel": NODEINFO_SCHEMA, "href": href}]}
    return web.Response(body=msgspec.json.encode(body), content_type="application/json",
                        headers=CORS)  # fmt: skip


class _UsageCache:
    """NodeInfo's figures, counted at most once per USAGE_SECONDS (and once for all asking)."""

    def __init__(self) -> None:
        self._usage: Usage | None = None
        self._counted = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, request: web.Request) -> Usage:
        async with self._lock:
            if self._usage is None or time.monotonic() - self._counted > USAGE_SECONDS:
                async with request.app[STORE].pool.acquire() as conn:
                    self._usage = await usage(conn)
                self._counted = time.monotonic()
            return self._usage


USAGE = web.AppKey("federation_usage", _UsageCache)


def setup(app: web.Application) -> None:
    app[USAGE] = _UsageCache()
    app.add_routes(routes)


@routes.get("/nodeinfo/2.1")
async def nodeinfo(request: web.Request) -> web.Response:
    options = request.app[OPTIONS]
    counted = await request.app[USAGE].get(request)
    body = {
        "version": "2.1",
        "software": {"name": "learnwork", "version": version("learnwork")},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": options.open_registrations,
        "usage": {
            "users": {
                "total": counted.users,
                "activeMonth": counted.active_month,
                "activeHalfyear": counted.active_halfyear,
            },
            "localPosts": counted.local_posts,
        },
        "metadata": {"nodeName": Urls(options.base_url).host},
    }
    return web.Response(body=msgspec.json.encode(body), headers={**CORS, "Content-Type": NODEINFO})
