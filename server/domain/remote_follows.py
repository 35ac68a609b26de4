"""A remote actor following one of ours: a member, or a public community. Stream
`remotefollow-<key>`, `key(target_id, follower)`: one per followed actor and follower.

Pure: `evolve` folds events into `RemoteFollow`, `decide` turns what arrived in an inbox
(already verified: the signature's key is the follower's) into events. Facts about the target
come in the command: whether it exists and may be followed from elsewhere, and whether it
approves its followers by hand.

Rules:
- a member, or a community anyone may join, accepts at once; a community that approves or
  invites its members leaves the follow pending (a moderator decides);
- the same `Follow` arriving again changes nothing; a new `Follow` from a follower already
  following is accepted again (servers re-send one when they lost track), so it gets another
  `Accept`;
- only the follower undoes, and only a follow that stands or waits; anything else is ignored;
- a follow that waits is approved or turned down by a moderator or owner of the community
  (or an instance admin); deciding again what was decided changes nothing.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import msgspec

from server.domain.errors import Forbidden, NotFound
from server.events import Event
from server.events.types.federation import (
    RemoteFollowAccepted,
    RemoteFollowRejected,
    RemoteFollowRequested,
    RemoteFollowUndone,
)

Status = Literal["none", "pending", "accepted", "rejected", "undone"]


class RemoteFollow(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    target_kind: str = ""
    target_id: str = ""
    follower: str = ""
    follow_id: str = ""
    """The `Follow` activity that made the follow as it stands."""
    inbox: str = ""


def key(target_id: str, follower: str) -> str:
    return hashlib.sha256(f"{target_id}\n{follower}".encode()).hexdigest()[:32]


def initial(follow_key: str) -> RemoteFollow:
    return RemoteFollow(id=follow_key)


# -- commands -------------------------------------------------------------------------------


class ReceiveFollow(msgspec.Struct, frozen=True, kw_only=True):
    target_kind: Literal["member", "community"]
    target_id: str
    follower: str
    inbox: str
    shared_inbox: str | None
    follow_id: str
    target_exists: bool
    """An active member, or a public community."""
    approves_by_hand: bool = False
    """A community that approves or invites its members."""


class ReceiveUndo(msgspec.Struct, frozen=True, kw_only=True):
    follower: str
    follow_id: str
    """The `Follow` the `Undo` names."""


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """A moderator's answer to a follow that waits."""

    by: str
    """The member answering."""
    moderates: bool
    """They moderate or own the followed community, or are an instance admin."""
    approve: bool


Command = ReceiveFollow | ReceiveUndo | Answer


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: RemoteFollow, event: Event) -> RemoteFollow:
    match event:
        case RemoteFollowRequested():
            return msgspec.structs.replace(
                state,
                status="pending",
                target_kind=event.target_kind,
                target_id=event.target_id,
                follower=event.follower,
                follow_id=event.follow_id,
                inbox=event.inbox,
            )
        case RemoteFollowAccepted():
            return msgspec.structs.replace(state, status="accepted", follow_id=event.follow_id)
        case RemoteFollowRejected():
            return msgspec.structs.replace(state, status="rejected")
        case RemoteFollowUndone():
            return msgspec.structs.replace(state, status="undone")
    return state


# -- decide ---------------------------------------------------------------------------------


def decide(state: RemoteFollow, command: Command) -> list[Event]:
    match command:
        case ReceiveFollow():
            return _follow(state, command)
        case ReceiveUndo():
            if (
                state.status in ("pending", "accepted")
                and command.follower == state.follower
                and command.follow_id == state.follow_id
            ):
                return [RemoteFollowUndone(follow_id=command.follow_id)]
            return []
        case Answer():
            return _answer(state, command)


def _answer(state: RemoteFollow, command: Answer) -> list[Event]:
    if state.status in ("none", "undone"):
        raise NotFound("no such follow request")
    if not command.moderates:
        raise Forbidden("only the community's moderators and owners answer follow requests")
    if state.status != "pending":
        return []  # answered already
    if command.approve:
        return [RemoteFollowAccepted(follow_id=state.follow_id)]
    return [
        RemoteFollowRejected(
            follow_id=state.follow_id,
            target_id=state.target_id,
            follower=state.follower,
            inbox=state.inbox,
            by=command.by,
        )
    ]


def _follow(state: RemoteFollow, command: ReceiveFollow) -> list[Event]:
    if not command.target_exists:
        raise NotFound(f"no such {command.target_kind} here", "object")
    if command.follow_id == state.follow_id and state.status in ("pending", "accepted"):
        return []  # the same Follow again
    if state.status == "accepted":
        return [RemoteFollowAccepted(follow_id=command.follow_id)]
    requested = RemoteFollowRequested(
        target_kind=command.target_kind,
        target_id=command.target_id,
        follower=command.follower,
        inbox=command.inbox,
        shared_inbox=command.shared_inbox,
        follow_id=command.follow_id,
    )
    if command.approves_by_hand:
        return [requested]
    return [requested, RemoteFollowAccepted(follow_id=command.follow_id)]
