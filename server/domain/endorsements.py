"""The endorsement aggregate: one member vouching for another member's skill, or for an
artefact (as a whole or for one skill), with an optional comment; withdrawn by the endorser.
Stream `endorsement-<key>`, `key(endorser_id, kind, target_id, skill)`: one stream per
endorser, target and skill, so the same endorsement can be active only once.

Pure: `evolve` folds events into `Endorsement`, `decide` turns a command into events or refuses
it. Facts about the target arrive in the command, checked by the service: whether it exists
(and is active), whether the endorser may see it, and for an artefact its author.

Rules that hold whatever the commands:
- a member's skill is endorsed by name (normalised like every skill); an artefact with or
  without one;
- nobody endorses themselves: not their own skill, not their own artefact;
- an endorsement is active once at a time: endorsing again while active is a conflict, after
  withdrawing it gives it anew;
- only the endorser withdraws; withdrawing what is not active changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

import msgspec

from server.domain.common import MAX_SKILL, Actor
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types.endorsements import EndorsementGiven, EndorsementWithdrawn

KINDS: tuple[str, ...] = ("member", "artefact")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_COMMENT = 2_000

Status = Literal["none", "active", "withdrawn"]
"""`none`: never given (the state before the first event)."""

_SPACES = re.compile(r"\s+")


class Endorsement(msgspec.Struct, frozen=True):
    id: str
    """`key(endorser_id, kind, target_id, skill)`."""
    status: Status = "none"
    endorser_id: str = ""
    kind: str = ""
    target_id: str = ""
    skill: str = ""
    comment: str = ""
    """The comment of the endorsement last given."""

    @property
    def active(self) -> bool:
        return self.status == "active"


def skill_name(skill: str) -> str:
    """`skill` normalised as every skill is (trimmed, lower case, spaces collapsed); "" for
    none. Never refuses: checking is `decide`'s job."""
    return _SPACES.sub(" ", skill).strip().lower()


def key(endorser_id: str, kind: str, target_id: str, skill: str = "") -> str:
    """The endorsement's id: the same for every spelling of the same skill."""
    text = f"{endorser_id}\n{kind}\n{target_id}\n{skill_name(skill)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def initial(endorsement_key: str) -> Endorsement:
    return Endorsement(id=endorsement_key)


def stream(endorsement_key: str) -> str:
    return f"endorsement-{endorsement_key}"


# -- commands -------------------------------------------------------------------------------


class Endorse(msgspec.Struct, frozen=True, kw_only=True):
    """The actor endorses a target; errors about the target name `member_id` (kind `member`) or
    `artefact_id` (kind `artefact`)."""

    actor: Actor
    kind: str
    target_id: str
    skill: str = ""
    """Required for a member; optional ("") for an artefact."""
    comment: str = ""
    target_exists: bool
    """Member: registered and active (not pending, not suspended). Artefact: created and not
    deleted."""
    target_visible: bool = True
    """Artefact: the actor may see it (one in a members-only community takes a member)."""
    target_author_id: str | None = None
    """Artefact: its author (to refuse self-endorsement)."""


class Withdraw(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


Command = Endorse | Withdraw


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: Endorsement, event: Event) -> Endorsement:
    match event:
        case EndorsementGiven():
            return msgspec.structs.replace(
                state,
                status="active",
                endorser_id=event.endorser_id,
                kind=event.kind,
                target_id=event.target_id,
                skill=event.skill,
                comment=event.comment,
            )
        case EndorsementWithdrawn():
            return msgspec.structs.replace(state, status="withdrawn")
    return state


# -- decide ---------------------------------------------------------------------------------


def decide(state: Endorsement, command: Command) -> list[Event]:
    match command:
        case Endorse():
            return _endorse(state, command)
        case Withdraw():
            if state.status == "none":
                return []
            if command.actor.member_id != state.endorser_id:
                raise Forbidden("only the endorser can withdraw an endorsement")
            if not state.active:
                return []
            return [
                EndorsementWithdrawn(
                    endorser_id=state.endorser_id,
                    kind=state.kind,  # type: ignore[arg-type]  # one of KINDS, by `evolve`
                    target_id=state.target_id,
                    skill=state.skill,
                )
            ]
    raise TypeError(f"not an endorsement command: {command!r}")


def _endorse(state: Endorsement, command: Endorse) -> list[Event]:
    kind = command.kind
    if kind not in KINDS:
        raise Invalid(f"kind must be one of: {', '.join(KINDS)}", "kind")
    endorser = command.actor.member_id
    if key(endorser, kind, command.target_id, command.skill) != state.id:
        raise ValueError("the command is not for this endorsement's stream: see key()")
    target_field = "member_id" if kind == "member" else "artefact_id"
    if not (UUID.match(command.target_id) and command.target_exists and command.target_visible):
        raise NotFound(f"no such {kind}", target_field)
    if kind == "member" and command.target_id == endorser:
        raise Invalid("you cannot endorse your own skills", target_field)
    if kind == "artefact" and command.target_author_id == endorser:
        raise Invalid("you cannot endorse your own artefact", target_field)
    skill = _skill(command.skill, required=kind == "member")
    comment = command.comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(f"comment is at most {MAX_COMMENT} characters", "comment")
    if "\x00" in comment:
        raise Invalid("comment may not contain the NUL character", "comment")
    if state.active:
        raise Conflict("you already endorsed this", "skill")
    return [
        EndorsementGiven(
            endorser_id=endorser,
            kind=kind,  # type: ignore[arg-type]  # checked against KINDS above
            target_id=command.target_id,
            skill=skill,
            comment=comment,
        )
    ]


def _skill(value: str, *, required: bool) -> str:
    name = skill_name(value)
    if required and not name:
        raise Invalid("name the skill you endorse", "skill")
    if len(name) > MAX_SKILL:
        raise Invalid(f"a skill is at most {MAX_SKILL} characters", "skill")
    if "\x00" in name:
        raise Invalid("skill may not contain the NUL character", "skill")
    return name
