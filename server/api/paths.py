"""Learning paths: ordered steps (a resource link, an artefact, a post, a text) put together in a
community, and the learners who enroll in them, complete their steps and complete the path.

Who sees what:
- a path in a members-only community is a 404 for anyone who is not a member or an instance
  admin (and only members enroll in it);
- a draft is seen only by those who may edit it — its creator, the community's moderators and
  owners, instance admins; published and archived paths by everyone who sees the community
  (`status` says which);
- a suspended member's paths are not served, nor their enrollments.

Progress is measured against the path as it reads now (docs/paths.md): steps added later start
incomplete, removed steps no longer count, reordering changes nothing; a completed path stays
completed. A learner's progress on a path — completed steps, evidence, reflections — is shared
with everyone who may read the path: learning in a community is done in the open, and the
community sees who is following its paths.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Literal

import msgspec

from server.api.accounts import PageQuery
from server.api.communities import visible_community
from server.api.keys import OPTIONS, RUNNER
from server.api.members import active_member
from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import communities as community_commands
from server.commands import enrollments as enrollment_commands
from server.commands import paths as path_commands
from server.events import AppendResult, WrongExpectedVersion
from server.events.types.fields import Id, ShortText, Skills, Summary, Url
from server.events.types.paths import MAX_STEPS, Minutes, Note, StepIds, StepKind
from server.projections import paths as paths_read
from server.projections.pagination import Page
from server.projections.paths import EnrollmentView, MemberEnrollmentView, PathSummaryView, PathView

log = logging.getLogger(__name__)

api = Api()

RECONCILE_CONCURRENCY = 8


class StepBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: StepKind
    """`resource`: a link (`url` required); `artefact` / `post`: one of ours (`ref_id`
    required, which you must be able to see); `text`: a note (`text` required)."""
    title: ShortText
    url: Url | None = None
    """Only for a `resource` step."""
    ref_id: Id | None = None
    """The artefact or post of an `artefact` / `post` step; only for those."""
    text: Note = ""
    """Markdown: the note of a `text` step, an optional note for the others."""
    estimated_minutes: Minutes | None = None


class NewPath(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: ShortText
    summary: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)
    """The skills a learner practises along the path."""
    steps: Annotated[list[StepBody], msgspec.Meta(max_length=MAX_STEPS)] = msgspec.field(
        default_factory=list
    )
    """In order; errors name the step at fault (`steps[2].url`). A path is created as a
    draft: publish it when it is ready."""


class PathChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change."""

    title: ShortText | None = None
    summary: Summary | None = None
    skills: Skills | None = None


class NewStep(StepBody, kw_only=True, forbid_unknown_fields=True):
    position: Annotated[int, msgspec.Meta(ge=0, lt=MAX_STEPS)] | None = None
    """Where the step goes, 0-based (0: first; the number of steps: last); left out: last."""


class StepChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change (`estimated_minutes: null` clears the estimate). Changing
    `kind` drops what the new kind has no use for and needs what it requires (a `url`, a
    `ref_id`)."""

    kind: StepKind | None = None
    title: ShortText | None = None
    url: Url | None = None
    ref_id: Id | None = None
    text: Note | None = None
    estimated_minutes: Minutes | msgspec.UnsetType | None = msgspec.UNSET


class StepOrder(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    step_ids: StepIds
    """Every step id of the path, each once, in the new order."""


class Completion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    evidence_artefact_id: Id | None = None
    """An artefact of your own that shows the work."""
    reflection: Note = ""
    """What you learned (Markdown); shared with those who can see the path."""


class PathsQuery(PageQuery, kw_only=True):
    status: Literal["draft", "published", "archived"] | None = None
    """Only the paths in this state (drafts: only those you may edit)."""


# -- helpers --------------------------------------------------------------------------------


async def _visible_path(call: Call) -> PathView:
    """The path `{path_id}` names, as the reader may see it; 404 if they may not."""
    path_id = call.id_param("path_id")
    async with call.db() as conn:
        view = await paths_read.get_path(conn, path_id, call.viewer)
    if view is None:
        raise field_problem(404, "Not Found", "path_id", "no such path")
    return view


def _step(body: StepBody) -> path_commands.StepSpec:
    return path_commands.StepSpec(
        kind=body.kind,
        title=body.title,
        url=body.url,
        ref_id=body.ref_id,
        text=body.text,
        estimated_minutes=body.estimated_minutes,
    )


# -- paths ----------------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/communities/{community}/paths",
    tag="paths",
    body=NewPath,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def create_path(call: Call) -> Written:
    """Create a learning path in a community you belong to, as a draft; `id` is the new
    path's."""
    community_id = await community_commands.community_id_for(call.cx, call.param("community"))
    if community_id is None:
        raise field_problem(404, "Not Found", "community", "no such community")
    body: NewPath = call.body
    path_id, results = await path_commands.create(
        call.cx,
        call.actor,
        community_id,
        title=body.title,
        summary=body.summary,
        skills=body.skills,
        steps=[_step(step) for step in body.steps],
    )
    return written(results, path_id)


