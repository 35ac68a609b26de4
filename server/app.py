"""The application factory: mounts the API, opens the event store, runs migrations at start."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from server.api import health
from server.api.keys import STORE
from server.api.problems import problem_middleware
from server.config import Settings
from server.db import connect
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.migrations import migrate

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024


def create_app(settings: Settings, database_url: str) -> web.Application:
    app = web.Application(middlewares=[problem_middleware], client_max_size=MAX_REQUEST_BYTES)
    app.add_routes(health.routes)

    async def event_store(app: web.Application) -> AsyncIterator[None]:
        conn = await connect(database_url, "learnwork-migrate")
        try:
            applied = await migrate(conn)
        finally:
            await conn.close()
        if applied:
            log.info("database migrated to version %d", applied[-1].version)
        app[STORE] = await EventStore.open(
            database_url,
            REGISTRY,
            pool_size=settings.db_pool_size,
            max_batch=settings.append_max_batch,
            max_wait=settings.append_max_wait_ms / 1000,
            max_event_bytes=settings.max_event_bytes,
        )
        yield
        await app[STORE].close()

    app.cleanup_ctx.append(event_store)
    return app
