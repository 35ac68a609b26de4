"""Endorsements: a member vouching for another member's skill, or for an artefact (as a whole or
for one skill it shows), with an optional comment; withdrawn by the endorser.

An endorsement's id is its key: the same member endorsing the same target for the same skill
always makes the same id, so it is active at most once (endorsing it again while active is a
409; after withdrawing, it can be given again). Endorsements by suspended members are not
served, nor those of a suspended member or of an artefact the reader may not see.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

from server.api.accounts import PageQuery
from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import endorsements as endorsement_commands
from server.domain import endorsements
from server.domain.common import is_id
from server.events.types.fields import Id, Summary
from server.projections import endorsements as endorsements_read
from server.projections import members as members_read
from server.projections.endorsements import EndorsementView
from server.projections.pagination import Page

api = Api()

SkillName = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00]*$")]
_KEY = re.compile(r"[0-9a-f]{32}")


class NewEndorsement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: Literal["member", "artefact"]
    member_id: Id | None = None
    """The member whose skill you endorse (kind `member`)."""
    artefact_id: Id | None = None
    """The artefact you endorse (kind `artefact`)."""
    skill: SkillName = ""
    """The skill: required for a member, optional for an artefact. Compared as every skill
    is (trimmed, lower case)."""
    comment: Summary = ""


class EndorsementsQuery(PageQuery, kw_only=True):
    skill: SkillName | None = None
    """Only the endorsements of this skill."""


@api.route(
    "POST",
    "/api/v1/endorsements",
    tag="endorsements",
    body=NewEndorsement,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(404, 409, 422),
)
async def endorse(call: Call) -> Written:
    """Endorse a member's skill or an artefact; `id` is the endorsement's. Nobody endorses
    their own skills or artefacts."""
    body: NewEndorsement = call.body
    target_field = "member_id" if body.kind == "member" else "artefact_id"
    target_id = body.member_id if body.kind == "member" else body.artefact_id
    other = body.artefact_id if body.kind == "member" else body.member_id
    if other is not None:
        field = "artefact_id" if body.kind == "member" else "member_id"
        raise field_problem(
            422, "Unprocessable Content", field, f"a {body.kind} endorsement names no {field}"
        )
    if target_id is None:
        raise field_problem(
            422, "Unprocessable Content", target_field, f"name the {body.kind} you endorse"
        )
    endorsement_id, results = await endorsement_commands.endorse(
        call.cx,
        call.actor,
        kind=body.kind,
        target_id=target_id,
        skill=body.skill,
        comment=body.comment,
    )
    return written(results, endorsement_id)


@api.route(
    "DELETE",
    "/api/v1/endorsements/{endorsement_id}",
    tag="endorsements",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def withdraw_endorsement(call: Call) -> Written:
    """Withdraw an endorsement you gave."""
    endorsement_id = call.param("endorsement_id")
    if not _KEY.fullmatch(endorsement_id):
        raise field_problem(404, "Not Found", "endorsement_id", "no such endorsement")
    results = await endorsement_commands.withdraw(call.cx, call.actor, endorsement_id)
    return written(results, endorsement_id)


@api.route(
    "GET",
    "/api/v1/members/{member}/endorsements",
    tag="endorsements",
    query=EndorsementsQuery,
    response=Page[EndorsementView],
    auth="optional",
    errors=(404,),
)
async def list_member_endorsements(call: Call) -> Page[EndorsementView]:
    """The endorsements of a member's skills (`{member}`: id or handle), newest first;
    `?skill=` for one skill."""
    query: EndorsementsQuery = call.query
    skill = endorsements.skill_name(query.skill) if query.skill is not None else None
    key = call.param("member")
    async with call.db() as conn:
        member = None if "\x00" in key else await members_read.get_member(conn, key)
        if member is None:
            raise field_problem(404, "Not Found", "member", "no such member")
        return await endorsements_read.list_member_endorsements(
            conn, member.id, skill, query.cursor, query.limit
        )


@api.route(
    "GET",
    "/api/v1/artefacts/{artefact_id}/endorsements",
    tag="endorsements",
    query=PageQuery,
    response=Page[EndorsementView],
    auth="optional",
    errors=(404,),
)
async def list_artefact_endorsements(call: Call) -> Page[EndorsementView]:
    """The endorsements of an artefact, newest first."""
    artefact_id = call.param("artefact_id")
    if not is_id(artefact_id):
        raise field_problem(404, "Not Found", "artefact_id", "no such artefact")
    async with call.db() as conn:
        found = await endorsements_read.list_artefact_endorsements(
            conn, artefact_id, call.viewer, call.query.cursor, call.query.limit
        )
    if found is None:
        raise field_problem(404, "Not Found", "artefact_id", "no such artefact")
    return found
