"""The member aggregate: registration under the instance's policy, profile, follows, approval
and suspension. Stream `member-<id>`; the handle's uniqueness is held by `handle-<handle>`.

Pure: `evolve` folds events into `Member`, `decide` turns a command into events or refuses it.
"""

from __future__ import annotations

import enum
import re
from typing import Literal

import msgspec

from server.domain.common import Actor, normalise_skills, require_text
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types.members import (
    MemberApproved,
    MemberFollowed,
    MemberRegistered,
    MemberRejected,
    MemberSuspended,
    MemberUnfollowed,
    MemberUnsuspended,
    PasswordSet,
    ProfileUpdated,
)

HANDLE = re.compile(r"^[a-z0-9_]{1,30}$")
MIN_PASSWORD_LENGTH = 10


class RegistrationPolicy(enum.StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    INVITE = "invite"
    CLOSED = "closed"


Status = Literal["none", "pending", "active", "rejected", "suspended"]
"""`none`: nothing registered under this id (the state before the first event)."""


class Member(msgspec.Struct, frozen=True):
    id: str
    handle: str
    display_name: str
    status: Status
    admin: bool = False
    password_hash: str | None = None
    headline: str = ""
    bio: str = ""
    skills: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    share_progress: bool = True
    following: frozenset[str] = frozenset()

    @property
    def active(self) -> bool:
        return self.status == "active"


def initial(member_id: str) -> Member:
    return Member(id=member_id, handle="", display_name="", status="none")


def stream(member_id: str) -> str:
    return f"member-{member_id}"


def handle_stream(handle: str) -> str:
    return f"handle-{handle}"


def normalise_handle(handle: str) -> str:
    """Handles are unique case-insensitively: stored and compared in lower case."""
    return handle.strip().lower()


# -- commands -------------------------------------------------------------------------------


class Register(msgspec.Struct, frozen=True, kw_only=True):
    member_id: str
    handle: str
    display_name: str
    password_hash: str
    policy: RegistrationPolicy
    handle_taken: bool
    """Whether `handle-<handle>` already exists (the append re-checks it atomically)."""
    invite_valid: bool = False
    invite_id: str | None = None
    admin: bool = False
    """Made by `learnwork admin create-user --admin`: skips the policy."""
    reason: str | None = None


class UpdateProfile(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    display_name: str | None = None
    headline: str | None = None
    bio: str | None = None
    skills: list[str] | None = None
    links: list[str] | None = None
    share_progress: bool | None = None


class ChangePassword(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    password_hash: str


class Follow(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    target: Member | None


class Unfollow(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    target_id: str


class Approve(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


class Reject(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


class Suspend(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    reason: str = ""


class Unsuspend(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


Command = (
    Register
    | UpdateProfile
    | ChangePassword
    | Follow
    | Unfollow
    | Approve
    | Reject
    | Suspend
    | Unsuspend
)


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: Member, event: Event) -> Member:
    replace = msgspec.structs.replace
    match event:
        case MemberRegistered():
            return replace(
                state,
                handle=event.handle,
                display_name=event.display_name,
                status="pending" if event.pending else "active",
                admin=event.admin,
            )
        case PasswordSet():
            return replace(state, password_hash=event.password_hash)
        case ProfileUpdated():
            return replace(
                state,
                display_name=event.display_name,
                headline=event.headline,
                bio=event.bio,
                skills=tuple(event.skills),
                links=tuple(event.links),
                share_progress=event.share_progress,
            )
        case MemberFollowed():
            return replace(state, following=state.following | {event.member_id})
        case MemberUnfollowed():
            return replace(state, following=state.following - {event.member_id})
        case MemberApproved() | MemberUnsuspended():
            return replace(state, status="active")
        case MemberRejected():
            return replace(state, status="rejected")
        case MemberSuspended():
            return replace(state, status="suspended")
    return state


# -- decide ---------------------------------------------------------------------------------


def decide(state: Member, command: Command) -> list[Event]:
    match command:
        case Register():
            return _register(state, command)
    if state.status in ("none", "rejected"):
        raise NotFound("no such member")
    match command:
        case UpdateProfile():
            return _update_profile(state, command)
        case ChangePassword():
            _require_self(state, command.actor)
            return [PasswordSet(password_hash=command.password_hash)]
        case Follow():
            return _follow(state, command)
        case Unfollow():
            _require_self(state, command.actor)
            if command.target_id not in state.following:
                return []  # already not following: nothing happened, nothing to record
            return [MemberUnfollowed(member_id=command.target_id)]
        case Approve() | Reject():
            _require_admin(command.actor)
            if state.status != "pending":
                raise Conflict("the member is not waiting for approval", "status")
            if isinstance(command, Approve):
                return [MemberApproved(by=command.actor.member_id)]
            return [MemberRejected(by=command.actor.member_id)]
        case Suspend():
            _require_admin(command.actor)
            if command.actor.member_id == state.id:
                raise Invalid("admins cannot suspend themselves", "member_id")
            if state.status == "suspended":
                return []
            return [MemberSuspended(by=command.actor.member_id, reason=command.reason.strip())]
        case Unsuspend():
            _require_admin(command.actor)
            if state.status != "suspended":
                return []
            return [MemberUnsuspended(by=command.actor.member_id)]
    raise TypeError(f"not a member command: {command!r}")


def _register(state: Member, command: Register) -> list[Event]:
    if state.status != "none":
        raise Conflict("this member is already registered", "member_id")
    handle = normalise_handle(command.handle)
    if not HANDLE.match(handle):
        raise Invalid("a handle is 1–30 characters of a–z, 0–9 and _", "handle")
    if command.handle_taken:
        raise Conflict(f"the handle {handle!r} is taken", "handle")
    display_name = require_text(command.display_name, "display_name")
    pending = False
    invite_id = None
    if not command.admin:
        match command.policy:
            case RegistrationPolicy.CLOSED:
                raise Forbidden("registration is closed on this instance")
            case RegistrationPolicy.INVITE:
                if not command.invite_valid:
                    raise Forbidden("registration needs a valid invitation", "invite_code")
                invite_id = command.invite_id
            case RegistrationPolicy.APPROVAL:
                pending = True
    return [
        MemberRegistered(
            handle=handle,
            display_name=display_name,
            pending=pending,
            admin=command.admin,
            invite_id=invite_id,
            reason=((command.reason or "").strip() or None) if pending else None,
        ),
        PasswordSet(password_hash=command.password_hash),
    ]


def _update_profile(state: Member, command: UpdateProfile) -> list[Event]:
    _require_self(state, command.actor)
    display_name = state.display_name
    if command.display_name is not None:
        display_name = require_text(command.display_name, "display_name")
    skills = list(state.skills)
    if command.skills is not None:
        skills = normalise_skills(command.skills)
    event = ProfileUpdated(
        display_name=display_name,
        headline=state.headline if command.headline is None else command.headline.strip(),
        bio=state.bio if command.bio is None else command.bio.strip(),
        skills=skills,
        links=list(state.links) if command.links is None else list(dict.fromkeys(command.links)),
        share_progress=(
            state.share_progress if command.share_progress is None else command.share_progress
        ),
    )
    unchanged = (
        event.display_name == state.display_name
        and event.headline == state.headline
        and event.bio == state.bio
        and tuple(event.skills) == state.skills
        and tuple(event.links) == state.links
        and event.share_progress == state.share_progress
    )
    return [] if unchanged else [event]


def _follow(state: Member, command: Follow) -> list[Event]:
    _require_self(state, command.actor)
    target = command.target
    if target is None or not target.active:
        raise NotFound("no such member", "member_id")
    if target.id == state.id:
        raise Invalid("members cannot follow themselves", "member_id")
    if target.id in state.following:
        return []
    return [MemberFollowed(member_id=target.id)]


def _require_self(state: Member, actor: Actor) -> None:
    if actor.member_id != state.id:
        raise Forbidden("only the member themselves can do this")


def _require_admin(actor: Actor) -> None:
    if not actor.admin:
        raise Forbidden("only an admin can do this")
