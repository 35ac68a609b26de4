"""Posts: short-form writing on a member's profile or in a community, replies, likes, and
moderation.

Stream: `post-<id>` holds one post's whole history — publication, edits, likes (by our members
and by actors on other servers), its tombstone.
A reply is a post of its own (its own stream) that names its parent in `in_reply_to` and the
thread's first post in `thread_id`. Bodies are stored as the author wrote them; HTML is made
from them (and sanitised) when read models are built.
"""

from __future__ import annotations

from server.events.registry import Event
from server.events.types.fields import Id, LongText, Summary, TextFormat, Url
from server.events.types.remote import ActivityId


class PostPublished(Event, frozen=True, tag="post.published"):
    """A post or a reply was published. Stream: `post-<id>`; always its first event."""

    author_id: Id
    body: LongText
    thread_id: Id
    """The first post of the thread: the post's own id unless it is a reply."""
    format: TextFormat = "markdown"
    community_id: Id | None = None
    """None: the post is on the author's profile. A reply is where its parent is."""
    in_reply_to: Id | None = None
    in_reply_to_remote: Url | None = None
    group_remote: Url | None = None
    """A group (community) on another server the post was written in, by a member following
    it: its ActivityPub id. The post is on its author's profile here."""
    """A reply to a post, artefact or path on another server: its ActivityPub id. Such a
    reply is on its author's profile and starts a thread of its own here."""


class PostEdited(Event, frozen=True, tag="post.edited"):
    """The author rewrote the post: its body (and format) as they now read."""

    body: LongText
    format: TextFormat = "markdown"


class PostDeleted(Event, frozen=True, tag="post.deleted"):
    """The author deleted the post: a tombstone. Its body is no longer served; its replies stay."""


class PostLiked(Event, frozen=True, tag="post.liked"):
    member_id: Id


class PostUnliked(Event, frozen=True, tag="post.unliked"):
    member_id: Id


class PostLikedRemotely(Event, frozen=True, tag="post.liked_remotely"):
    """An actor on another server liked the post: its `Like` (id `like_id`), verified."""

    actor_id: ActivityId
    like_id: ActivityId


class PostUnlikedRemotely(Event, frozen=True, tag="post.unliked_remotely"):
    """That actor took its like back: an `Undo` of `like_id`."""

    actor_id: ActivityId
    like_id: ActivityId


class PostRemoved(Event, frozen=True, tag="post.removed"):
    """A moderator of the post's community, or an instance admin, took the post down. Its body
    is no longer served; its replies stay."""

    by: Id
    reason: Summary = ""


TYPES: list[type[Event]] = [
    PostPublished,
    PostEdited,
    PostDeleted,
    PostLiked,
    PostUnliked,
    PostRemoved,
    PostLikedRemotely,
    PostUnlikedRemotely,
]
