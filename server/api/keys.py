"""Typed application state shared by the API's handlers (set up by server.app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from server.commands.context import Commands
from server.events.store import EventStore
from server.events.types.remote import RemoteActorDescribed
from server.projections.home_cache import HomeFeedCache
from server.projections.profile_cache import ProfileCache
from server.projections.runner import ProjectionRunner
from server.projections.search_cache import SearchCache


def _no_secret_key() -> bytes:
    raise RuntimeError("the app factory gives the API the instance's secret key")


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """The settings the API needs, handed over by the app factory (the API never reads
    settings itself)."""

    base_url: str = "http://localhost:8080"
    read_wait_seconds: float = 10.0
    """How long a read with `Learnwork-Min-Position` waits for the read models."""
    writes_per_minute: int = 300
    """Per token and, separately ×2, per IP address."""
    sign_ins_per_minute: int = 10
    """Per IP address: sign-in, registration and token requests."""
    metrics_token: str | None = None
    """When set, `GET /metrics` needs it as a bearer token."""
    stream_heartbeat_seconds: float = 15.0
    """Quiet seconds after which an event stream sends a comment to keep proxies from closing it."""
    stream_buffer: int = 10_000
    """Events an event stream's consumer may fall behind before it is told so and disconnected."""
    secret_key: Callable[[], bytes] = _no_secret_key
    """The instance's secret key, from which webhook secrets are derived (the app factory gives
    it; server/secret_key.py)."""
    webhook_retry_seconds: float = 3 * 24 * 3600.0
    """How long a delivery is retried before it fails for good."""
    webhook_first_retry_seconds: float = 5.0
    """Wait before a delivery's first retry; each next one waits about twice as long."""
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 16
    """Deliveries a process sends at once."""
    webhook_log_days: int = 30
    """Days a delivery stays in the delivery log after its retry window ends."""
    webhook_allow_private_addresses: bool = False
    """Webhook URLs may point into private networks (tests, closed networks)."""


class RemoteDirectory(Protocol):
    """Finds actors on other servers (federation provides it; the app factory hands it over)."""

    async def resolve(self, text: str) -> RemoteActorDescribed:
        """The remote actor named by `text` (an id, or `user@host`); LookupError if none."""
        ...

    def activity_id(self) -> str:
        """A new id, on this instance, for an activity a member sends."""
        ...


STORE = web.AppKey("store", EventStore)
COMMANDS = web.AppKey("commands", Commands)
RUNNER = web.AppKey("runner", ProjectionRunner)
HOME_FEEDS = web.AppKey("home_feeds", HomeFeedCache)
PROFILES = web.AppKey("profiles", ProfileCache)
SEARCHES = web.AppKey("searches", SearchCache)
OPTIONS = web.AppKey("options", ApiOptions)
REMOTE_DIRECTORY = web.AppKey("remote_directory", RemoteDirectory)