@api.route(
    "GET",
    "/api/v1/communities/{community}/paths",
    tag="paths",
    query=PathsQuery,
    response=Page[PathSummaryView],
    auth="optional",
    errors=(404,),
)
async def list_community_paths(call: Call) -> Page[PathSummaryView]:
    """The community's learning paths, newest first: published and archived ones, and the
    drafts you may edit."""
    community = await visible_community(call)
    query: PathsQuery = call.query
    async with call.db() as conn:
        return await paths_read.list_community_paths(
            conn, community.id, call.viewer, query.status, query.cursor, query.limit
        )


@api.route(
    "GET",
    "/api/v1/paths/{path_id}",
    tag="paths",
    response=PathView,
    auth="optional",
    errors=(404,),
)
async def get_path(call: Call) -> PathView:
    """A learning path with its steps in order, and your progress if you enrolled."""
    return await _visible_path(call)


@api.route(
    "PATCH",
    "/api/v1/paths/{path_id}",
    tag="paths",
    body=PathChanges,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def update_path(call: Call) -> Written:
    """Change a path's title, summary or skills (its creator, the community's moderators)."""
    path_id = call.id_param("path_id")
    body: PathChanges = call.body
    results = await path_commands.update(
        call.cx, call.actor, path_id, title=body.title, summary=body.summary, skills=body.skills
    )
    return written(results, path_id)


@api.route(
    "POST",
    "/api/v1/paths/{path_id}/publish",
    tag="paths",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409),
)
async def publish_path(call: Call) -> Written:
    """Publish a draft: learners may enroll. A path needs at least one step."""
    path_id = call.id_param("path_id")
    return written(await path_commands.publish(call.cx, call.actor, path_id), path_id)


@api.route(
    "POST",
    "/api/v1/paths/{path_id}/archive",
    tag="paths",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def archive_path(call: Call) -> Written:
    """Retire a path: no more edits nor new learners; those enrolled keep their progress and
    may go on."""
    path_id = call.id_param("path_id")
    return written(await path_commands.archive(call.cx, call.actor, path_id), path_id)


# -- steps ----------------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/paths/{path_id}/steps",
    tag="paths",
    body=NewStep,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def add_step(call: Call) -> Written:
    """Add a step (at `position`, or last); `id` is the new step's. It starts incomplete for
    every learner."""
    path_id = call.id_param("path_id")
    body: NewStep = call.body
    step_id, results = await path_commands.add_step(
        call.cx, call.actor, path_id, _step(body), body.position
    )
    return written(results, step_id)


@api.route(
    "PATCH",
    "/api/v1/paths/{path_id}/steps/{step_id}",
    tag="paths",
    body=StepChanges,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def update_step(call: Call) -> Written:
    """Change a step; it stays complete for those who completed it."""
    path_id = call.id_param("path_id")
    step_id = call.id_param("step_id")
    body: StepChanges = call.body
    results = await path_commands.update_step(
        call.cx,
        call.actor,
        path_id,
        step_id,
        kind=body.kind,
        title=body.title,
        url=body.url,
        ref_id=body.ref_id,
        text=body.text,
        estimated_minutes=body.estimated_minutes,
    )
    return written(results, step_id)


@api.route(
    "DELETE",
    "/api/v1/paths/{path_id}/steps/{step_id}",
    tag="paths",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409),
)
async def remove_step(call: Call) -> Written:
    """Remove a step. It no longer counts in anybody's progress; learners who had completed
    every other step have now completed the path. A published path keeps at least one step.

    Completing the path is the learners' enrollments' to record (`enrollment.path_completed`,
    in their own streams), so the removal alone records nothing for them. After the removal is
    written, this waits for the paths read model to reach it, lists the path's learners who
    have not completed it, and runs `reconcile` for each: it records the completion where
    every current step is complete, and nothing elsewhere (idempotent, so a retried request or
    a concurrent reconcile does no harm). The answer's `position` covers those completions.
    Learners who enroll or complete a step after the removal decide on the new step list
    themselves, and `server.commands.enrollments` reconciles them once more after their own
    write, which covers a completion racing with the removal."""
    path_id = call.id_param("path_id")
    step_id = call.id_param("step_id")
    results = await path_commands.remove_step(call.cx, call.actor, path_id, step_id)
    if results:
        results += await _reconcile_learners(call, path_id, max(r.position for r in results))
    return written(results, step_id)


async def _reconcile_learners(call: Call, path_id: str, position: int) -> list[AppendResult]:
    app = call.request.app
    try:
        async with asyncio.timeout(app[OPTIONS].read_wait_seconds):
            await app[RUNNER].wait_for(position, ("paths",))
    except TimeoutError:
        log.warning("paths read model behind position %d: reconciling what it has", position)
    async with call.db() as conn:
        learners = await paths_read.learners_to_reconcile(conn, path_id)
    limit = asyncio.Semaphore(RECONCILE_CONCURRENCY)

    async def reconcile(member_id: str) -> list[AppendResult]:
        async with limit:
            try:
                return await enrollment_commands.reconcile(call.cx, path_id, member_id)
            except WrongExpectedVersion:
                # The learner's own write won the race; it reconciles after itself.
                return []

    done = await asyncio.gather(*(reconcile(member_id) for member_id in learners))
    return [result for results in done for result in results]


@api.route(
    "PUT",
    "/api/v1/paths/{path_id}/steps/order",
    tag="paths",
    body=StepOrder,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def reorder_steps(call: Call) -> Written:
    """Put the steps in a new order (every step id, each once). Progress is unchanged."""
    path_id = call.id_param("path_id")
    results = await path_commands.reorder_steps(call.cx, call.actor, path_id, call.body.step_ids)
    return written(results, path_id)


# -- enrollments ----------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/paths/{path_id}/enroll",
    tag="paths",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409),
)
async def enroll(call: Call) -> Written:
    """Enroll in a published path (again after leaving: your completed steps are kept).
    A members-only community's paths take a member."""
    path_id = call.id_param("path_id")
    return written(await enrollment_commands.enroll(call.cx, call.actor, path_id), path_id)


