"""What federation's handlers share, set up by the app factory (federation never reads
settings itself, and does not reach into the API's state)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from server.commands.context import Commands
from server.events.store import EventStore
from server.federation.client import SignedClient
from server.federation.keys import KeyVault
from server.federation.lookup import Directory
from server.federation.remote_actors import RemoteActors
from server.federation.remote_keys import RemoteKeys
from server.ratelimit import RateLimiter


@dataclass(frozen=True, slots=True)
class FederationOptions:
    base_url: str
    """The instance's public base URL: every actor's and object's id starts with it."""
    open_registrations: bool
    """Whether anyone may register (NodeInfo says so)."""
    authorized_fetch: bool = False
    """Answer requests for actors and collections only when signed."""
    allow_private_addresses: bool = False
    """Let requests to other servers reach private, loopback and link-local addresses."""
    inbox_rate: float = 20.0
    """Activities per second the inbox takes from one remote server, on average."""
    inbox_burst: int = 200
    """Activities one remote server may deliver at once before `inbox_rate` applies."""


OPTIONS = web.AppKey("federation_options", FederationOptions)
STORE = web.AppKey("federation_store", EventStore)
VAULT = web.AppKey("federation_vault", KeyVault)
CLIENT = web.AppKey("federation_client", SignedClient)
REMOTE_KEYS = web.AppKey("federation_remote_keys", RemoteKeys)
COMMANDS = web.AppKey("federation_commands", Commands)
REMOTE_ACTORS = web.AppKey("federation_remote_actors", RemoteActors)
DIRECTORY = web.AppKey("federation_directory", Directory)
INBOX_LIMITER = web.AppKey("federation_inbox_limiter", RateLimiter)
"""Activities into the inbox, per remote host."""
