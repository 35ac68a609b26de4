"""Post commands: publishing, replying, editing, deleting, liking and moderators' removal.

Each loads the post (and, for a reply, its parent) and the acting member's access to the
community the post is in, from the log, and lets `server.domain.posts` decide.
"""

from __future__ import annotations

from collections.abc import Callable

from server.commands.aggregates import POSTS
from server.commands.communities import access_for
from server.commands.context import Commands, new_id
from server.domain import posts
from server.domain.common import Actor, CommunityAccess
from server.domain.errors import NotFound
from server.events import AppendResult, StreamAppend

CommandFor = Callable[[CommunityAccess | None], posts.Command]
"""Makes a post command given the actor's access to the post's community (None: on a
profile)."""


async def publish(
    cx: Commands, actor: Actor, *, body: str, format: str, community_id: str | None = None
) -> tuple[str, list[AppendResult]]:
    """A new post on the actor's profile, or in `community_id`."""
    post_id = new_id()

    async def decide() -> list[StreamAppend]:
        loaded = cx.repo.new(POSTS, post_id)
        access = None
        if community_id is not None:
            access = await access_for(cx, community_id, actor.member_id)
        events = posts.decide(
            loaded.state,
            posts.Publish(actor=actor, body=body, format=format, community=access),
        )
        return [StreamAppend(POSTS.stream(post_id), events, loaded.expected)]

    return post_id, await cx.run(decide, actor=actor.member_id)


async def reply(
    cx: Commands, actor: Actor, *, parent_id: str, body: str, format: str
) -> tuple[str, list[AppendResult]]:
    """A reply to `parent_id`, in the parent's community and thread."""
    post_id = new_id()

    async def decide() -> list[StreamAppend]:
        loaded = cx.repo.new(POSTS, post_id)
        parent = await cx.repo.load(POSTS, parent_id)
        access = None
        if parent.state.community_id is not None:
            access = await access_for(cx, parent.state.community_id, actor.member_id)
        events = posts.decide(
            loaded.state,
            posts.Reply(
                actor=actor,
                body=body,
                format=format,
                parent=parent.state if parent.version else None,
                community=access,
            ),
        )
        return [StreamAppend(POSTS.stream(post_id), events, loaded.expected)]

    return post_id, await cx.run(decide, actor=actor.member_id)


async def publish_elsewhere(
    cx: Commands, command: posts.ReplyRemote | posts.PublishInGroup
) -> tuple[str, list[AppendResult]]:
    """A new post, on the actor's profile, about something on another server — a reply to a
    remote object, a post in a remote group — with the facts about it the caller gathered."""
    post_id = new_id()

    async def decide() -> list[StreamAppend]:
        loaded = cx.repo.new(POSTS, post_id)
        events = posts.decide(loaded.state, command)
        return [StreamAppend(POSTS.stream(post_id), events, loaded.expected)]

    return post_id, await cx.run(decide, actor=command.actor.member_id)


async def edit(
    cx: Commands, actor: Actor, post_id: str, *, body: str, format: str | None = None
) -> list[AppendResult]:
    """The author rewrites the post (`format` None keeps its format)."""
    return await _act(
        cx, actor, post_id, lambda _: posts.Edit(actor=actor, body=body, format=format)
    )


async def delete(cx: Commands, actor: Actor, post_id: str) -> list[AppendResult]:
    """The author deletes the post: it becomes a tombstone."""
    return await _act(cx, actor, post_id, lambda _: posts.Delete(actor=actor))


async def like(cx: Commands, actor: Actor, post_id: str) -> list[AppendResult]:
    return await _act(cx, actor, post_id, lambda access: posts.Like(actor=actor, community=access))


async def unlike(cx: Commands, actor: Actor, post_id: str) -> list[AppendResult]:
    return await _act(
        cx, actor, post_id, lambda access: posts.Unlike(actor=actor, community=access)
    )


async def like_remotely(
    cx: Commands, post_id: str, *, actor_id: str, like_id: str
) -> list[AppendResult]:
    """A verified `Like` from another server: the post must be one anyone may read."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(POSTS, post_id)
        access = None
        if loaded.state.community_id is not None:
            access = await access_for(cx, loaded.state.community_id, None)
        command = posts.LikeRemotely(actor_id=actor_id, like_id=like_id, community=access)
        events = posts.decide(loaded.state, command)
        return [StreamAppend(POSTS.stream(post_id), events, loaded.expected)]

    return await cx.run(decide)


async def unlike_remotely(
    cx: Commands, post_id: str, *, actor_id: str, like_id: str
) -> list[AppendResult]:
    """A verified `Undo` of such a `Like`."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(POSTS, post_id)
        command = posts.UnlikeRemotely(actor_id=actor_id, like_id=like_id)
        events = posts.decide(loaded.state, command)
        return [StreamAppend(POSTS.stream(post_id), events, loaded.expected)]

    return await cx.run(decide)


async def remove(cx: Commands, actor: Actor, post_id: str, *, reason: str) -> list[AppendResult]:
    """A moderator of the post's community (or an instance admin) takes the post down."""
    return await _act(
        cx,
        actor,
        post_id,
        lambda access: posts.Remove(actor=actor, reason=reason, community=access),
    )


async def _act(
    cx: Commands,
    actor: Actor,
    post_id: str,
    command: CommandFor,
) -> list[AppendResult]:
    """Decide the command `command(access)` makes on the post's current state, where `access`
    is the actor's access to the post's community (None for a post on a profile)."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(POSTS, post_id)
        access = None
        if loaded.state.community_id is not None:
            access = await access_for(cx, loaded.state.community_id, actor.member_id)
            if actor.member_id != loaded.state.author_id and not _sees(actor, access):
                # Edit and delete take no access (only the author may), but to anyone else a
                # post in a members-only community they cannot see does not exist.
                raise NotFound("no such post")
        events = posts.decide(loaded.state, command(access))
        return [StreamAppend(POSTS.stream(post_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


def _sees(actor: Actor, access: CommunityAccess) -> bool:
    """As the post decider: a members-only community's posts exist for its members and
    instance admins only."""
    return access.visible or (access.exists and actor.admin)
