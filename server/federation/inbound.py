"""What a verified activity does here: each kind has its handler, in the module of what it is
about (follows, content, interactions). An `Undo` goes to the handler of what it undoes,
named by the type of its embedded object, or — when it names the object by id only — to each
in turn until one knows the id. Activities of no known kind are accepted and not acted on.

A handler refuses with `Refused` (nothing written) and is idempotent on the activity's id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server.federation import inbound_content, inbound_follows, inbound_interactions
from server.federation.refused import malformed

Handler = Callable[[web.Request, dict[str, Any]], Awaitable[None]]
UndoHandler = Callable[[web.Request, dict[str, Any], str], Awaitable[bool]]
"""Undoes the activity of its kind whose id it is given, by the `Undo`'s actor; False when it
knows no such activity (so the next handler is asked)."""

HANDLERS: dict[str, Handler] = {
    **inbound_follows.HANDLERS,
    **inbound_content.HANDLERS,
    **inbound_interactions.HANDLERS,
}
UNDO_HANDLERS: dict[str, UndoHandler] = {
    **inbound_follows.UNDO_HANDLERS,
    **inbound_interactions.UNDO_HANDLERS,
}


async def act(request: web.Request, activity: dict[str, Any]) -> None:
    if activity["type"] == "Undo":
        await _undo(request, activity)
        return
    handler = HANDLERS.get(activity["type"])
    if handler is not None:
        await handler(request, activity)


async def _undo(request: web.Request, undo: dict[str, Any]) -> None:
    undone = undo.get("object")
    undone_id = undone.get("id") if isinstance(undone, dict) else undone
    if not isinstance(undone_id, str):
        raise malformed("object", "an Undo names what it undoes by its id")
    kind = undone.get("type") if isinstance(undone, dict) else None
    if isinstance(kind, str):
        handler = UNDO_HANDLERS.get(kind)
        if handler is not None:
            await handler(request, undo, undone_id)
        return
    for handler in UNDO_HANDLERS.values():
        if await handler(request, undo, undone_id):
            return
