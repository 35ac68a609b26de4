"""Inbound interactions: another server's actors liking our posts (`Like`) and endorsing our
members' skills (`Endorse`, Learnwork's extension: docs/federation.md), and their `Undo`s.

A like counts for a post anyone may read; a post that is not (gone, in a members-only
community) or is not ours is a 404, with nothing written. An `Endorse` counts for an active
member of ours, naming a skill (`skill`, with an optional plain-text `comment`). The
activity's id is the like's or the endorsement's: the same activity again changes nothing, and
its `Undo` names it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.commands import posts as post_commands
from server.commands import remote_endorsements
from server.domain.errors import DomainError, NotFound
from server.federation.inbound_follows import ours
from server.federation.refused import Refused, malformed
from server.federation.remote_actors import NotAnActor
from server.federation.state import COMMANDS, OPTIONS, REMOTE_ACTORS, STORE
from server.federation.urls import Urls
from server.projections.endorsements import received_endorsement
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


async def endorse(request: web.Request, activity: dict[str, Any]) -> None:
    member_id = _our_member(request, activity.get("object"))
    if member_id is None:
        raise Refused(404, "Not Found", "the Endorse's object is no member of this instance")
    skill, comment = activity.get("skill"), activity.get("comment", "")
    if not isinstance(skill, str):
        raise malformed("skill", "an Endorse names the skill endorsed: a string")
    try:  # known by name, as the endorsement is shown
        await request.app[REMOTE_ACTORS].get(activity["actor"])
    except NotAnActor as failed:
        raise Refused(400, "Bad Request", f"the endorser: {failed}") from None
    try:
        await remote_endorsements.receive(
            request.app[COMMANDS],
            actor_id=activity["actor"],
            member_id=member_id,
            skill=skill,
            comment=comment if isinstance(comment, str) else "",
            endorse_id=activity["id"],
        )
    except NotFound as refused:
        raise Refused(404, "Not Found", refused.detail) from None
    except DomainError as refused:
        raise malformed(refused.field or "body", refused.detail) from None


async def undo_endorse(request: web.Request, undo: dict[str, Any], endorse_id: str) -> bool:
    undone = undo.get("object")
    async with request.app[STORE].pool.acquire() as conn:
        found = await received_endorsement(conn, undo["actor"], endorse_id)
    if found is None and isinstance(undone, dict) and isinstance(undone.get("skill"), str):
        member_id = _our_member(request, undone.get("object"))
        found = None if member_id is None else (member_id, undone["skill"])
    if found is None:
        return False
    member_id, skill = found
    await remote_endorsements.receive_undo(
        request.app[COMMANDS],
        actor_id=undo["actor"],
        member_id=member_id,
        skill=skill,
        endorse_id=endorse_id,
    )
    return True


HANDLERS = {"Like": like, "Endorse": endorse}
UNDO_HANDLERS = {"Like": undo_like, "Endorse": undo_endorse}


def _our_member(request: web.Request, target: object) -> str | None:
    found = ours(Urls(request.app[OPTIONS].base_url), target)
    return found[1] if found is not None and found[0] == "member" else None


def _our_post(request: web.Request, target: object) -> str | None:
    """The id of our post whose ActivityPub id is `target` (or the `id` of the object it is)."""
    if isinstance(target, dict):
        target = target.get("id")
    return Urls(request.app[OPTIONS].base_url).post_id(target)
