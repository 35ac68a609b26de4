"""The community aggregate: communities of practice with roles, join policies, moderation and a
knowledge library. Stream `community-<id>`; the slug's uniqueness is held by `slug-<slug>`.

Pure: `evolve` folds events into `Community`, `decide` turns a command into events or refuses it.
Other aggregates never see a `Community`: they receive `access(community, member_id)`.

Rules that hold whatever the commands:
- an active community always has at least one owner;
- a banned member is never a member, and has no pending request nor invitation;
- in a members-only community an outsider (not a member, not an instance admin) is told the
  community does not exist (`NotFound`), unless they hold an invitation and are joining.
Instance admins (`actor.admin`) have an owner's authority for every moderation command, whether
or not they are members; joining and leaving they do like anyone else.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar, get_args

import msgspec

from server.domain.common import (
    Actor,
    CommunityAccess,
    bounded_text,
    require_text,
    valid_skills,
)
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types.communities import (
    CommunityCreated,
    CommunityUpdated,
    InvitationRevoked,
    JoinApproved,
    JoinPolicy,
    JoinRejected,
    JoinRequested,
    JoinWithdrawn,
    MemberBanned,
    MemberInvited,
    MemberJoined,
    MemberLeft,
    MemberRemoved,
    MemberUnbanned,
    ResourceAdded,
    ResourceRemoved,
    Role,
    RoleChanged,
    Visibility,
)

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
URL = re.compile(r"^https?://[^\s]+$")
VISIBILITIES: tuple[str, ...] = get_args(Visibility)
JOIN_POLICIES: tuple[str, ...] = get_args(JoinPolicy)
ROLES: tuple[str, ...] = get_args(Role)

MAX_NAME = 200
MAX_SUMMARY = 2_000
MAX_URL = 2_000

Status = Literal["none", "active"]
"""`none`: nothing created under this id (the state before the first event)."""

_RANK = {"member": 0, "moderator": 1, "owner": 2}

K = TypeVar("K")
V = TypeVar("V")


class Resource(msgspec.Struct, frozen=True):
    """One entry of the community's knowledge library."""

    id: str
    url: str
    title: str
    added_by: str
    note: str = ""
    skills: tuple[str, ...] = ()


class Community(msgspec.Struct, frozen=True):
    """A community as its events left it. The dicts are never changed in place: `evolve`
    builds new ones, so a state can be shared (the repository caches them)."""

    id: str
    status: Status = "none"
    slug: str = ""
    name: str = ""
    description: str = ""
    skills: tuple[str, ...] = ()
    visibility: Visibility = "public"
    join_policy: JoinPolicy = "open"
    members: dict[str, Role] = msgspec.field(default_factory=dict)
    requests: dict[str, str] = msgspec.field(default_factory=dict)
    """Pending join requests: member id → the message they wrote."""
    invitations: dict[str, str] = msgspec.field(default_factory=dict)
    """Open invitations: member id → who invited them."""
    banned: frozenset[str] = frozenset()
    resources: dict[str, Resource] = msgspec.field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def members_only(self) -> bool:
        return self.visibility == "members_only"

    @property
    def owners(self) -> frozenset[str]:
        return frozenset(m for m, role in self.members.items() if role == "owner")


def initial(community_id: str) -> Community:
    return Community(id=community_id)


def stream(community_id: str) -> str:
    return f"community-{community_id}"


def slug_stream(slug: str) -> str:
    return f"slug-{slug}"


def normalise_slug(slug: str) -> str:
    """Slugs are unique case-insensitively: stored and compared in lower case."""
    return slug.strip().lower()


def access(community: Community, member_id: str | None) -> CommunityAccess:
    """What `member_id` (None: an anonymous reader) may do in `community`, for the deciders of
    other aggregates (posts, artefacts, paths)."""
    if not community.active:
        return CommunityAccess(community_id=community.id, exists=False)
    role = community.members.get(member_id) if member_id is not None else None
    return CommunityAccess(
        community_id=community.id,
        exists=True,
        members_only=community.members_only,
        is_member=role is not None,
        is_moderator=role in ("moderator", "owner"),
        is_owner=role == "owner",
        banned=member_id is not None and member_id in community.banned,
    )


# -- commands -------------------------------------------------------------------------------


