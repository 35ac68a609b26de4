"""Endorsements: a member vouching for another member's skill, or for an artefact (optionally
for one skill it shows), with an optional comment.

Stream: `endorsement-<key>`, where `key` is the first 32 hex digits of the SHA-256 of
`"<endorser_id>\\n<kind>\\n<target_id>\\n<skill>"` (`server.domain.endorsements.key`): one
stream per endorser, target and skill, so two endorsements of the same thing by the same
member race for one stream and cannot both be active. Since the key cannot be taken apart,
every event names the endorsement in full.

Endorsements of our members' skills by actors on other servers (Learnwork's `Endorse`
activity, docs/federation.md) are streams of their own, `receivedendorsement-<key>`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id, Summary
from server.events.types.remote import ActivityId

EndorsementKind = Literal["member", "artefact"]
"""`member`: `target_id` is a member and `skill` names the skill; `artefact`: an artefact."""

SkillOrNone = Annotated[str, msgspec.Meta(max_length=50)]
"""A normalised skill name, or "" for an artefact endorsed as a whole."""


class EndorsementGiven(Event, frozen=True, tag="endorsement.given"):
    """`endorser_id` endorsed the target — for the first time, or again after withdrawing."""

    endorser_id: Id
    kind: EndorsementKind
    target_id: Id
    skill: SkillOrNone = ""
    comment: Summary = ""


class EndorsementWithdrawn(Event, frozen=True, tag="endorsement.withdrawn"):
    """The endorser took the endorsement back; it counts no more."""

    endorser_id: Id
    kind: EndorsementKind
    target_id: Id
    skill: SkillOrNone = ""


class RemoteEndorsementReceived(Event, frozen=True, tag="endorsement.received"):
    """An actor on another server endorsed a member's skill: its `Endorse` (id `endorse_id`),
    verified. Stream `receivedendorsement-<key>`, one per actor, member and skill
    (server/domain/remote_endorsements.py)."""

    actor_id: ActivityId
    member_id: Id
    skill: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    endorse_id: ActivityId
    comment: Summary = ""
    """Plain text."""


class RemoteEndorsementUndone(Event, frozen=True, tag="endorsement.undone"):
    """The actor took it back: an `Undo` of `endorse_id`."""

    actor_id: ActivityId
    member_id: Id
    skill: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    endorse_id: ActivityId


TYPES: list[type[Event]] = [
    EndorsementGiven,
    EndorsementWithdrawn,
    RemoteEndorsementReceived,
    RemoteEndorsementUndone,
]
