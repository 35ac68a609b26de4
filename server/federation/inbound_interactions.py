"""Inbound interactions: another server's actors liking our posts (`Like`) and endorsing our
members' skills (`Endorse`, Learnwork's extension: docs/federation.md), and their `Undo`s.

A like counts for a post anyone may read; a post that is not (gone, in a members-only
community) or is not ours is a 404, with nothing written. The activity's id is the like's: the
same `Like` again changes nothing, and its `Undo` names it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.commands import posts as post_commands
from server.domain.common import is_id
from server.domain.errors import DomainError
from server.federation.refused import Refused
from server.federation.state import COMMANDS, OPTIONS, STORE
from server.federation.urls import PREFIX, Urls
from server.projections.posts import remote_like_post


async def like(request: web.Request, activity: dict[str, Any]) -> None:
    post_id = _our_post(request, activity.get("object"))
    if post_id is None:
        raise Refused(404, "Not Found", "the Like's object is no post of this instance")
    try:
        await post_commands.like_remotely(
            request.app[COMMANDS], post_id, actor_id=activity["actor"], like_id=activity["id"]
        )
    except DomainError as refused:
        raise Refused(404, "Not Found", refused.detail) from None


async def undo_like(request: web.Request, undo: dict[str, Any], like_id: str) -> bool:
    undone = undo.get("object")
    post_id = _our_post(request, undone.get("object")) if isinstance(undone, dict) else None
    if post_id is None:
        async with request.app[STORE].pool.acquire() as conn:
            post_id = await remote_like_post(conn, undo["actor"], like_id)
    if post_id is None:
        return False
    try:
        await post_commands.unlike_remotely(
            request.app[COMMANDS], post_id, actor_id=undo["actor"], like_id=like_id
        )
    except DomainError:
        return False  # no such post: nothing to take back
    return True


HANDLERS = {"Like": like}
UNDO_HANDLERS = {"Like": undo_like}


def _our_post(request: web.Request, target: object) -> str | None:
    """The id of our post whose ActivityPub id is `target` (or the `id` of the object it is)."""
    if isinstance(target, dict):
        target = target.get("id")
    prefix = Urls(request.app[OPTIONS].base_url).base + PREFIX + "/posts/"
    if not isinstance(target, str) or not target.startswith(prefix):
        return None
    post_id = target.removeprefix(prefix)
    return post_id if is_id(post_id) else None
