"""What federation's handlers share, set up by the app factory (federation never reads
settings itself, and does not reach into the API's state)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from server.events.store import EventStore
from server.federation.keys import KeyVault


@dataclass(frozen=True, slots=True)
class FederationOptions:
    base_url: str
    """The instance's public base URL: every actor's and object's id starts with it."""
    open_registrations: bool
    """Whether anyone may register (NodeInfo says so)."""


OPTIONS = web.AppKey("federation_options", FederationOptions)
STORE = web.AppKey("federation_store", EventStore)
VAULT = web.AppKey("federation_vault", KeyVault)
