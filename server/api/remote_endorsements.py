"""Endorsing the skills of people on other servers: a member vouches for a remote actor's
skill (one this instance knows: looked up or followed before), with an optional comment;
federation sends it as Learnwork's `Endorse` activity (docs/federation.md), and withdrawing it
sends an `Undo`.

As between members (server/api/endorsements.py), the endorsement's id is its key: the same
member endorsing the same actor for the same skill always makes the same id, active at most
once (409 while it is).
"""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

from server.api.endorsements import SkillName
from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import remote_endorsements
from server.events.types.fields import Summary

api = Api()

ActorId = Annotated[str, msgspec.Meta(max_length=2_000, pattern=r"^https?://\S+$")]
_KEY = re.compile(r"[0-9a-f]{32}")


class NewRemoteEndorsement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    actor: ActorId
    """The ActivityPub id of the person whose skill you endorse: someone this instance knows
    (404 otherwise)."""
    skill: SkillName
    """Compared as every skill is (trimmed, lower case)."""
    comment: Summary = ""


@api.route(
    "POST",
    "/api/v1/remote/endorsements",
    tag="endorsements",
    body=NewRemoteEndorsement,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(404, 409, 422),
)
async def endorse_remote(call: Call) -> Written:
    """Endorse the skill of a person on another server; `id` is the endorsement's. It is sent
    to them as an `Endorse`, signed by you."""
    body: NewRemoteEndorsement = call.body
    endorsement_id, results = await remote_endorsements.give(
        call.cx, call.actor, actor_id=body.actor, skill=body.skill, comment=body.comment
    )
    return written(results, endorsement_id)


@api.route(
    "DELETE",
    "/api/v1/remote/endorsements/{endorsement_id}",
    tag="endorsements",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def withdraw_remote_endorsement(call: Call) -> Written:
    """Withdraw an endorsement you gave someone on another server: an `Undo` is sent."""
    endorsement_id = call.param("endorsement_id")
    if not _KEY.fullmatch(endorsement_id):
        raise field_problem(404, "Not Found", "endorsement_id", "no such endorsement")
    results = await remote_endorsements.withdraw(call.cx, call.actor, endorsement_id)
    return written(results, endorsement_id)
