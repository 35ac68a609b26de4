"""Members of an instance: registration, profile, follows, suspension.

Streams: `member-<id>` holds a member's own history; `handle-<handle>` holds the one event that
claims a handle, so two registrations racing for it cannot both succeed (NO_STREAM append).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.events.registry import Event
from server.events.types.fields import Handle, Id, ShortText, Skills, Summary, Urls


class MemberRegistered(Event, frozen=True, tag="member.registered"):
    """A person became a member of this instance. Stream: `member-<id>`."""

    handle: Handle
    display_name: ShortText
    pending: bool = False
    """Registered under the approval policy: may not act until an admin approves."""
    admin: bool = False
    invite_id: Id | None = None
    reason: Summary | None = None
    """What the applicant wrote for the admins (approval policy)."""


class HandleClaimed(Event, frozen=True, tag="handle.claimed"):
    """A handle was taken. Stream: `handle-<handle>`; its first event is the only claim."""

    member_id: Id


class MemberApproved(Event, frozen=True, tag="member.approved"):
    by: Id


class MemberRejected(Event, frozen=True, tag="member.rejected"):
    by: Id


class PasswordSet(Event, frozen=True, tag="member.password_set"):
    """The member's password changed. Holds only a self-describing scrypt hash; never streamed
    to developers."""

    password_hash: Annotated[str, msgspec.Meta(max_length=500)]


class ProfileUpdated(Event, frozen=True, tag="member.profile_updated"):
    """The member's profile as it now reads (every field, not a diff)."""

    display_name: ShortText
    headline: ShortText = ""
    bio: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)
    links: Urls = msgspec.field(default_factory=list)
    share_progress: bool = True
    """Others who may read a path see the member's progress in it (enrollments, completions in
    feeds, profile and journey); false keeps it to the member (counts still include it)."""


class MemberFollowed(Event, frozen=True, tag="member.followed"):
    """In the follower's stream: they now follow `member_id`."""

    member_id: Id


class MemberUnfollowed(Event, frozen=True, tag="member.unfollowed"):
    member_id: Id


class MemberSuspended(Event, frozen=True, tag="member.suspended"):
    """An admin suspended the member: they cannot act, and their content is not served."""

    by: Id
    reason: Summary = ""


class MemberUnsuspended(Event, frozen=True, tag="member.unsuspended"):
    by: Id


TYPES: list[type[Event]] = [
    MemberRegistered,
    HandleClaimed,
    MemberApproved,
    MemberRejected,
    PasswordSet,
    ProfileUpdated,
    MemberFollowed,
    MemberUnfollowed,
    MemberSuspended,
    MemberUnsuspended,
]
