"""Endorsements across servers, both ways — two small aggregates:

- `Given`: a member of ours endorsing a remote actor's skill. Stream
  `remoteendorsement-<given_key(member_id, actor_id, skill)>`. Federation sends an `Endorse`
  to the actor, and an `Undo` of it when the member withdraws.
- `Received`: an actor on another server endorsing one of our members' skills by a verified
  `Endorse`. Stream `receivedendorsement-<received_key(actor_id, member_id, skill)>`.

Pure: facts about the other side (the remote actor is known and a person; our member is
active) arrive in the command. Rules, as for endorsements between our members
(server/domain/endorsements.py): a skill is named as every skill is (trimmed, lower case,
spaces collapsed, at most 50 characters), an endorsement is active once at a time, and only
who gave it takes it back. Also:
- every time a member gives one, it has a new `endorse_id` (an `Undo` names what it undoes);
- a received `Endorse` is idempotent on its id, and one that was undone does not come back
  (a late copy of it changes nothing); another `Endorse` of the same skill while one stands
  changes nothing;
- a received comment is plain text, trimmed, without NUL, cut at `MAX_COMMENT` characters —
  another server's limits are not ours to refuse.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import msgspec

from server.domain.common import MAX_SKILL
from server.domain.endorsements import MAX_COMMENT, skill_name
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types.endorsements import RemoteEndorsementReceived, RemoteEndorsementUndone
from server.events.types.remote import RemoteEndorsementGiven, RemoteEndorsementWithdrawn

Status = Literal["none", "active", "withdrawn"]


def given_key(member_id: str, actor_id: str, skill: str) -> str:
    """The id of a member's endorsement of an actor's skill: the same for every spelling."""
    return _key(f"{member_id}\n{actor_id}\n{skill_name(skill)}")


def received_key(actor_id: str, member_id: str, skill: str) -> str:
    return _key(f"{actor_id}\n{member_id}\n{skill_name(skill)}")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# -- given: ours, of a remote actor ---------------------------------------------------------


class Given(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    member_id: str = ""
    actor_id: str = ""
    skill: str = ""
    endorse_id: str = ""
    """The `Endorse` last sent."""

    @property
    def active(self) -> bool:
        return self.status == "active"


def initial_given(key: str) -> Given:
    return Given(id=key)


class Give(msgspec.Struct, frozen=True, kw_only=True):
    """`member_id` endorses `actor_id`'s skill; errors about the actor name `actor`."""

    member_id: str
    actor_id: str
    skill: str
    comment: str = ""
    endorse_id: str
    """A new id (a UUID), for the `Endorse` this sends."""
    actor_kind: str | None
    """The remote actor's type as its document says; None: not an actor we know."""


class Withdraw(msgspec.Struct, frozen=True, kw_only=True):
    member_id: str


def evolve_given(state: Given, event: Event) -> Given:
    match event:
        case RemoteEndorsementGiven():
            return msgspec.structs.replace(
                state,
                status="active",
                member_id=event.member_id,
                actor_id=event.actor_id,
                skill=event.skill,
                endorse_id=event.endorse_id,
            )
        case RemoteEndorsementWithdrawn():
            return msgspec.structs.replace(state, status="withdrawn")
    return state


def decide_given(state: Given, command: Give | Withdraw) -> list[Event]:
    match command:
        case Give():
            return _give(state, command)
        case Withdraw():
            if state.status == "none":
                raise NotFound("no such endorsement", "endorsement_id")
            if command.member_id != state.member_id:
                raise Forbidden("only the endorser can withdraw an endorsement")
            if not state.active:
                return []
            return [
                RemoteEndorsementWithdrawn(
                    member_id=state.member_id,
                    actor_id=state.actor_id,
                    skill=state.skill,
                    endorse_id=state.endorse_id,
                )
            ]
    raise TypeError(f"not a remote endorsement command: {command!r}")


def _give(state: Given, command: Give) -> list[Event]:
    if given_key(command.member_id, command.actor_id, command.skill) != state.id:
        raise ValueError("the command is not for this endorsement's stream: see given_key()")
    if command.actor_kind is None:
        raise NotFound("no such remote actor: look it up first", "actor")
    if command.actor_kind != "Person":
        raise Invalid("only a person's skills are endorsed", "actor")
    skill = _skill(command.skill)
    comment = command.comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(f"comment is at most {MAX_COMMENT} characters", "comment")
    if "\x00" in comment:
        raise Invalid("comment may not contain the NUL character", "comment")
    if state.active:
        raise Conflict("you already endorsed this", "skill")
    return [
        RemoteEndorsementGiven(
            member_id=command.member_id,
            actor_id=command.actor_id,
            skill=skill,
            endorse_id=command.endorse_id,
            comment=comment,
        )
    ]


# -- received: a remote actor's, of ours ----------------------------------------------------


class Received(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    endorse_id: str = ""
    """The `Endorse` that stands (or stood last)."""
    undone: frozenset[str] = frozenset()
    """Every `Endorse` taken back: a late copy of one does not count again."""


def initial_received(key: str) -> Received:
    return Received(id=key)


class Receive(msgspec.Struct, frozen=True, kw_only=True):
    """A verified `Endorse` (id `endorse_id`) by `actor_id` of our member's skill."""

    actor_id: str
    member_id: str
    skill: str
    comment: str = ""
    endorse_id: str
    member_active: bool


class ReceiveUndo(msgspec.Struct, frozen=True, kw_only=True):
    actor_id: str
    member_id: str
    skill: str
    endorse_id: str


def evolve_received(state: Received, event: Event) -> Received:
    match event:
        case RemoteEndorsementReceived():
            return msgspec.structs.replace(state, status="active", endorse_id=event.endorse_id)
        case RemoteEndorsementUndone():
            undone = state.undone | {event.endorse_id}
            return msgspec.structs.replace(state, status="withdrawn", undone=undone)
    return state


def decide_received(state: Received, command: Receive | ReceiveUndo) -> list[Event]:
    match command:
        case Receive():
            if not command.member_active:
                raise NotFound("no such member", "object")
            skill = _skill(command.skill)
            if received_key(command.actor_id, command.member_id, skill) != state.id:
                raise ValueError("the command is not for this stream: see received_key()")
            if state.status == "active" or command.endorse_id in state.undone:
                return []
            return [
                RemoteEndorsementReceived(
                    actor_id=command.actor_id,
                    member_id=command.member_id,
                    skill=skill,
                    endorse_id=command.endorse_id,
                    comment=_plain(command.comment),
                )
            ]
        case ReceiveUndo():
            if state.status != "active" or state.endorse_id != command.endorse_id:
                return []
            return [
                RemoteEndorsementUndone(
                    actor_id=command.actor_id,
                    member_id=command.member_id,
                    skill=skill_name(command.skill),
                    endorse_id=command.endorse_id,
                )
            ]
    raise TypeError(f"not a received endorsement command: {command!r}")


def _skill(value: str) -> str:
    name = skill_name(value)
    if not name:
        raise Invalid("name the skill endorsed", "skill")
    if len(name) > MAX_SKILL:
        raise Invalid(f"a skill is at most {MAX_SKILL} characters", "skill")
    if "\x00" in name:
        raise Invalid("skill may not contain the NUL character", "skill")
    return name


def _plain(comment: str) -> str:
    return comment.replace("\x00", "").strip()[:MAX_COMMENT].strip()
