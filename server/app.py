"""The application factory: migrates, opens the event store, starts the projections, mounts
the API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from server.api import health, metrics, v1
from server.api.keys import (
    COMMANDS,
    HOME_FEEDS,
    OPTIONS,
    PROFILES,
    REMOTE_DIRECTORY,
    RUNNER,
    SEARCHES,
    STORE,
    ApiOptions,
)
from server.api.stream_hub import STREAM_HUB, StreamHub
from server.api.webhook_enqueuer import WebhookEnqueuer
from server.api.webhook_sender import WEBHOOK_SENDER, WebhookSender
from server.commands.context import Commands
from server.config import Settings
from server.db import connect
from server.domain.members import RegistrationPolicy
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.federation import routes as federation
from server.federation import state as federated
from server.federation.client import SignedClient
from server.federation.delivery import DELIVERY, DeliveryOptions, DeliverySender
from server.federation.keys import KeyVault
from server.federation.lookup import Directory
from server.federation.outbox import OutboxEnqueuer
from server.federation.outgoing import Translator
from server.federation.remote_actors import RemoteActors
from server.federation.remote_keys import RemoteKeys
from server.federation.translators import all_translators
from server.federation.urls import Urls
from server.migrations import migrate
from server.problems import problem_middleware
from server.projections.catalog import all_projections
from server.projections.home_cache import HomeFeedCache
from server.projections.profile_cache import ProfileCache
from server.projections.runner import ProjectionRunner
from server.projections.search_cache import SearchCache
from server.secret_key import InstanceKey

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024
FETCH_CONNECTIONS = 100
"""Connections federation's client may open for fetches, besides one per delivery in flight."""


def create_app(
    settings: Settings, database_url: str, translators: Sequence[Translator] | None = None
) -> web.Application:
    """`translators`: what federation's outbox asks (server/federation/translators.py's, unless
    a test brings its own)."""
    app = web.Application(middlewares=[problem_middleware], client_max_size=MAX_REQUEST_BYTES)
    app.add_routes(health.routes)
    app.add_routes(metrics.routes)
    instance_key = InstanceKey(settings.secret_key, settings.data_dir)
    v1.setup(
        app,
        ApiOptions(
            base_url=settings.base_url,
            read_wait_seconds=settings.read_wait_seconds,
            writes_per_minute=settings.writes_per_minute,
            sign_ins_per_minute=settings.sign_ins_per_minute,
            metrics_token=settings.metrics_token,
            stream_heartbeat_seconds=settings.stream_heartbeat_seconds,
            stream_buffer=settings.stream_buffer,
            secret_key=instance_key,
            webhook_retry_seconds=settings.webhook_retry_seconds,
            webhook_first_retry_seconds=settings.webhook_first_retry_seconds,
            webhook_timeout_seconds=settings.webhook_timeout_seconds,
            webhook_concurrency=settings.webhook_concurrency,
            webhook_log_days=settings.webhook_log_days,
            webhook_allow_private_addresses=settings.webhook_allow_private_addresses,
        ),
    )
    federation.setup(
        app,
        federated.FederationOptions(
            base_url=settings.base_url,
            open_registrations=settings.registration == "open",
            authorized_fetch=settings.federation_authorized_fetch,
            allow_private_addresses=settings.federation_allow_private_addresses,
            inbox_rate=settings.federation_inbox_rate,
            inbox_burst=settings.federation_inbox_burst,
        ),
    )

    async def event_store(app: web.Application) -> AsyncIterator[None]:
        conn = await connect(database_url, "learnwork-migrate")
        try:
            applied = await migrate(conn)
        finally:
            await conn.close()
        if applied:
            log.info("database migrated to version %d", applied[-1].version)
        store = await EventStore.open(
            database_url,
            REGISTRY,
            pool_size=settings.db_pool_size,
            max_batch=settings.append_max_batch,
            max_wait=settings.append_max_wait_ms / 1000,
            max_event_bytes=settings.max_event_bytes,
        )
        app[STORE] = app[federated.STORE] = store
        vault = app[federated.VAULT] = KeyVault(store, instance_key)
        client = app[federated.CLIENT] = SignedClient(
            vault,
            allow_private=settings.federation_allow_private_addresses,
            timeout=settings.federation_timeout_seconds,
            connections=settings.federation_delivery_concurrency + FETCH_CONNECTIONS,
        )
        await client.start()
        instance_key_id = Urls(settings.base_url).instance.main_key
        app[federated.REMOTE_KEYS] = RemoteKeys(client, instance_key_id)
        app[COMMANDS] = app[federated.COMMANDS] = Commands.over(
            store, registration=RegistrationPolicy(settings.registration)
        )
        actors = app[federated.REMOTE_ACTORS] = RemoteActors(client, app[COMMANDS], instance_key_id)
        app[REMOTE_DIRECTORY] = app[federated.DIRECTORY] = Directory(
            Urls(settings.base_url),
            client,
            actors,
            plain_http=settings.federation_allow_private_addresses,
        )
        # Even when another process runs the projections, reads wait on their checkpoints.
        projections = all_projections()
        runner = ProjectionRunner(store, database_url, projections, poll_interval=0.5)
        app[RUNNER] = runner
        if settings.projections:
            runner.start()
        home_feeds = HomeFeedCache(store, projections, settings.home_feed_cache)
        await home_feeds.start()
        app[HOME_FEEDS] = home_feeds
        profiles = ProfileCache(store, projections, settings.profile_cache)
        await profiles.start()
        app[PROFILES] = profiles
        searches = SearchCache(store, projections, settings.search_cache)
        await searches.start()
        app[SEARCHES] = searches
        hub = StreamHub(store, runner, settings.base_url, settings.stream_heartbeat_seconds)
        await hub.start()
        app[STREAM_HUB] = hub
        sender = WebhookSender(app[COMMANDS], app[OPTIONS])
        sender.start()
        app[WEBHOOK_SENDER] = sender
        enqueuer = WebhookEnqueuer(
            store,
            runner,
            database_url,
            source=settings.base_url,
            retry_seconds=settings.webhook_retry_seconds,
            log_days=settings.webhook_log_days,
            enqueued=sender.wake,
        )
        enqueuer.start()
        delivery = app[DELIVERY] = DeliverySender(store, client, _delivery_options(settings))
        delivery.start()
        urls = Urls(settings.base_url)
        outbox = OutboxEnqueuer(
            store,
            runner,
            database_url,
            all_translators(urls, store) if translators is None else translators,
            vault,
            retry_seconds=settings.federation_retry_seconds,
            enqueued=delivery.wake,
        )
        outbox.start()
        yield
        await outbox.close()
        await delivery.close()
        await enqueuer.close()
        await sender.close()
        await hub.close()
        await searches.close()
        await profiles.close()
        await home_feeds.close()
        await runner.close()
        await client.close()
        await store.close()

    app.cleanup_ctx.append(event_store)
    return app


def _delivery_options(settings: Settings) -> DeliveryOptions:
    return DeliveryOptions(
        concurrency=settings.federation_delivery_concurrency,
        host_concurrency=settings.federation_host_concurrency,
        first_retry_seconds=settings.federation_first_retry_seconds,
        timeout_seconds=settings.federation_timeout_seconds,
    )
