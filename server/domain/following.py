"""A member of ours following a remote actor (a person, or a group: another server's
community). Stream `following-<key>`, `key(member_id, actor_id)`.

Pure: `evolve` folds events into `Following`, `decide` turns a command into events. The
`Follow` activity's id comes in the command (the caller makes it: no randomness here).

Rules:
- following what one already follows (or waits for) changes nothing;
- the actor's `Accept` or `Reject` counts only for the `Follow` that waits or stands, by its
  id, and only from the actor followed; anything else is ignored;
- a rejected follow may be asked again; unfollowing what one does not follow changes nothing.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import msgspec

from server.events import Event
from server.events.types.remote import (
    FollowingAccepted,
    FollowingRejected,
    FollowingRequested,
    FollowingUndone,
)

Status = Literal["none", "pending", "accepted", "rejected", "undone"]


class Following(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    member_id: str = ""
    actor_id: str = ""
    follow_id: str = ""

    @property
    def stands_or_waits(self) -> bool:
        return self.status in ("pending", "accepted")


def key(member_id: str, actor_id: str) -> str:
    return hashlib.sha256(f"{member_id}\n{actor_id}".encode()).hexdigest()[:32]


def initial(following_key: str) -> Following:
    return Following(id=following_key)


class Follow(msgspec.Struct, frozen=True, kw_only=True):
    member_id: str
    actor_id: str
    follow_id: str
    """The id the new `Follow` activity will have."""


class Unfollow(msgspec.Struct, frozen=True, kw_only=True):
    member_id: str


class ReceiveAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The followed actor's `Accept` (accepted) or `Reject` (not) of `follow_id`."""

    actor_id: str
    follow_id: str
    accepted: bool


Command = Follow | Unfollow | ReceiveAnswer


def evolve(state: Following, event: Event) -> Following:
    replace = msgspec.structs.replace
    match event:
        case FollowingRequested():
            return replace(
                state,
                status="pending",
                member_id=event.member_id,
                actor_id=event.actor_id,
                follow_id=event.follow_id,
            )
        case FollowingAccepted():
            return replace(state, status="accepted")
        case FollowingRejected():
            return replace(state, status="rejected")
        case FollowingUndone():
            return replace(state, status="undone")
    return state


def decide(state: Following, command: Command) -> list[Event]:
    match command:
        case Follow():
            if state.stands_or_waits:
                return []
            return [
                FollowingRequested(
                    member_id=command.member_id,
                    actor_id=command.actor_id,
                    follow_id=command.follow_id,
                )
            ]
        case Unfollow():
            if state.stands_or_waits and command.member_id == state.member_id:
                return [
                    FollowingUndone(
                        member_id=state.member_id,
                        actor_id=state.actor_id,
                        follow_id=state.follow_id,
                    )
                ]
            return []
        case ReceiveAnswer():
            if (
                not state.stands_or_waits
                or command.actor_id != state.actor_id
                or command.follow_id != state.follow_id
            ):
                return []
            if command.accepted:
                return (
                    []
                    if state.status == "accepted"
                    else [FollowingAccepted(follow_id=state.follow_id)]
                )
            return [FollowingRejected(follow_id=state.follow_id)]
