"""Members and what is on other servers (docs/federation.md, For members): look an actor up,
follow and unfollow it, see a remote post, artefact or path, and like it. What a member
follows there reaches their home feed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import msgspec

from server.api.keys import OPTIONS, REMOTE_DIRECTORY, RUNNER
from server.api.routing import Api, Call, Written, written
from server.commands import posts, remote
from server.domain import posts as post_rules
from server.domain import remote_objects
from server.domain.errors import Invalid, NotFound
from server.projections.remote_actors import RemoteActorView, described_view, get_remote_actor
from server.projections.remote_following import (
    RemoteFollowingView,
    follow_stands,
    list_following,
)
from server.projections.remote_objects import RemoteObjectView, get_remote_object

api = Api()


class LookupRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    actor: Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
    """An actor's id (a URL), or its name: `user@host`, `@user@host` or `acct:user@host`."""


@api.route(
    "POST",
    "/api/v1/remote/lookup",
    tag="remote",
    body=LookupRequest,
    response=RemoteActorView,
    scope="read",
    limit="write",
    errors=(422,),
)
async def look_up(call: Call) -> RemoteActorView:
    """Find a person or community on another server, fetched from there now. Its `id` is what
    to follow (answered once the read models know it)."""
    try:
        described = await call.request.app[REMOTE_DIRECTORY].resolve(call.body.actor)
    except LookupError as failed:
        raise Invalid(str(failed), "actor") from None
    # What is asked next names the actor by its id here: let the read models show it first.
    app = call.request.app
    async with asyncio.timeout(app[OPTIONS].read_wait_seconds):
        await app[RUNNER].wait_for(await call.cx.store.last_position())
    return described_view(described)


@api.route(
    "GET",
    "/api/v1/remote/following",
    tag="remote",
    response=list[RemoteFollowingView],
    scope="read",
)
async def following(call: Call) -> list[RemoteFollowingView]:
    """The actors on other servers you follow, or asked to (`pending` until they answer)."""
    async with call.db() as conn:
        return await list_following(conn, call.actor.member_id)


@api.route(
    "POST",
    "/api/v1/remote/actors/{id}/follow",
    tag="remote",
    response=Written,
    scope="write",
    limit="write",
    errors=(404,),
)
async def follow(call: Call) -> Written:
    """Follow a remote actor (looked up first): a `Follow` goes to it, and once it accepts, what
    it publishes reaches your home feed."""
    actor = await _actor(call)
    directory = call.request.app[REMOTE_DIRECTORY]
    results = await remote.follow(
        call.cx, call.actor.member_id, actor.actor_id, directory.activity_id()
    )
    return written(results, actor.id)


@api.route(
    "DELETE",
    "/api/v1/remote/actors/{id}/follow",
    tag="remote",
    response=Written,
    scope="write",
    limit="write",
    errors=(404,),
)
async def unfollow(call: Call) -> Written:
    """Stop following a remote actor: an `Undo` of the `Follow` goes to it."""
    actor = await _actor(call)
    return written(await remote.unfollow(call.cx, call.actor.member_id, actor.actor_id), actor.id)


@api.route(
    "GET",
    "/api/v1/remote/objects/{id}",
    tag="remote",
    response=RemoteObjectView,
    scope="read",
    errors=(404,),
)
async def get_object(call: Call) -> RemoteObjectView:
    """A post, artefact or path from another server, as it reached us."""
    return await _object(call)


@api.route(
    "POST",
    "/api/v1/remote/objects/{id}/like",
    tag="remote",
    response=Written,
    scope="write",
    limit="write",
    errors=(404,),
)
async def like(call: Call) -> Written:
    """Like it: a `Like` goes to its author."""
    found = await _object(call)
    command = remote_objects.Like(
        member_id=call.actor.member_id,
        like_id=call.request.app[REMOTE_DIRECTORY].activity_id(),
    )
    results = await remote.on_object(call.cx, found.object_id, command, actor=call.actor.member_id)
    return written(results, found.id)


@api.route(
    "DELETE",
    "/api/v1/remote/objects/{id}/like",
    tag="remote",
    response=Written,
    scope="write",
    limit="write",
    errors=(404,),
)
async def unlike(call: Call) -> Written:
    """Take your like back: an `Undo` of the `Like` goes to its author."""
    found = await _object(call)
    command = remote_objects.Unlike(member_id=call.actor.member_id)
    results = await remote.on_object(call.cx, found.object_id, command, actor=call.actor.member_id)
    return written(results, found.id)


class PostRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    body: str
    format: str = "markdown"


@api.route(
    "POST",
    "/api/v1/remote/objects/{id}/replies",
    tag="remote",
    body=PostRequest,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(404, 422),
)
async def reply(call: Call) -> Written:
    """Reply to it: a post on your profile that answers it (`in_reply_to_remote`), sent to its
    author — and to the group it was written in, which passes it on — and to your followers.
    The answer's `id` is your post's."""
    found = await _object(call)
    command = post_rules.ReplyRemote(
        actor=call.actor,
        body=call.body.body,
        format=call.body.format,
        object_id=found.object_id,
        object_stands=not found.deleted,
    )
    post_id, results = await posts.publish_elsewhere(call.cx, command)
    return written(results, post_id)


@api.route(
    "POST",
    "/api/v1/remote/actors/{id}/posts",
    tag="remote",
    body=PostRequest,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def post_in_group(call: Call) -> Written:
    """Write in a community on another server (a `Group` you follow, your follow accepted): a
    post on your profile whose `Create` goes to the group, which passes it on to its members,
    and to your followers. The answer's `id` is your post's."""
    group = await _actor(call)
    if group.kind != "Group":
        raise Invalid("only a group (a community) can be written in", "group")
    async with call.db() as conn:
        follows_group = await follow_stands(conn, call.actor.member_id, group.actor_id)
    command = post_rules.PublishInGroup(
        actor=call.actor,
        body=call.body.body,
        format=call.body.format,
        group=group.actor_id,
        follows_group=follows_group,
    )
    post_id, results = await posts.publish_elsewhere(call.cx, command)
    return written(results, post_id)


async def _actor(call: Call) -> RemoteActorView:
    async with call.db() as conn:
        found = await get_remote_actor(conn, _path_id(call))
    if found is None:
        raise NotFound("no such remote actor here: look it up first")
    return found


async def _object(call: Call) -> RemoteObjectView:
    async with call.db() as conn:
        found = await get_remote_object(conn, _path_id(call), call.actor.member_id)
    if found is None or found.deleted:
        raise NotFound("no such remote object")
    return found


def _path_id(call: Call) -> str:
    try:
        return str(uuid.UUID(call.request.match_info["id"]))
    except ValueError:
        raise NotFound("no such remote actor or object") from None