class Create(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community_id: str
    slug: str
    name: str
    slug_taken: bool
    """Whether `slug-<slug>` already exists (the append re-checks it atomically)."""
    description: str = ""
    skills: list[str] = msgspec.field(default_factory=list)
    visibility: str = "public"
    join_policy: str = "open"


class Update(msgspec.Struct, frozen=True, kw_only=True):
    """None leaves a setting as it is."""

    actor: Actor
    name: str | None = None
    description: str | None = None
    skills: list[str] | None = None
    visibility: str | None = None
    join_policy: str | None = None


class Join(msgspec.Struct, frozen=True, kw_only=True):
    """Join, or accept an invitation; under the approval policy this records a request."""

    actor: Actor


class RequestMembership(msgspec.Struct, frozen=True, kw_only=True):
    """Like `Join`, with a message for the moderators when the policy asks for approval."""

    actor: Actor
    message: str = ""


class Leave(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


class AboutMember(msgspec.Struct, frozen=True, kw_only=True):
    """A command by `actor` about another member of the community."""

    actor: Actor
    member_id: str


class ApproveRequest(AboutMember, frozen=True, kw_only=True):
    """Let a member who asked to join in."""


class RejectRequest(AboutMember, frozen=True, kw_only=True):
    """Turn down a request to join."""


class Invite(AboutMember, frozen=True, kw_only=True):
    """Invite `member_id`, an active member of the instance (the service checks that before
    deciding)."""


class RevokeInvitation(AboutMember, frozen=True, kw_only=True):
    """Take back an invitation not used yet."""


class ChangeRole(AboutMember, frozen=True, kw_only=True):
    role: str


class Remove(AboutMember, frozen=True, kw_only=True):
    reason: str = ""


class Ban(AboutMember, frozen=True, kw_only=True):
    reason: str = ""


class Unban(AboutMember, frozen=True, kw_only=True):
    """Lift a ban."""


class AddResource(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    resource_id: str
    url: str
    title: str
    note: str = ""
    skills: list[str] = msgspec.field(default_factory=list)


class RemoveResource(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    resource_id: str


Command = (
    Create
    | Update
    | Join
    | RequestMembership
    | Leave
    | ApproveRequest
    | RejectRequest
    | Invite
    | RevokeInvitation
    | ChangeRole
    | Remove
    | Ban
    | Unban
    | AddResource
    | RemoveResource
)


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: Community, event: Event) -> Community:
    replace = msgspec.structs.replace
    match event:
        case CommunityCreated():
            return replace(
                state,
                status="active",
                slug=event.slug,
                name=event.name,
                description=event.description,
                skills=tuple(event.skills),
                visibility=event.visibility,
                join_policy=event.join_policy,
                members={event.by: "owner"},
            )
        case CommunityUpdated():
            return replace(
                state,
                name=event.name,
                description=event.description,
                skills=tuple(event.skills),
                visibility=event.visibility,
                join_policy=event.join_policy,
            )
        case MemberJoined():
            return replace(
                state,
                members=_with(state.members, event.member_id, "member"),
                requests=_without(state.requests, event.member_id),
                invitations=_without(state.invitations, event.member_id),
            )
        case MemberLeft() | MemberRemoved():
            return replace(state, members=_without(state.members, event.member_id))
        case JoinRequested():
            return replace(state, requests=_with(state.requests, event.member_id, event.message))
        case JoinApproved() | JoinRejected() | JoinWithdrawn():
            return replace(state, requests=_without(state.requests, event.member_id))
        case MemberInvited():
            return replace(state, invitations=_with(state.invitations, event.member_id, event.by))
        case InvitationRevoked():
            return replace(state, invitations=_without(state.invitations, event.member_id))
        case RoleChanged():
            return replace(state, members=_with(state.members, event.member_id, event.role))
        case MemberBanned():
            return replace(
                state,
                members=_without(state.members, event.member_id),
                requests=_without(state.requests, event.member_id),
                invitations=_without(state.invitations, event.member_id),
                banned=state.banned | {event.member_id},
            )
        case MemberUnbanned():
            return replace(state, banned=state.banned - {event.member_id})
        case ResourceAdded():
            resource = Resource(
                id=event.resource_id,
                url=event.url,
                title=event.title,
                added_by=event.by,
                note=event.note,
                skills=tuple(event.skills),
            )
            return replace(state, resources=_with(state.resources, event.resource_id, resource))
        case ResourceRemoved():
            return replace(state, resources=_without(state.resources, event.resource_id))
    return state


def _with(mapping: dict[K, V], key: K, value: V) -> dict[K, V]:
    return {**mapping, key: value}


def _without(mapping: dict[K, V], key: K) -> dict[K, V]:
    if key not in mapping:
        return mapping
    return {k: v for k, v in mapping.items() if k != key}


# -- decide ---------------------------------------------------------------------------------


def decide(state: Community, command: Command) -> list[Event]:
    if isinstance(command, Create):
        return _create(state, command)
    if not state.active:
        raise NotFound("no such community")
    actor = command.actor
    invited_joining = isinstance(command, Join | RequestMembership) and (
        actor.member_id in state.invitations
    )
    if state.members_only and not (
        actor.admin or actor.member_id in state.members or invited_joining
    ):
        raise NotFound("no such community")
    match command:
        case Update():
            return _update(state, command)
        case Join():
            return _join(state, actor, "")
        case RequestMembership():
            return _join(state, actor, bounded_text(command.message, "message", MAX_SUMMARY))
        case Leave():
            return _leave(state, actor)
        case ApproveRequest():
            _require(state, actor, "moderator")
            if command.member_id in state.members:
                return []
            if command.member_id not in state.requests:
                raise NotFound("no pending request from this member", "member_id")
            by = actor.member_id
            return [
                JoinApproved(member_id=command.member_id, by=by),
                MemberJoined(member_id=command.member_id, via="approval"),
            ]
        case RejectRequest():
            _require(state, actor, "moderator")
            if command.member_id not in state.requests:
                raise NotFound("no pending request from this member", "member_id")
            return [JoinRejected(member_id=command.member_id, by=actor.member_id)]
        case Invite():
            return _invite(state, command)
        case RevokeInvitation():
            _require(state, actor, "moderator")
            if command.member_id not in state.invitations:
                return []
            return [InvitationRevoked(member_id=command.member_id, by=actor.member_id)]
        case ChangeRole():
            return _change_role(state, command)
        case Remove():
            target = _moderate(state, command.actor, command.member_id, "remove", "removed")
            if target is None:
                return []
            reason = bounded_text(command.reason, "reason", MAX_SUMMARY)
            return [MemberRemoved(member_id=command.member_id, by=actor.member_id, reason=reason)]
        case Ban():
            _moderate(state, command.actor, command.member_id, "ban", "banned")
            if command.member_id in state.banned:
                return []
            reason = bounded_text(command.reason, "reason", MAX_SUMMARY)
            return [MemberBanned(member_id=command.member_id, by=actor.member_id, reason=reason)]
        case Unban():
            _require(state, actor, "moderator")
            if command.member_id not in state.banned:
                return []
            return [MemberUnbanned(member_id=command.member_id, by=actor.member_id)]
        case AddResource():
            return _add_resource(state, command)
        case RemoveResource():
            _require(state, actor, "moderator")
            if command.resource_id not in state.resources:
                return []
            return [ResourceRemoved(resource_id=command.resource_id, by=actor.member_id)]
    raise TypeError(f"not a community command: {command!r}")


def _create(state: Community, command: Create) -> list[Event]:
    if state.status != "none":
        raise Conflict("this community already exists", "community_id")
    slug = normalise_slug(command.slug)
    if not SLUG.match(slug):
        raise Invalid(
            "a slug is 1–64 characters of a–z, 0–9 and inner hyphens (-)",
            "slug",
        )
    if command.slug_taken:
        raise Conflict(f"the slug {slug!r} is taken", "slug")
    return [
        CommunityCreated(
            slug=slug,
            name=_name(command.name),
            by=command.actor.member_id,
            description=bounded_text(command.description, "description", MAX_SUMMARY),
            skills=valid_skills(command.skills),
            visibility=_choice(command.visibility, "visibility", VISIBILITIES),
            join_policy=_choice(command.join_policy, "join_policy", JOIN_POLICIES),
        )
    ]


def _update(state: Community, command: Update) -> list[Event]:
    actor = command.actor
    _require(state, actor, "moderator")
    visibility = state.visibility
    if command.visibility is not None:
        visibility = _choice(command.visibility, "visibility", VISIBILITIES)
    join_policy = state.join_policy
    if command.join_policy is not None:
        join_policy = _choice(command.join_policy, "join_policy", JOIN_POLICIES)
    if visibility != state.visibility:
        _require(state, actor, "owner", "visibility")
    if join_policy != state.join_policy:
        _require(state, actor, "owner", "join_policy")
    event = CommunityUpdated(
        name=state.name if command.name is None else _name(command.name),
        by=actor.member_id,
        description=(
            state.description
            if command.description is None
            else bounded_text(command.description, "description", MAX_SUMMARY)
        ),
        skills=list(state.skills) if command.skills is None else valid_skills(command.skills),
        visibility=visibility,
        join_policy=join_policy,
    )
    unchanged = (
        event.name == state.name
        and event.description == state.description
        and tuple(event.skills) == state.skills
        and event.visibility == state.visibility
        and event.join_policy == state.join_policy
    )
    return [] if unchanged else [event]


def _join(state: Community, actor: Actor, message: str) -> list[Event]:
    member_id = actor.member_id
    if member_id in state.members:
        return []
    if member_id in state.banned:
        raise Forbidden("you are banned from this community")
    if member_id in state.invitations:
        return [MemberJoined(member_id=member_id, via="invitation")]
    match state.join_policy:
        case "open":
            return [MemberJoined(member_id=member_id, via="open")]
        case "approval":
            if member_id in state.requests:
                return []
            return [JoinRequested(member_id=member_id, message=message)]
    raise Forbidden("this community is joined by invitation only")


def _leave(state: Community, actor: Actor) -> list[Event]:
    """Leave, or take back a pending request to join."""
    role = state.members.get(actor.member_id)
    if role is None:
        if actor.member_id in state.requests:
            return [JoinWithdrawn(member_id=actor.member_id)]
        return []
    if role == "owner" and len(state.owners) == 1:
        raise Conflict("the last owner cannot leave: make another member an owner first")
    return [MemberLeft(member_id=actor.member_id)]


def _invite(state: Community, command: Invite) -> list[Event]:
    _require(state, command.actor, "moderator")
    if command.member_id in state.members:
        raise Conflict("this member is already in the community", "member_id")
    if command.member_id in state.banned:
        raise Conflict("this member is banned from the community", "member_id")
    if command.member_id in state.invitations:
        return []
    return [MemberInvited(member_id=command.member_id, by=command.actor.member_id)]


def _change_role(state: Community, command: ChangeRole) -> list[Event]:
    _require(state, command.actor, "owner")
    role = _choice(command.role, "role", ROLES)
    previous = state.members.get(command.member_id)
    if previous is None:
        raise NotFound("this member is not in the community", "member_id")
    if role == previous:
        return []
    if previous == "owner" and len(state.owners) == 1:
        raise Conflict("a community keeps at least one owner: make another owner first", "role")
    return [
        RoleChanged(
            member_id=command.member_id,
            role=role,
            previous=previous,
            by=command.actor.member_id,
        )
    ]


def _moderate(state: Community, actor: Actor, member_id: str, verb: str, done: str) -> Role | None:
    """Checks that `actor` may remove or ban `member_id`; returns the target's role, if any.

    Moderators act on plain members; moderators and owners are removed or banned by owners (or
    instance admins) only; the last owner never is; nobody does it to themselves."""
    _require(state, actor, "moderator")
    if member_id == actor.member_id:
        raise Invalid(f"you cannot {verb} yourself", "member_id")
    target = state.members.get(member_id)
    if target in ("moderator", "owner"):
        _require(state, actor, "owner", "member_id")
    if target == "owner" and len(state.owners) == 1:
        raise Conflict(f"the last owner of a community cannot be {done}", "member_id")
    return target


def _add_resource(state: Community, command: AddResource) -> list[Event]:
    _require(state, command.actor, "moderator")
    if command.resource_id in state.resources:
        raise Conflict("a resource with this id is already in the library", "resource_id")
    url = command.url.strip()
    if len(url) > MAX_URL or not URL.match(url):
        raise Invalid("a resource needs an http:// or https:// address", "url")
    return [
        ResourceAdded(
            resource_id=command.resource_id,
            url=url,
            title=bounded_text(require_text(command.title, "title"), "title", MAX_NAME),
            by=command.actor.member_id,
            note=bounded_text(command.note, "note", MAX_SUMMARY),
            skills=valid_skills(command.skills),
        )
    ]


# -- checks ---------------------------------------------------------------------------------


def _role(state: Community, actor: Actor) -> Role | None:
    """The authority `actor` has here: instance admins count as owners."""
    if actor.admin:
        return "owner"
    return state.members.get(actor.member_id)


def _require(state: Community, actor: Actor, least: Role, field: str | None = None) -> None:
    role = _role(state, actor)
    if role is None or _RANK[role] < _RANK[least]:
        who = "an owner" if least == "owner" else "a moderator or an owner"
        raise Forbidden(f"only {who} of the community can do this", field)


def _choice(value: str, field: str, allowed: tuple[str, ...]) -> Any:
    """`value` if it is one of `allowed` (typed as the Literal the caller asks for)."""
    if value not in allowed:
        raise Invalid(f"{field} must be one of: {', '.join(allowed)}", field)
    return value


def _name(value: str) -> str:
    return bounded_text(require_text(value, "name"), "name", MAX_NAME)
