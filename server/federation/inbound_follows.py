"""Inbound follows: a remote actor's `Follow` of one of our members or public communities, and
its `Undo`."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web

from server.commands import remote, remote_follows
from server.domain.common import is_id
from server.domain.errors import DomainError
from server.federation.refused import Refused, malformed
from server.federation.remote_actors import NotAnActor
from server.federation.remote_content import ids
from server.federation.state import COMMANDS, OPTIONS, REMOTE_ACTORS, STORE
from server.federation.urls import PREFIX, Urls
from server.projections.remote_followers import follow_target
from server.projections.remote_following import pending_follow


async def follow(request: web.Request, activity: dict[str, Any]) -> None:
    urls = Urls(request.app[OPTIONS].base_url)
    target = ours(urls, activity.get("object"))
    if target is None:
        raise Refused(404, "Not Found", "the Follow's object is no actor of this instance")
    try:
        follower = await request.app[REMOTE_ACTORS].get(activity["actor"])
    except NotAnActor as failed:
        raise Refused(400, "Bad Request", f"the follower: {failed}") from None
    try:
        await remote_follows.receive_follow(
            request.app[COMMANDS],
            target_kind=target[0],
            target_id=target[1],
            follower=activity["actor"],
            inbox=follower.inbox,
            shared_inbox=follower.shared_inbox,
            follow_id=activity["id"],
        )
    except DomainError as refused:
        raise Refused(404, "Not Found", refused.detail) from None


async def undo_follow(request: web.Request, undo: dict[str, Any], follow_id: str) -> bool:
    async with request.app[STORE].pool.acquire() as conn:
        target_id = await follow_target(conn, undo["actor"], follow_id)
    if target_id is None:
        return False  # no such follow here: nothing to undo
    await remote_follows.receive_undo(
        request.app[COMMANDS],
        target_id=target_id,
        follower=undo["actor"],
        follow_id=follow_id,
    )
    return True


async def accept(request: web.Request, activity: dict[str, Any]) -> None:
    await _answer(request, activity, accepted=True)


async def reject(request: web.Request, activity: dict[str, Any]) -> None:
    await _answer(request, activity, accepted=False)


async def _answer(request: web.Request, activity: dict[str, Any], *, accepted: bool) -> None:
    """A remote actor's answer to one of our members' `Follow`s, named by its id (what else it
    accepts, we never asked for)."""
    named = ids(activity.get("object"))
    if not named:
        raise malformed("object", "an Accept or Reject names the Follow it answers by its id")
    async with request.app[STORE].pool.acquire() as conn:
        asked = await pending_follow(conn, named[0])
    if asked is None or asked[1] != activity["actor"]:
        return
    await remote.receive_answer(
        request.app[COMMANDS],
        member_id=asked[0],
        actor_id=asked[1],
        follow_id=named[0],
        accepted=accepted,
    )


HANDLERS = {"Follow": follow, "Accept": accept, "Reject": reject}
UNDO_HANDLERS = {"Follow": undo_follow}


def ours(urls: Urls, target: object) -> tuple[Literal["member", "community"], str] | None:
    """(kind, id) of the member or community actor `target` is the id of, if it is ours."""
    if not isinstance(target, str) or not target.startswith(urls.base + PREFIX + "/"):
        return None
    kind, _, entity = target.removeprefix(urls.base + PREFIX + "/").partition("/")
    if not is_id(entity):
        return None
    if kind == "members":
        return "member", entity
    if kind == "communities":
        return "community", entity
    return None
