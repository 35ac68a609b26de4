"""`GET /healthz`: 200 when the server can reach its database, 503 (problem+json) when not."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server.api.keys import STORE
from server.db import CONNECTION_LOST
from server.problems import problem

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.StreamResponse:
    store = request.app[STORE]
    try:
        async with asyncio.timeout(2):
            position = await store.last_position()
    except (TimeoutError, *CONNECTION_LOST):
        return problem(503, "Service Unavailable", "the database does not answer")
    return web.json_response({"status": "ok", "position": position})
