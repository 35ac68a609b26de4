"""Endorsement commands: endorse a member's skill or an artefact, withdraw an endorsement. The
deciding is `server.domain.endorsements`; here the endorsement's stream is found by its key and
the facts about the target are loaded from the log:

- a member target exists when registered and active (not pending, not suspended);
- an artefact target exists when created, not deleted, and its author is active; the endorser
  sees it when it is on its author's profile or in a community visible to them (members-only:
  its members and instance admins).
"""

from __future__ import annotations

from server.commands.aggregates import ARTEFACTS, ENDORSEMENTS, MEMBERS
from server.commands.communities import access_for
from server.commands.context import Commands
from server.domain import endorsements
from server.domain.common import Actor, is_id
from server.domain.errors import NotFound
from server.events import AppendResult, StreamAppend


async def endorse(
    cx: Commands,
    actor: Actor,
    *,
    kind: str,
    target_id: str,
    skill: str = "",
    comment: str = "",
) -> tuple[str, list[AppendResult]]:
    """`actor` endorses the member's `skill` (kind `member`) or the artefact, optionally for
    one skill (kind `artefact`). Returns the endorsement's key (its id) and what was
    written."""
    key = endorsements.key(actor.member_id, kind, target_id, skill)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(ENDORSEMENTS, key)
        exists, visible, author_id = await _target(cx, actor, kind, target_id)
        events = endorsements.decide(
            loaded.state,
            endorsements.Endorse(
                actor=actor,
                kind=kind,
                target_id=target_id,
                skill=skill,
                comment=comment,
                target_exists=exists,
                target_visible=visible,
                target_author_id=author_id,
            ),
        )
        return [StreamAppend(ENDORSEMENTS.stream(key), events, loaded.expected)]

    return key, await cx.run(decide, actor=actor.member_id)


async def withdraw(cx: Commands, actor: Actor, endorsement_id: str) -> list[AppendResult]:
    """Withdraw an endorsement (its endorser only). One never given is not found; one already
    withdrawn changes nothing."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(ENDORSEMENTS, endorsement_id)
        if loaded.state.status == "none":
            raise NotFound("no such endorsement", "endorsement_id")
        events = endorsements.decide(loaded.state, endorsements.Withdraw(actor=actor))
        return [StreamAppend(ENDORSEMENTS.stream(endorsement_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def _target(
    cx: Commands, actor: Actor, kind: str, target_id: str
) -> tuple[bool, bool, str | None]:
    """(exists, visible to `actor`, author for an artefact) of the target."""
    if not is_id(target_id):
        return False, False, None
    if kind == "member":
        return (await cx.repo.load(MEMBERS, target_id)).state.active, True, None
    if kind != "artefact":
        return False, False, None
    artefact = (await cx.repo.load(ARTEFACTS, target_id)).state
    if not artefact.active or not (await cx.repo.load(MEMBERS, artefact.author_id)).state.active:
        return False, False, None
    visible = True
    if artefact.community_id is not None:
        access = await access_for(cx, artefact.community_id, actor.member_id)
        visible = access.visible or (access.exists and actor.admin)
    return True, visible, artefact.author_id
