"""The post aggregate: posts on a member's profile or in a community, replies, edits, likes,
deletion by the author and removal by moderators. Stream `post-<id>`.

Pure: `evolve` folds events into `Post`, `decide` turns a command into events or refuses it.
Facts from other aggregates arrive in the command: the community as a `CommunityAccess` for the
acting member (`server.domain.communities.access`), and for a reply the parent's `Post` state.

Rules that hold whatever the commands:
- who may see a post: anyone, for a post on a profile or in a public community; for a post in a
  members-only community, its members and instance admins — anyone else is told it does not
  exist (`NotFound`), like the community itself;
- posting or replying in a community takes a member who is not banned; a reply is in its
  parent's community and thread, whatever the command says;
- only the author edits or deletes; a deleted or removed post is never edited again, cannot be
  replied to nor liked, and its body is not kept in the state (the log still holds it);
- a member likes a post at most once, and never their own (likes count other people's
  appreciation); liking twice or unliking what was not liked changes nothing;
- an actor on another server likes a post anyone may read (published, not in a members-only
  community) at most once, whatever the ids of its `Like`s; it takes back only the like it
  gave, by that `Like`'s id;
- a post in a community is removed by its moderators or owners, any post by an instance admin.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from server.domain.common import Actor, CommunityAccess
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types.posts import (
    PostDeleted,
    PostEdited,
    PostLiked,
    PostLikedRemotely,
    PostPublished,
    PostRemoved,
    PostUnliked,
    PostUnlikedRemotely,
)

FORMATS: tuple[str, ...] = ("markdown", "plain")
MAX_BODY = 100_000
MAX_REASON = 2_000

Status = Literal["none", "published", "deleted", "removed"]
"""`none`: nothing published under this id (the state before the first event)."""


class Post(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    author_id: str = ""
    community_id: str | None = None
    """None: on the author's profile."""
    in_reply_to: str | None = None
    in_reply_to_remote: str | None = None
    """The ActivityPub id of what it answers on another server."""
    group_remote: str | None = None
    """The ActivityPub id of the group on another server it was written in."""
    thread_id: str = ""
    """The first post of the thread (the post itself unless it is a reply)."""
    body: str = ""
    """As the author wrote it; "" once the post is deleted or removed."""
    format: str = "markdown"
    likers: frozenset[str] = frozenset()
    remote_likes: tuple[tuple[str, str], ...] = ()
    """(actor id, its `Like`'s id) of each actor on another server who likes it."""
    edits: int = 0
    """How many times the author edited it."""

    @property
    def published(self) -> bool:
        return self.status == "published"

    def remote_like_of(self, actor_id: str) -> str | None:
        """The id of the `Like` by which `actor_id` likes the post, if it does."""
        return next((like for actor, like in self.remote_likes if actor == actor_id), None)


def initial(post_id: str) -> Post:
    return Post(id=post_id)


def stream(post_id: str) -> str:
    return f"post-{post_id}"


# -- commands -------------------------------------------------------------------------------


class Publish(msgspec.Struct, frozen=True, kw_only=True):
    """A new post: on the actor's profile (`community` None) or in a community."""

    actor: Actor
    body: str
    format: str = "markdown"
    community: CommunityAccess | None = None
    """The actor's access to the community to post in (named `community_id` in errors)."""


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """A reply to `parent` (named `in_reply_to` in errors), in the parent's community."""

    actor: Actor
    body: str
    format: str = "markdown"
    parent: Post | None
    """The parent's state; None if the service found no such post."""
    community: CommunityAccess | None = None
    """The actor's access to the parent's community; required when the parent is in one."""


class ReplyRemote(msgspec.Struct, frozen=True, kw_only=True):
    """A reply to a remote object (named `in_reply_to` in errors): on the actor's profile."""

    actor: Actor
    body: str
    format: str = "markdown"
    object_id: str
    """The remote object's ActivityPub id."""
    object_stands: bool
    """It is here and not a tombstone."""


class PublishInGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A new post in a group on another server (named `group` in errors)."""

    actor: Actor
    body: str
    format: str = "markdown"
    group: str
    """The group's ActivityPub id."""
    follows_group: bool
    """The actor's follow of the group stands: they are one of its members."""


