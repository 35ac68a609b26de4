"""Typed application state shared by the API's handlers (set up by server.app)."""

from aiohttp import web

from server.events.store import EventStore

STORE = web.AppKey("store", EventStore)