@api.route(
    "POST",
    "/api/v1/paths/{path_id}/leave",
    tag="paths",
    response=Written,
    scope="write",
    limit="write",
    errors=(404, 409),
)
async def leave_path(call: Call) -> Written:
    """Leave a path. Your completed steps are kept should you enroll again."""
    path_id = call.id_param("path_id")
    return written(await enrollment_commands.leave(call.cx, call.actor, path_id), path_id)


@api.route(
    "POST",
    "/api/v1/paths/{path_id}/steps/{step_id}/complete",
    tag="paths",
    body=Completion,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def complete_step(call: Call) -> Written:
    """Mark a step of a path you are enrolled in complete, optionally with an artefact of
    your own as evidence and a reflection. Completing it again changes nothing; completing
    the last open step completes the path."""
    path_id = call.id_param("path_id")
    step_id = call.id_param("step_id")
    body: Completion = call.body
    results = await enrollment_commands.complete_step(
        call.cx,
        call.actor,
        path_id,
        step_id,
        evidence_artefact_id=body.evidence_artefact_id,
        reflection=body.reflection,
    )
    return written(results, step_id)


@api.route(
    "GET",
    "/api/v1/paths/{path_id}/enrollments/{member}",
    tag="paths",
    response=EnrollmentView,
    auth="optional",
    errors=(404,),
)
async def get_enrollment(call: Call) -> EnrollmentView:
    """A member's enrollment in a path (`{member}`: id or handle) and their progress: the
    completed steps with evidence and reflection, and when they completed the path. Anyone
    who may read the path may read its learners' progress, unless a learner stopped sharing
    it (`share_progress`): then it is theirs alone."""
    path_id = call.id_param("path_id")
    member = await active_member(call)
    async with call.db() as conn:
        view = await paths_read.get_enrollment(conn, path_id, member.id, call.viewer)
        if view is None and await paths_read.get_path(conn, path_id, call.viewer) is None:
            raise field_problem(404, "Not Found", "path_id", "no such path")
    if view is None:
        raise field_problem(
            404, "Not Found", "member", "this member has no enrollment in the path you may see"
        )
    return view


@api.route(
    "GET",
    "/api/v1/members/{member}/enrollments",
    tag="paths",
    query=PageQuery,
    response=Page[MemberEnrollmentView],
    auth="optional",
    errors=(404,),
)
async def list_member_enrollments(call: Call) -> Page[MemberEnrollmentView]:
    """The paths a member (id or handle) is enrolled in, with their progress, most recently
    enrolled first; only paths you may read are listed."""
    member = await active_member(call)
    async with call.db() as conn:
        return await paths_read.list_member_enrollments(
            conn, member.id, call.viewer, call.query.cursor, call.query.limit
        )
