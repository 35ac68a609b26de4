"""Artefacts: a member's work samples, revised over time with every revision kept and readable,
optionally attached to a community they belong to.

An artefact attached to a members-only community is a 404 for anyone who is not a member or an
instance admin; a suspended member's artefacts are not served.
"""

from __future__ import annotations

import msgspec

from server.api.accounts import PageQuery
from server.api.communities import visible_community
from server.api.members import active_member
from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import artefacts as artefact_commands
from server.events.types.fields import Id, LongText, ShortText, Skills, Summary, TextFormat, Urls
from server.projections import artefacts as artefacts_read
from server.projections.artefacts import ArtefactView, RevisionView
from server.projections.pagination import Page

api = Api()

MAX_REVISION = 2**31 - 1


class NewArtefact(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: ShortText
    summary: Summary = ""
    body: LongText = ""
    """As you write it, in `format`; served back as written and rendered to safe HTML."""
    format: TextFormat = "markdown"
    """`markdown` (CommonMark) or `plain`."""
    links: Urls = msgspec.field(default_factory=list)
    """http:// or https:// addresses: the work itself, a repository, a demo."""
    skills: Skills = msgspec.field(default_factory=list)
    """The skills it demonstrates."""
    community_id: Id | None = None
    """A community you belong to, to attach the artefact to; null: only on your profile."""


class ArtefactChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change; the result is the artefact's next revision."""

    title: ShortText | None = None
    summary: Summary | None = None
    body: LongText | None = None
    format: TextFormat | None = None
    links: Urls | None = None
    skills: Skills | None = None


# -- helpers --------------------------------------------------------------------------------


def _not_found() -> Exception:
    return field_problem(404, "Not Found", "artefact_id", "no such artefact")


# -- artefacts ------------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/artefacts",
    tag="artefacts",
    body=NewArtefact,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def create_artefact(call: Call) -> Written:
    """Create an artefact (its revision 1); `id` is the new artefact's. Attaching it to a
    community needs membership of it."""
    body: NewArtefact = call.body
    artefact_id, results = await artefact_commands.create(
        call.cx,
        call.actor,
        title=body.title,
        summary=body.summary,
        body=body.body,
        format=body.format,
        links=body.links,
        skills=body.skills,
        community_id=body.community_id,
    )
    return written(results, artefact_id)


@api.route(
    "GET",
    "/api/v1/artefacts/{artefact_id}",
    tag="artefacts",
    response=ArtefactView,
    auth="optional",
    errors=(404,),
)
async def get_artefact(call: Call) -> ArtefactView:
    """An artefact with its current revision."""
    artefact_id = call.id_param("artefact_id")
    async with call.db() as conn:
        view = await artefacts_read.get_artefact(conn, artefact_id, call.viewer)
    if view is None:
        raise _not_found()
    return view


@api.route(
    "PATCH",
    "/api/v1/artefacts/{artefact_id}",
    tag="artefacts",
    body=ArtefactChanges,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def revise_artefact(call: Call) -> Written:
    """Revise an artefact (its author): the fields sent change, making its next revision. A
    revision that changes nothing writes nothing (`position` null)."""
    artefact_id = call.id_param("artefact_id")
    body: ArtefactChanges = call.body
    results = await artefact_commands.revise(
        call.cx,
        call.actor,
        artefact_id,
        title=body.title,
        summary=body.summary,
        body=body.body,
        format=body.format,
        links=body.links,
        skills=body.skills,
    )
    return written(results, artefact_id)


@api.route(
    "DELETE",
    "/api/v1/artefacts/{artefact_id}",
    tag="artefacts",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def delete_artefact(call: Call) -> Written:
    """Delete an artefact (its author): neither it nor any revision of it is served again."""
    artefact_id = call.id_param("artefact_id")
    return written(await artefact_commands.delete(call.cx, call.actor, artefact_id), artefact_id)


# -- revisions ------------------------------------------------------------------------------


@api.route(
    "GET",
    "/api/v1/artefacts/{artefact_id}/revisions",
    tag="artefacts",
    query=PageQuery,
    response=Page[RevisionView],
    auth="optional",
    errors=(404,),
)
async def list_artefact_revisions(call: Call) -> Page[RevisionView]:
    """Every revision of an artefact, newest first."""
    artefact_id = call.id_param("artefact_id")
    async with call.db() as conn:
        revisions = await artefacts_read.list_revisions(
            conn, artefact_id, call.viewer, call.query.cursor, call.query.limit
        )
    if revisions is None:
        raise _not_found()
    return revisions


@api.route(
    "GET",
    "/api/v1/artefacts/{artefact_id}/revisions/{revision}",
    tag="artefacts",
    response=RevisionView,
    auth="optional",
    errors=(404,),
)
async def get_artefact_revision(call: Call) -> RevisionView:
    """Revision `revision` of an artefact (1 is the creation)."""
    artefact_id = call.id_param("artefact_id")
    text = call.param("revision")
    number = int(text) if text.isascii() and text.isdecimal() else 0
    if not 1 <= number <= MAX_REVISION:
        raise field_problem(404, "Not Found", "revision", "no such revision")
    async with call.db() as conn:
        view = await artefacts_read.get_revision(conn, artefact_id, number, call.viewer)
        if view is None and not await artefacts_read.get_artefact(conn, artefact_id, call.viewer):
            raise _not_found()
    if view is None:
        raise field_problem(404, "Not Found", "revision", "no such revision")
    return view


# -- lists ----------------------------------------------------------------------------------


@api.route(
    "GET",
    "/api/v1/members/{member}/artefacts",
    tag="artefacts",
    query=PageQuery,
    response=Page[ArtefactView],
    auth="optional",
    errors=(404,),
)
async def list_member_artefacts(call: Call) -> Page[ArtefactView]:
    """A member's artefacts the reader may see, newest first; `{member}` is an id or a
    handle."""
    member = await active_member(call)
    async with call.db() as conn:
        return await artefacts_read.list_member_artefacts(
            conn, member.id, call.viewer, call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/communities/{community}/artefacts",
    tag="artefacts",
    query=PageQuery,
    response=Page[ArtefactView],
    auth="optional",
    errors=(404,),
)
async def list_community_artefacts(call: Call) -> Page[ArtefactView]:
    """The artefacts attached to a community, newest first; `{community}` is an id or a
    slug."""
    community = await visible_community(call)
    async with call.db() as conn:
        return await artefacts_read.list_community_artefacts(
            conn, community.id, call.viewer, call.query.cursor, call.query.limit
        )
