"""Artefact commands: create (optionally attached to a community the author belongs to),
revise, delete. The deciding is `server.domain.artefacts`; here the aggregates are loaded and
what it decides is appended."""

from __future__ import annotations

from server.commands.aggregates import ARTEFACTS
from server.commands.communities import access_for
from server.commands.context import Commands, new_id
from server.domain import artefacts
from server.domain.common import Actor
from server.domain.errors import NotFound
from server.events import AppendResult, StreamAppend


async def create(
    cx: Commands,
    actor: Actor,
    *,
    title: str,
    summary: str = "",
    body: str = "",
    format: str = "markdown",
    links: list[str] | None = None,
    skills: list[str] | None = None,
    community_id: str | None = None,
) -> tuple[str, list[AppendResult]]:
    """A new artefact by `actor`: its revision 1. With `community_id`, attached to that
    community, which the author must belong to."""
    artefact_id = new_id()

    async def decide() -> list[StreamAppend]:
        loaded = cx.repo.new(ARTEFACTS, artefact_id)
        community = await access_for(cx, community_id, actor.member_id) if community_id else None
        events = artefacts.decide(
            loaded.state,
            artefacts.Create(
                actor=actor,
                title=title,
                summary=summary,
                body=body,
                format=format,
                links=links or [],
                skills=skills or [],
                community=community,
            ),
        )
        return [StreamAppend(ARTEFACTS.stream(artefact_id), events, loaded.expected)]

    return artefact_id, await cx.run(decide, actor=actor.member_id)


async def revise(
    cx: Commands,
    actor: Actor,
    artefact_id: str,
    *,
    title: str | None = None,
    summary: str | None = None,
    body: str | None = None,
    format: str | None = None,
    links: list[str] | None = None,
    skills: list[str] | None = None,
) -> list[AppendResult]:
    """The next revision: the parts given (not None) changed, the rest kept. Nothing is
    written when that changes nothing."""
    command = artefacts.Revise(
        actor=actor,
        title=title,
        summary=summary,
        body=body,
        format=format,
        links=links,
        skills=skills,
    )
    return await _act(cx, actor, artefact_id, command)


async def delete(cx: Commands, actor: Actor, artefact_id: str) -> list[AppendResult]:
    """Delete the artefact (its author): no revision of it is served any more."""
    return await _act(cx, actor, artefact_id, artefacts.Delete(actor=actor))


async def _act(
    cx: Commands, actor: Actor, artefact_id: str, command: artefacts.Command
) -> list[AppendResult]:
    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(ARTEFACTS, artefact_id)
        await _require_visible(cx, actor, loaded.state)
        events = artefacts.decide(loaded.state, command)
        return [StreamAppend(ARTEFACTS.stream(artefact_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def _require_visible(cx: Commands, actor: Actor, state: artefacts.Artefact) -> None:
    """An artefact that does not exist, or that lives in a members-only community `actor` may
    not see, is not found (rather than forbidden: its existence is not disclosed)."""
    if state.status == "none":
        raise NotFound("no such artefact", "artefact_id")
    if state.author_id == actor.member_id or state.community_id is None or actor.admin:
        return
    access = await access_for(cx, state.community_id, actor.member_id)
    if not access.visible:
        raise NotFound("no such artefact", "artefact_id")
