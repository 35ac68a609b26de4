"""Enrollment commands: enroll, complete a step (with evidence and a reflection), leave, and
`reconcile`. The deciding is `server.domain.enrollments`; here the enrollment, the path and the
learner's access to the path's community are loaded from the log, and evidence is checked
(`evidence_is_own`: a live artefact the learner wrote).

`enrollment.path_completed` is decided against the path as it was loaded. A step removed from
the path concurrently with a learner's last completion could leave each side deciding on the
other's old state; so after enrolling or completing a step the learner's enrollment is
reconciled once more against the path as it reads after the write, and the removal of a step is
followed by `reconcile` for the path's learners (see `server.api.paths`). Both are idempotent:
the completion is recorded at most once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.commands.aggregates import ARTEFACTS, ENROLLMENTS, PATHS
from server.commands.communities import access_for
from server.commands.context import Commands
from server.domain import enrollments, paths
from server.domain.common import Actor, CommunityAccess, is_id
from server.domain.errors import NotFound
from server.events import AppendResult, StreamAppend


async def enroll(cx: Commands, actor: Actor, path_id: str) -> list[AppendResult]:
    """Enroll `actor` in the path (again, after leaving: with the progress they had)."""

    async def command(
        path: paths.Path | None, access: CommunityAccess | None
    ) -> enrollments.Command:
        return enrollments.Enroll(actor=actor, path=path, community=access)

    results = await _act(cx, actor, path_id, command)
    if results:
        results += await reconcile(cx, path_id, actor.member_id)
    return results


async def complete_step(
    cx: Commands,
    actor: Actor,
    path_id: str,
    step_id: str,
    *,
    evidence_artefact_id: str | None = None,
    reflection: str = "",
) -> list[AppendResult]:
    """Record that `actor` completed a step of the path; completing it again changes nothing."""
    evidence_is_own = False
    if evidence_artefact_id is not None and is_id(evidence_artefact_id):
        artefact = (await cx.repo.load(ARTEFACTS, evidence_artefact_id)).state
        evidence_is_own = artefact.active and artefact.author_id == actor.member_id

    async def command(
        path: paths.Path | None, access: CommunityAccess | None
    ) -> enrollments.Command:
        return enrollments.CompleteStep(
            actor=actor,
            path=path,
            community=access,
            step_id=step_id,
            evidence_artefact_id=evidence_artefact_id,
            evidence_is_own=evidence_is_own,
            reflection=reflection,
        )

    results = await _act(cx, actor, path_id, command)
    if results:
        results += await reconcile(cx, path_id, actor.member_id)
    return results


async def leave(cx: Commands, actor: Actor, path_id: str) -> list[AppendResult]:
    """Leave the path; the completed steps are kept should `actor` enroll again."""

    async def command(
        path: paths.Path | None, access: CommunityAccess | None
    ) -> enrollments.Command:
        if path is None:
            raise NotFound("no such path", "path_id")
        return enrollments.Leave(actor=actor)

    return await _act(cx, actor, path_id, command, with_access=False)


async def reconcile(cx: Commands, path_id: str, member_id: str) -> list[AppendResult]:
    """Bring one enrollment up to date with the path as it reads now: record
    `enrollment.path_completed` if every current step is complete and it never was. Nobody's
    choice, so the events carry no actor. Idempotent."""
    enrollment_key = enrollments.enrollment_id(path_id, member_id)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(ENROLLMENTS, enrollment_key)
        path = await _path(cx, path_id)
        events = enrollments.decide(loaded.state, enrollments.Reconcile(path=path))
        return [StreamAppend(ENROLLMENTS.stream(enrollment_key), events, loaded.expected)]

    return await cx.run(decide)


# -- helpers --------------------------------------------------------------------------------


async def _act(
    cx: Commands,
    actor: Actor,
    path_id: str,
    build: Callable[[paths.Path | None, CommunityAccess | None], Awaitable[enrollments.Command]],
    *,
    with_access: bool = True,
) -> list[AppendResult]:
    """Load the actor's enrollment, the path and (`with_access`) the actor's access to the
    path's community; build the command on them, decide and append."""
    if not is_id(path_id):
        raise NotFound("no such path", "path_id")
    enrollment_key = enrollments.enrollment_id(path_id, actor.member_id)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(ENROLLMENTS, enrollment_key)
        path = await _path(cx, path_id)
        access = None
        if path is not None and with_access:
            access = await access_for(cx, path.community_id, actor.member_id)
        events = enrollments.decide(loaded.state, await build(path, access))
        return [StreamAppend(ENROLLMENTS.stream(enrollment_key), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def _path(cx: Commands, path_id: str) -> paths.Path | None:
    state = (await cx.repo.load(PATHS, path_id)).state
    return None if state.status == "none" else state
