"""Communities of practice: creation and settings, membership (open, approval or invitation),
roles, moderation, and the community's knowledge library.

Streams: `community-<id>` holds a community's whole history; `slug-<slug>` holds the one event
that claims a slug, so two creations racing for it cannot both succeed (NO_STREAM append).
Every event that somebody decided on names them in `by`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id, ShortText, Skills, Slug, Summary, Url

Visibility = Literal["public", "members_only"]
"""`members_only`: the community, its members and its content do not exist for outsiders."""

JoinPolicy = Literal["open", "approval", "invite"]

Role = Literal["owner", "moderator", "member"]

JoinedVia = Literal["open", "invitation", "approval"]


class CommunityCreated(Event, frozen=True, tag="community.created"):
    """A community was founded; `by` (its creator) is its first owner. Stream: `community-<id>`."""

    slug: Slug
    name: ShortText
    by: Id
    description: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)
    visibility: Visibility = "public"
    join_policy: JoinPolicy = "open"


class SlugClaimed(Event, frozen=True, tag="slug.claimed"):
    """A community slug was taken. Stream: `slug-<slug>`; its first event is the only claim."""

    community_id: Id


class CommunityUpdated(Event, frozen=True, tag="community.updated"):
    """The community's settings as they now read (every field, not a diff)."""

    name: ShortText
    by: Id
    description: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)
    visibility: Visibility = "public"
    join_policy: JoinPolicy = "open"


class MemberJoined(Event, frozen=True, tag="community.member_joined"):
    """`member_id` became a plain member: by the open policy, an invitation or an approval."""

    member_id: Id
    via: JoinedVia = "open"


class MemberLeft(Event, frozen=True, tag="community.member_left"):
    member_id: Id


class JoinRequested(Event, frozen=True, tag="community.join_requested"):
    """`member_id` asked to join a community whose policy is approval; moderators decide."""

    member_id: Id
    message: Summary = ""


class JoinApproved(Event, frozen=True, tag="community.join_approved"):
    """A moderator accepted the request; a `community.member_joined` always follows it."""

    member_id: Id
    by: Id


class JoinRejected(Event, frozen=True, tag="community.join_rejected"):
    member_id: Id
    by: Id


class JoinWithdrawn(Event, frozen=True, tag="community.join_withdrawn"):
    """`member_id` took back their pending request to join."""

    member_id: Id


class MemberInvited(Event, frozen=True, tag="community.member_invited"):
    """`member_id` may now join whatever the policy and visibility."""

    member_id: Id
    by: Id


class InvitationRevoked(Event, frozen=True, tag="community.invitation_revoked"):
    """A moderator took back the invitation of `member_id`, who had not joined yet."""

    member_id: Id
    by: Id


class RoleChanged(Event, frozen=True, tag="community.role_changed"):
    member_id: Id
    role: Role
    previous: Role
    by: Id


class MemberRemoved(Event, frozen=True, tag="community.member_removed"):
    """A moderator, an owner or an instance admin took `member_id` out (they may join again)."""

    member_id: Id
    by: Id
    reason: Summary = ""


class MemberBanned(Event, frozen=True, tag="community.member_banned"):
    """`member_id` is out (if they were in) and may not join, request or be invited again
    until unbanned; any request or invitation of theirs is void."""

    member_id: Id
    by: Id
    reason: Summary = ""


class MemberUnbanned(Event, frozen=True, tag="community.member_unbanned"):
    member_id: Id
    by: Id


class ResourceAdded(Event, frozen=True, tag="community.resource_added"):
    """An entry of the community's knowledge library."""

    resource_id: Id
    url: Url
    title: ShortText
    by: Id
    note: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)


class ResourceRemoved(Event, frozen=True, tag="community.resource_removed"):
    resource_id: Id
    by: Id


TYPES: list[type[Event]] = [
    CommunityCreated,
    SlugClaimed,
    CommunityUpdated,
    MemberJoined,
    MemberLeft,
    JoinRequested,
    JoinApproved,
    JoinRejected,
    JoinWithdrawn,
    MemberInvited,
    InvitationRevoked,
    RoleChanged,
    MemberRemoved,
    MemberBanned,
    MemberUnbanned,
    ResourceAdded,
    ResourceRemoved,
]
