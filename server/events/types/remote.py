"""What our members know of, and do with, other servers' actors and content.

Remote actors — stream `remoteactor-<key>`, `key` from the actor's id
(server/domain/remote_actors.py): how the actor describes itself, each time that changes.

Following — stream `following-<key>`, one per member of ours and remote actor
(server/domain/following.py): a member's `Follow` of a remote person or group, and what
became of it.

Remote objects — stream `remoteobject-<key>`, `key` from the object's id
(server/domain/remote_objects.py): a post (`Note`) or an artefact or path (`Article`) from
another server that concerns us — by someone a member follows, shared by a group a member
follows, or a reply to something of ours — its updates, its deletion, who shared it, and our
members' likes of it. Its HTML is sanitised before it is written here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id, ShortText, Skills, Summary

ActivityId = Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$", max_length=2_000)]
"""An ActivityPub id: an http(s) URL."""
Html = Annotated[str, msgspec.Meta(max_length=200_000)]
"""Sanitised HTML (server/domain/rendering.py `sanitise`)."""

ActorKind = Literal["Person", "Group", "Organization", "Service", "Application"]


class RemoteActorDescribed(Event, frozen=True, tag="remote.actor_described"):
    """A remote actor as its document reads (first seen, or changed since)."""

    actor_id: ActivityId
    kind: ActorKind
    username: Annotated[str, msgspec.Meta(max_length=200)]
    """`preferredUsername`: with the host, the `user@host` name people know it by."""
    host: Annotated[str, msgspec.Meta(max_length=260)]
    inbox: ActivityId
    name: ShortText = ""
    summary: Html = ""
    url: ActivityId | None = None
    icon: ActivityId | None = None
    shared_inbox: ActivityId | None = None


class FollowingRequested(Event, frozen=True, tag="following.requested"):
    """A member of ours asked to follow a remote actor: a `Follow` (id `follow_id`) goes to its
    inbox."""

    member_id: Id
    actor_id: ActivityId
    follow_id: ActivityId


class FollowingAccepted(Event, frozen=True, tag="following.accepted"):
    """The remote actor accepted: what it publishes reaches the member."""

    follow_id: ActivityId


class FollowingRejected(Event, frozen=True, tag="following.rejected"):
    follow_id: ActivityId


class FollowingUndone(Event, frozen=True, tag="following.undone"):
    """The member stopped following: an `Undo` of `follow_id` goes to the actor."""

    member_id: Id
    actor_id: ActivityId
    follow_id: ActivityId


class RemoteStep(msgspec.Struct, frozen=True, kw_only=True):
    """A step of a remote learning path, as its server describes it."""

    title: ShortText
    kind: Annotated[str, msgspec.Meta(max_length=20)] = ""
    """`resource`, `artefact`, `post` or `text` at a Learnwork server."""
    url: ActivityId | None = None
    """A resource's link."""
    ref: ActivityId | None = None
    """The artefact or post it points to, by its ActivityPub id."""
    text: Summary = ""
    """Sanitised HTML."""
    estimated_minutes: int | None = None


class RemoteContent(msgspec.Struct, frozen=True, kw_only=True):
    """What a remote object says, as read from its document."""

    type: Literal["Note", "Article"]
    learnwork_kind: Literal["post", "artefact", "path"] = "post"
    """What it is at a Learnwork server (from our extension terms); `post` for any `Note`."""
    name: ShortText = ""
    summary: Html = ""
    content: Html = ""
    url: ActivityId | None = None
    skills: Skills = []
    steps: Annotated[list[RemoteStep], msgspec.Meta(max_length=200)] = []
    revision: int | None = None


class RemoteObjectReceived(Event, frozen=True, tag="remote.object_received"):
    """A remote object that concerns us arrived (by a `Create`, or in an `Announce`)."""

    object_id: ActivityId
    author: ActivityId
    """Its `attributedTo`: the remote actor who wrote it."""
    activity_id: ActivityId
    """The activity that brought it."""
    content: RemoteContent
    published: datetime
    in_reply_to: ActivityId | None = None
    audience: ActivityId | None = None
    """The group (FEP-1b12 community) it was written in, if any."""
    public: bool = True
    """Addressed to the public; else to followers (or the people named) only."""
    reply_to_post: Id | None = None
    """Our post it replies to — the post whose ActivityPub id is `in_reply_to` — when it replies
    to one of ours: set by federation, which alone knows our URLs, so that read models can put
    it in the post's thread."""
    community_id: Id | None = None
    """A public community of ours it was written in — addressed to it, or a reply to a post in
    it — by an author who follows the community from another server (a remote member, as
    FEP-1b12 has them): the community shows it and passes it on to its followers."""


class RemoteObjectUpdated(Event, frozen=True, tag="remote.object_updated"):
    """Its author changed it (an `Update`)."""

    activity_id: ActivityId
    content: RemoteContent
    updated: datetime


class RemoteObjectDeleted(Event, frozen=True, tag="remote.object_deleted"):
    """Its author (or its server) deleted it: a tombstone here too."""

    activity_id: ActivityId


class RemoteObjectShared(Event, frozen=True, tag="remote.object_shared"):
    """A remote actor (a group passing its members' posts on, FEP-1b12) announced it."""

    by: ActivityId
    activity_id: ActivityId


class RemoteObjectLiked(Event, frozen=True, tag="remote.object_liked"):
    """A member of ours liked it: a `Like` (id `like_id`) goes to its author."""

    member_id: Id
    like_id: ActivityId


class RemoteObjectUnliked(Event, frozen=True, tag="remote.object_unliked"):
    """The member took the like back: an `Undo` of `like_id` goes to the author."""

    member_id: Id
    like_id: ActivityId


class RemoteEndorsementGiven(Event, frozen=True, tag="remote.endorsement_given"):
    """A member of ours endorsed a remote actor's skill: an `Endorse` goes to it, with the id
    `<member's actor id>#endorsements/<endorse_id>`. Stream `remoteendorsement-<key>`, one per
    member, actor and skill (server/domain/remote_endorsements.py)."""

    member_id: Id
    actor_id: ActivityId
    skill: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    endorse_id: Id
    """New for each time it is given: the `Endorse` an `Undo` takes back."""
    comment: Summary = ""


class RemoteEndorsementWithdrawn(Event, frozen=True, tag="remote.endorsement_withdrawn"):
    """The member took it back: an `Undo` of the `Endorse` goes to the actor."""

    member_id: Id
    actor_id: ActivityId
    skill: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    endorse_id: Id


TYPES: list[type[Event]] = [
    RemoteActorDescribed,
    FollowingRequested,
    FollowingAccepted,
    FollowingRejected,
    FollowingUndone,
    RemoteObjectReceived,
    RemoteObjectUpdated,
    RemoteObjectDeleted,
    RemoteObjectShared,
    RemoteObjectLiked,
    RemoteObjectUnliked,
    RemoteEndorsementGiven,
    RemoteEndorsementWithdrawn,
]