class Edit(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    body: str
    format: str | None = None
    """None keeps the current format."""


class Delete(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


class Like(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess | None = None
    """The actor's access to the post's community; required when the post is in one."""


class Unlike(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess | None = None
    """As for `Like`; only consulted when the actor has not liked the post."""


class LikeRemotely(msgspec.Struct, frozen=True, kw_only=True):
    """A verified `Like` (id `like_id`) by `actor_id`, an actor on another server."""

    actor_id: str
    like_id: str
    community: CommunityAccess | None = None
    """An anonymous reader's access to the post's community; required when the post is in
    one (only what anyone may read is liked from elsewhere)."""


class UnlikeRemotely(msgspec.Struct, frozen=True, kw_only=True):
    """`actor_id`'s `Undo` of its `Like` `like_id`."""

    actor_id: str
    like_id: str


class Remove(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    reason: str
    community: CommunityAccess | None = None
    """The actor's access to the post's community; required when the post is in one."""


Command = (
    Publish
    | Reply
    | ReplyRemote
    | PublishInGroup
    | Edit
    | Delete
    | Like
    | Unlike
    | LikeRemotely
    | UnlikeRemotely
    | Remove
)


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: Post, event: Event) -> Post:
    replace = msgspec.structs.replace
    match event:
        case PostPublished():
            return replace(
                state,
                status="published",
                author_id=event.author_id,
                community_id=event.community_id,
                in_reply_to=event.in_reply_to,
                in_reply_to_remote=event.in_reply_to_remote,
                group_remote=event.group_remote,
                thread_id=event.thread_id,
                body=event.body,
                format=event.format,
            )
        case PostEdited():
            return replace(state, body=event.body, format=event.format, edits=state.edits + 1)
        case PostDeleted():
            return replace(state, status="deleted", body="")
        case PostRemoved():
            return replace(state, status="removed", body="")
        case PostLiked():
            return replace(state, likers=state.likers | {event.member_id})
        case PostUnliked():
            return replace(state, likers=state.likers - {event.member_id})
        case PostLikedRemotely():
            return replace(
                state, remote_likes=(*state.remote_likes, (event.actor_id, event.like_id))
            )
        case PostUnlikedRemotely():
            likes = tuple(like for like in state.remote_likes if like[0] != event.actor_id)
            return replace(state, remote_likes=likes)
    return state


# -- decide ---------------------------------------------------------------------------------


def decide(state: Post, command: Command) -> list[Event]:
    match command:
        case Publish():
            return _publish(state, command)
        case Reply():
            return _reply(state, command)
        case ReplyRemote():
            return _reply_remote(state, command)
        case PublishInGroup():
            return _publish_in_group(state, command)
    if state.status == "none":
        raise NotFound("no such post")
    match command:
        case Edit():
            return _edit(state, command)
        case Delete():
            _require_author(state, command.actor, "delete")
            if state.status != "published":
                return []  # already deleted (or removed): the tombstone is there
            return [PostDeleted()]
        case Like():
            access = _require_visible(state, command.actor, command.community)
            if command.actor.member_id == state.author_id:
                raise Invalid("you cannot like your own post", "post_id")
            if access is not None and access.banned:
                raise Forbidden("you are banned from this community", "post_id")
            if command.actor.member_id in state.likers:
                return []
            return [PostLiked(member_id=command.actor.member_id)]
        case Unlike():
            if command.actor.member_id in state.likers and state.published:
                return [PostUnliked(member_id=command.actor.member_id)]
            _require_visible(state, command.actor, command.community)
            return []
        case LikeRemotely():
            if not state.published:
                raise NotFound("no such post")
            if state.community_id is not None:
                if not _access_for(state, command.community).visible:
                    raise NotFound("no such post")
            if state.remote_like_of(command.actor_id) is not None:
                return []
            return [PostLikedRemotely(actor_id=command.actor_id, like_id=command.like_id)]
        case UnlikeRemotely():
            if not state.published or state.remote_like_of(command.actor_id) != command.like_id:
                return []
            return [PostUnlikedRemotely(actor_id=command.actor_id, like_id=command.like_id)]
        case Remove():
            return _remove(state, command)
    raise TypeError(f"not a post command: {command!r}")


def _publish(state: Post, command: Publish) -> list[Event]:
    _require_new(state)
    community_id = None
    if command.community is not None:
        _require_poster(command.actor, command.community, "community_id")
        community_id = command.community.community_id
    return [
        PostPublished(
            author_id=command.actor.member_id,
            body=_body(command.body),
            format=_format(command.format),
            thread_id=state.id,
            community_id=community_id,
        )
    ]


def _reply(state: Post, command: Reply) -> list[Event]:
    _require_new(state)
    parent = command.parent
    if parent is None or not parent.published:
        raise NotFound("no such post to reply to", "in_reply_to")
    if parent.community_id is not None:
        access = _access_for(parent, command.community)
        _require_poster(command.actor, access, "in_reply_to")
    return [
        PostPublished(
            author_id=command.actor.member_id,
            body=_body(command.body),
            format=_format(command.format),
            thread_id=parent.thread_id,
            community_id=parent.community_id,
            in_reply_to=parent.id,
        )
    ]


def _reply_remote(state: Post, command: ReplyRemote) -> list[Event]:
    _require_new(state)
    if not command.object_stands:
        raise NotFound("no such remote object to reply to", "in_reply_to")
    return _on_profile(state, command, in_reply_to_remote=command.object_id)


def _publish_in_group(state: Post, command: PublishInGroup) -> list[Event]:
    _require_new(state)
    if not command.follows_group:
        raise Forbidden("follow the group (and be accepted) to post in it", "group")
    return _on_profile(state, command, group_remote=command.group)


def _on_profile(
    state: Post, command: ReplyRemote | PublishInGroup, **elsewhere: str
) -> list[Event]:
    """A new post on the actor's profile, starting its own thread here, about something on
    another server (`elsewhere`: what it answers, or the group it is written in)."""
    return [
        PostPublished(
            author_id=command.actor.member_id,
            body=_body(command.body),
            format=_format(command.format),
            thread_id=state.id,
            **elsewhere,  # type: ignore[arg-type]
        )
    ]


def _edit(state: Post, command: Edit) -> list[Event]:
    _require_author(state, command.actor, "edit")
    if not state.published:
        raise Conflict(f"this post was {state.status}: it cannot be edited", "status")
    body = _body(command.body)
    fmt = state.format if command.format is None else _format(command.format)
    if body == state.body and fmt == state.format:
        return []
    return [PostEdited(body=body, format=fmt)]


def _remove(state: Post, command: Remove) -> list[Event]:
    actor = command.actor
    if state.community_id is None:
        if not actor.admin:
            raise Forbidden("only an instance admin can remove a post on a profile")
    else:
        access = _access_for(state, command.community)
        if not _sees(actor, access):
            raise NotFound("no such post")
        if not (actor.admin or access.is_moderator):
            raise Forbidden("only a moderator or an owner of the community can remove its posts")
    if not state.published:
        return []  # already removed, or deleted by its author: nothing left to take down
    reason = command.reason.strip()
    if not reason:
        raise Invalid("say why the post is removed", "reason")
    if len(reason) > MAX_REASON:
        raise Invalid(f"reason is at most {MAX_REASON} characters", "reason")
    if "\x00" in reason:
        raise Invalid("reason may not contain the NUL character", "reason")
    return [PostRemoved(by=actor.member_id, reason=reason)]


# -- checks ---------------------------------------------------------------------------------


def _require_new(state: Post) -> None:
    if state.status != "none":
        raise Conflict("this post already exists", "post_id")


def _require_author(state: Post, actor: Actor, verb: str) -> None:
    if actor.member_id != state.author_id:
        raise Forbidden(f"only the author can {verb} a post")


def _require_visible(
    state: Post, actor: Actor, community: CommunityAccess | None
) -> CommunityAccess | None:
    """The actor's access to the post's community (None for a post on a profile), if the post
    is published and `actor` may see it; NotFound (no field: the post is the target) if not."""
    if not state.published:
        raise NotFound("no such post")
    if state.community_id is None:
        return None
    access = _access_for(state, community)
    if not _sees(actor, access):
        raise NotFound("no such post")
    return access


def _require_poster(actor: Actor, access: CommunityAccess, field: str) -> None:
    """`actor` may write in the community: a member, not banned."""
    if not _sees(actor, access):
        what = "community" if field == "community_id" else "post to reply to"
        raise NotFound(f"no such {what}", field)
    if access.banned:
        raise Forbidden("you are banned from this community", field)
    if not access.is_member:
        raise Forbidden("only members of the community can post in it", field)


def _sees(actor: Actor, access: CommunityAccess) -> bool:
    """Members-only communities (and what is in them) exist for their members and for
    instance admins only."""
    return access.visible or (access.exists and actor.admin)


def _access_for(post: Post, community: CommunityAccess | None) -> CommunityAccess:
    """The access the service passed for `post`'s community. A missing or mismatched one is a
    bug in the caller, not a refusal."""
    if community is None or community.community_id != post.community_id:
        raise ValueError(f"the command needs the actor's access to community {post.community_id}")
    return community


def _body(body: str) -> str:
    """The body as written (not trimmed: leading spaces mean something in Markdown)."""
    if not body.strip():
        raise Invalid("body must not be empty", "body")
    if len(body) > MAX_BODY:
        raise Invalid(f"body is at most {MAX_BODY} characters", "body")
    if "\x00" in body:
        raise Invalid("body may not contain the NUL character", "body")
    return body


def _format(value: str) -> str:
    if value not in FORMATS:
        raise Invalid(f"format must be one of: {', '.join(FORMATS)}", "format")
    return value
