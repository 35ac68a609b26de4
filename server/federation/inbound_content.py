"""Inbound content: another server's posts, artefacts and paths (`Note`s and `Article`s) that
concern us — by an actor a member here follows, in or shared by a group a member follows, a
reply to something here, or addressed to one of our actors. Anything else is accepted and not
kept, so nobody fills our database by sending to our inbox.

- `Create`: the object, written by the activity's actor (its `attributedTo`).
- `Announce`: the object shared by the actor (Mastodon's boost, FEP-1b12's group passing its
  members' posts on); or a group's announce of a `Create`, `Update` or `Delete` (Lemmy's way).
- `Update`: the object's new content (only its author's counts); or the actor's own document.
- `Delete`: a tombstone.

An object is trusted as embedded only when its id is on the host of the actor who signed the
activity; else it is fetched from its own id (signed, as the instance) — never from a blocked
domain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import msgspec
from aiohttp import web

from server.commands import remote
from server.domain import remote_objects
from server.events.types.remote import RemoteObjectReceived
from server.federation import remote_content
from server.federation.client import FetchFailed
from server.federation.inbound_follows import ours
from server.federation.keys import INSTANCE
from server.federation.refused import Refused, malformed
from server.federation.remote_actors import KINDS, NotAnActor, describe
from server.federation.remote_content import Unreadable, actor_of, ids, link
from server.federation.state import CLIENT, COMMANDS, OPTIONS, REMOTE_ACTORS, STORE
from server.federation.urls import PREFIX, Urls
from server.projections.domain_blocks import blocked
from server.projections.posts import get_post
from server.projections.remote_followers import follows
from server.projections.remote_following import followed_by_anyone
from server.projections.remote_objects import known_object


async def create(request: web.Request, activity: dict[str, Any]) -> None:
    document = await _object(request, activity)
    if document is None or document.get("type") not in remote_content.TYPES:
        return
    if actor_of(document.get("attributedTo")) != activity["actor"]:
        raise Refused(
            403, "Forbidden", "only the object's author creates it", reason="not_the_author"
        )
    await _receive(request, document, activity["id"], shared_by=None)


async def announce(request: web.Request, activity: dict[str, Any]) -> None:
    inner = activity.get("object")
    if isinstance(inner, dict) and inner.get("type") in ("Create", "Update", "Delete"):
        await _announced_activity(request, activity, inner)
        return
    document = await _object(request, activity)
    if document is None or document.get("type") not in remote_content.TYPES:
        return
    await _receive(request, document, activity["id"], shared_by=activity["actor"])


async def update(request: web.Request, activity: dict[str, Any]) -> None:
    document = activity.get("object")
    if not isinstance(document, dict):
        return
    actor = activity["actor"]
    if document.get("type") in KINDS and document.get("id") == actor:
        await _redescribe(request, actor, document)
        return
    if document.get("type") not in remote_content.TYPES or not isinstance(document.get("id"), str):
        return
    if not _same_host(document["id"], actor):
        raise Refused(403, "Forbidden", "an object is updated from its own server")
    command = remote_objects.Update(
        actor=actor,
        activity_id=activity["id"],
        content=_read(remote_content.content, document),
        updated=remote_content.moment(document.get("updated")) or datetime.now(UTC),
    )
    await remote.on_object(request.app[COMMANDS], document["id"], command)


async def delete(request: web.Request, activity: dict[str, Any]) -> None:
    named = ids(activity.get("object"))
    if not named:
        raise malformed("object", "a Delete names what it deletes by its id")
    if named[0] == activity["actor"]:
        return  # an account deleted: what it wrote is tombstoned by its own Deletes
    command = remote_objects.Delete(actor=activity["actor"], activity_id=activity["id"])
    await remote.on_object(request.app[COMMANDS], named[0], command)


HANDLERS = {"Create": create, "Announce": announce, "Update": update, "Delete": delete}


async def _announced_activity(
    request: web.Request, announce: dict[str, Any], inner: dict[str, Any]
) -> None:
    """A group's `Announce` of an activity of one of its members: believed when that activity
    comes from the group's own server, which vouches for it by signing the `Announce`."""
    inner_actor = actor_of(inner.get("actor"))
    if inner_actor is None or not _same_host(inner_actor, announce["actor"]):
        return
    shared = {**inner, "actor": inner_actor, "id": inner.get("id") or announce["id"]}
    if inner["type"] == "Create":
        document = inner.get("object")
        if not isinstance(document, dict) or document.get("type") not in remote_content.TYPES:
            return
        if not _same_host(str(document.get("id")), announce["actor"]):
            return
        if actor_of(document.get("attributedTo")) != inner_actor:
            return
        await _receive(request, document, shared["id"], shared_by=announce["actor"])
    elif inner["type"] == "Update":
        await update(request, shared)
    else:
        await delete(request, shared)


