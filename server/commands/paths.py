"""Learning path commands: create (with steps), describe, add / change / remove / reorder steps,
publish, archive. The deciding is `server.domain.paths`; here the path and the actor's access
to its community are loaded from the log, step ids are chosen, and whether a step's artefact or
post exists is checked (`ref_exists`).

A step's `ref_id` counts as existing when it names an artefact that is not deleted (for an
`artefact` step) or a post that is published (for a `post` step), whose author is active, and
which the actor may see: on a profile, or in a community that is visible to them (members-only
communities: members and instance admins).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from server.commands.aggregates import ARTEFACTS, MEMBERS, PATHS, POSTS
from server.commands.communities import access_for
from server.commands.context import Commands, new_id
from server.domain import paths
from server.domain.common import Actor, CommunityAccess, is_id
from server.domain.errors import NotFound
from server.events import AppendResult, StreamAppend


class StepSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A step to add as a client describes it; the service picks its id."""

    kind: str
    title: str
    url: str | None = None
    ref_id: str | None = None
    text: str = ""
    estimated_minutes: int | None = None


async def create(
    cx: Commands,
    actor: Actor,
    community_id: str,
    *,
    title: str,
    summary: str = "",
    skills: list[str] | None = None,
    steps: list[StepSpec] | None = None,
) -> tuple[str, list[AppendResult]]:
    """A new draft path in the community, by `actor`; each step gets a new id."""
    path_id = new_id()
    new_steps = [await _new_step(cx, actor, spec, new_id()) for spec in steps or []]

    async def decide() -> list[StreamAppend]:
        loaded = cx.repo.new(PATHS, path_id)
        events = paths.decide(
            loaded.state,
            paths.Create(
                actor=actor,
                community=await access_for(cx, community_id, actor.member_id),
                title=title,
                summary=summary,
                skills=skills or [],
                steps=new_steps,
            ),
        )
        return [StreamAppend(PATHS.stream(path_id), events, loaded.expected)]

    return path_id, await cx.run(decide, actor=actor.member_id)


async def update(
    cx: Commands,
    actor: Actor,
    path_id: str,
    *,
    title: str | None = None,
    summary: str | None = None,
    skills: list[str] | None = None,
) -> list[AppendResult]:
    """Change the path's description (None keeps a field)."""

    async def command(path: paths.Path, access: CommunityAccess) -> paths.Command:
        return paths.Update(
            actor=actor, community=access, title=title, summary=summary, skills=skills
        )

    return await _act(cx, actor, path_id, command)


async def add_step(
    cx: Commands, actor: Actor, path_id: str, spec: StepSpec, position: int | None = None
) -> tuple[str, list[AppendResult]]:
    """Insert a new step at `position` (None: last); returns its new id."""
    step_id = new_id()
    step = await _new_step(cx, actor, spec, step_id)

    async def command(path: paths.Path, access: CommunityAccess) -> paths.Command:
        return paths.AddStep(actor=actor, community=access, step=step, position=position)

    return step_id, await _act(cx, actor, path_id, command)


async def update_step(
    cx: Commands,
    actor: Actor,
    path_id: str,
    step_id: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    url: str | None = None,
    ref_id: str | None = None,
    text: str | None = None,
    estimated_minutes: int | msgspec.UnsetType | None = msgspec.UNSET,
) -> list[AppendResult]:
    """Change a step (None keeps a field; for `estimated_minutes` UNSET keeps, None clears)."""

    async def command(path: paths.Path, access: CommunityAccess) -> paths.Command:
        ref_exists = False
        if ref_id is not None:
            current = path.step(step_id)
            step_kind = kind or (current.kind if current else "")
            ref_exists = await _ref_exists(cx, actor, step_kind, ref_id)
        return paths.UpdateStep(
            actor=actor,
            community=access,
            step_id=step_id,
            kind=kind,
            title=title,
            url=url,
            ref_id=ref_id,
            ref_exists=ref_exists,
            text=text,
            estimated_minutes=estimated_minutes,
        )

    return await _act(cx, actor, path_id, command)


async def remove_step(cx: Commands, actor: Actor, path_id: str, step_id: str) -> list[AppendResult]:
    """Take a step out of the path. Learners whom this leaves with every step complete are
    completed by `server.commands.enrollments.reconcile`, which the caller runs afterwards."""

    async def command(path: paths.Path, access: CommunityAccess) -> paths.Command:
        return paths.RemoveStep(actor=actor, community=access, step_id=step_id)

    return await _act(cx, actor, path_id, command)


async def reorder_steps(
    cx: Commands, actor: Actor, path_id: str, step_ids: list[str]
) -> list[AppendResult]:
    async def command(path: paths.Path, access: CommunityAccess) -> paths.Command:
        return paths.ReorderSteps(actor=actor, community=access, step_ids=step_ids)

    return await _act(cx, actor, path_id, command)


async def publish(cx: Commands, actor: Actor, path_id: str) -> list[AppendResult]:
    async def command(path: paths.Path, access: CommunityAccess) -> paths.Command:
        return paths.Publish(actor=actor, community=access)

    return await _act(cx, actor, path_id, command)


async def archive(cx: Commands, actor: Actor, path_id: str) -> list[AppendResult]:
    async def command(path: paths.Path, access: CommunityAccess) -> paths.Command:
        return paths.Archive(actor=actor, community=access)

    return await _act(cx, actor, path_id, command)


async def load(cx: Commands, path_id: str) -> paths.Path | None:
    """The path as the log has it, or None if there is no such path."""
    if not is_id(path_id):
        return None
    state = (await cx.repo.load(PATHS, path_id)).state
    return None if state.status == "none" else state


# -- helpers --------------------------------------------------------------------------------


async def _act(
    cx: Commands,
    actor: Actor,
    path_id: str,
    build: Callable[[paths.Path, CommunityAccess], Awaitable[paths.Command]],
) -> list[AppendResult]:
    """Load the path and the actor's access to its community, build the command on them,
    decide and append."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(PATHS, path_id)
        if loaded.state.status == "none":
            raise NotFound("no such path", "path_id")
        access = await access_for(cx, loaded.state.community_id, actor.member_id)
        events = paths.decide(loaded.state, await build(loaded.state, access))
        return [StreamAppend(PATHS.stream(path_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def _new_step(cx: Commands, actor: Actor, spec: StepSpec, step_id: str) -> paths.NewStep:
    return paths.NewStep(
        step_id=step_id,
        kind=spec.kind,
        title=spec.title,
        url=spec.url,
        ref_id=spec.ref_id,
        ref_exists=await _ref_exists(cx, actor, spec.kind, spec.ref_id),
        text=spec.text,
        estimated_minutes=spec.estimated_minutes,
    )


async def _ref_exists(cx: Commands, actor: Actor, kind: str, ref_id: str | None) -> bool:
    """Whether `ref_id` names a live artefact / post (per `kind`) that `actor` may see."""
    if ref_id is None or not is_id(ref_id):
        return False
    if kind == "artefact":
        artefact = (await cx.repo.load(ARTEFACTS, ref_id)).state
        if not artefact.active:
            return False
        author_id, community_id = artefact.author_id, artefact.community_id
    elif kind == "post":
        post = (await cx.repo.load(POSTS, ref_id)).state
        if not post.published:
            return False
        author_id, community_id = post.author_id, post.community_id
    else:
        return False
    if not (await cx.repo.load(MEMBERS, author_id)).state.active:
        return False
    if community_id is None:
        return True
    access = await access_for(cx, community_id, actor.member_id)
    return paths.sees(actor, access)
