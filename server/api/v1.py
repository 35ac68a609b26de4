"""The client API: every resource module's endpoints, mounted together with their OpenAPI."""

from __future__ import annotations

import msgspec
from aiohttp import web

from server.api import (
    accounts,
    artefacts,
    communities,
    domain_blocks,
    endorsements,
    feeds,
    members,
    oauth,
    path_insight,
    paths,
    posts,
    remote,
    remote_endorsements,
    remote_follow_requests,
    search,
    streams,
    webhooks,
)
from server.api.keys import OPTIONS, ApiOptions
from server.api.openapi import docs_page, document
from server.api.routing import LIMITERS, Endpoint, limiters

MODULES = (
    accounts,
    oauth,
    members,
    communities,
    artefacts,
    posts,
    paths,
    path_insight,
    endorsements,
    remote_endorsements,
    feeds,
    search,
    streams,
    webhooks,
    domain_blocks,
    remote,
    remote_follow_requests,
)


def endpoints() -> list[Endpoint]:
    return [e for module in MODULES for e in module.api.endpoints]


def setup(app: web.Application, options: ApiOptions) -> None:
    """Mount the API on `app` with its options and rate limiters."""
    app[OPTIONS] = options
    app[LIMITERS] = limiters(options)
    streams.setup(app)
    app.add_routes(routes())


def routes() -> list[web.RouteDef]:
    return [
        *(r for module in MODULES for r in module.api.routes()),
        web.get("/api/v1/openapi.json", openapi_json),
        web.get("/api/v1/docs", openapi_docs),
    ]


async def openapi_json(request: web.Request) -> web.Response:
    doc = document(endpoints(), request.app[OPTIONS].base_url)
    return web.Response(body=msgspec.json.encode(doc), content_type="application/json")


async def openapi_docs(request: web.Request) -> web.Response:
    doc = document(endpoints(), request.app[OPTIONS].base_url)
    return web.Response(text=docs_page(doc), content_type="text/html")