async def _receive(
    request: web.Request, document: dict[str, Any], activity_id: str, *, shared_by: str | None
) -> None:
    object_id = document.get("id")
    author = actor_of(document.get("attributedTo"))
    if not isinstance(object_id, str) or author is None:
        raise malformed("object", "an object needs its id and its attributedTo")
    if not _same_host(object_id, author):
        raise Refused(403, "Forbidden", "an object's author is on the object's own server")
    if _same_host(object_id, request.app[OPTIONS].base_url):
        return  # ours, passed back to us (a group elsewhere announcing our member's reply)
    if not await _concerns(request, document, author, shared_by):
        return
    try:
        await request.app[REMOTE_ACTORS].get(author)
    except NotAnActor as failed:
        raise Refused(400, "Bad Request", f"the object's author: {failed}") from None
    received = _read(lambda d: remote_content.received(d, activity_id), document)
    urls = Urls(request.app[OPTIONS].base_url)
    reply_to_post = urls.post_id(received.in_reply_to)
    async with request.app[STORE].pool.acquire() as conn:
        community_id = await _community(conn, urls, document, received, reply_to_post)
    received = msgspec.structs.replace(
        received, reply_to_post=reply_to_post, community_id=community_id
    )
    command = remote_objects.Receive(received=received, shared_by=shared_by)
    await remote.on_object(request.app[COMMANDS], object_id, command)


async def _community(
    conn: asyncpg.Connection,
    urls: Urls,
    document: dict[str, Any],
    received: RemoteObjectReceived,
    reply_to_post: str | None,
) -> str | None:
    """The public community of ours the object was written in — addressed to it, or answering
    a post in it — if its author follows that community (a remote member of it)."""
    if not received.public:
        return None
    named = [*ids(document.get("audience")), *ids(document.get("to")), *ids(document.get("cc"))]
    candidates = [found[1] for n in named if (found := ours(urls, n)) and found[0] == "community"]
    if reply_to_post is not None:
        parent = await get_post(conn, reply_to_post, None)
        if parent is not None and parent.community_id is not None:
            candidates.append(parent.community_id)
    for community_id in dict.fromkeys(candidates):
        if await follows(conn, received.author, community_id):
            return community_id
    return None


async def _concerns(
    request: web.Request, document: dict[str, Any], author: str, shared_by: str | None
) -> bool:
    urls = Urls(request.app[OPTIONS].base_url)
    ours = urls.base + PREFIX + "/"
    parent = link(document.get("inReplyTo"))
    addressed = [*ids(document.get("to")), *ids(document.get("cc"))]
    if parent is not None and parent.startswith(ours):
        return True
    if any(recipient.startswith(ours) for recipient in addressed):
        return True
    actors = [author, *([shared_by] if shared_by else []), *ids(document.get("audience"))]
    async with request.app[STORE].pool.acquire() as conn:
        if parent is not None and await known_object(conn, parent):
            return True
        return await followed_by_anyone(conn, actors)


async def _object(request: web.Request, activity: dict[str, Any]) -> dict[str, Any] | None:
    """The activity's object: as embedded when it comes from the signer's host, else fetched
    from its id (None when it cannot be)."""
    value = activity.get("object")
    named = ids(value)
    if not named:
        raise malformed("object", "an activity names its object by its id")
    object_id = named[0]
    if isinstance(value, dict) and _same_host(object_id, activity["actor"]):
        return value
    host = urlsplit(object_id).netloc
    async with request.app[STORE].pool.acquire() as conn:
        if not host or await blocked(conn, host) is not None:
            return None
    urls = Urls(request.app[OPTIONS].base_url)
    try:
        document = await request.app[CLIENT].get(
            object_id, actor=INSTANCE, key_id=urls.instance.main_key
        )
    except FetchFailed:
        return None
    return document if document.get("id") == object_id else None


async def _redescribe(request: web.Request, actor: str, document: dict[str, Any]) -> None:
    try:
        described = describe(actor, document)
    except NotAnActor as failed:
        raise malformed("object", str(failed)) from None
    await remote.describe_actor(request.app[COMMANDS], described)


def _read(read: Any, document: dict[str, Any]) -> Any:
    try:
        return read(document)
    except Unreadable as unreadable:
        raise malformed(f"object.{unreadable.field}", str(unreadable)) from None
    except msgspec.ValidationError as invalid:
        raise malformed("object", str(invalid)) from None


def _same_host(url: str, other: str) -> bool:
    host = urlsplit(url).netloc.lower()
    return bool(host) and host == urlsplit(other).netloc.lower()
