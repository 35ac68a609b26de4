"""Endorsements across servers: a member of ours endorsing a remote actor's skill (and
withdrawing it), and a remote actor's verified `Endorse` of a member's skill (and its `Undo`).
The deciding is `server.domain.remote_endorsements`; here the streams are found by their keys
and the facts about the other side are loaded from the log."""

from __future__ import annotations

from server.commands.aggregates import (
    MEMBERS,
    RECEIVED_ENDORSEMENTS,
    REMOTE_ACTORS,
    REMOTE_ENDORSEMENTS,
)
from server.commands.context import Commands, new_id
from server.domain import remote_actors, remote_endorsements
from server.domain.common import Actor
from server.events import AppendResult, StreamAppend


async def give(
    cx: Commands, actor: Actor, *, actor_id: str, skill: str, comment: str = ""
) -> tuple[str, list[AppendResult]]:
    """`actor` endorses the remote actor's skill. Returns the endorsement's key (its id) and
    what was written."""
    key = remote_endorsements.given_key(actor.member_id, actor_id, skill)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(REMOTE_ENDORSEMENTS, key)
        remote = await cx.repo.load(REMOTE_ACTORS, remote_actors.key(actor_id))
        described = remote.state.described
        command = remote_endorsements.Give(
            member_id=actor.member_id,
            actor_id=actor_id,
            skill=skill,
            comment=comment,
            endorse_id=new_id(),
            actor_kind=described.kind if described is not None else None,
        )
        events = remote_endorsements.decide_given(loaded.state, command)
        return [StreamAppend(REMOTE_ENDORSEMENTS.stream(key), events, loaded.expected)]

    return key, await cx.run(decide, actor=actor.member_id)


async def withdraw(cx: Commands, actor: Actor, endorsement_id: str) -> list[AppendResult]:
    """Withdraw a member's endorsement of a remote actor (its endorser only)."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(REMOTE_ENDORSEMENTS, endorsement_id)
        command = remote_endorsements.Withdraw(member_id=actor.member_id)
        events = remote_endorsements.decide_given(loaded.state, command)
        return [StreamAppend(REMOTE_ENDORSEMENTS.stream(endorsement_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def receive(
    cx: Commands, *, actor_id: str, member_id: str, skill: str, comment: str, endorse_id: str
) -> list[AppendResult]:
    """A verified `Endorse` by `actor_id` of our member's skill."""
    key = remote_endorsements.received_key(actor_id, member_id, skill)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(RECEIVED_ENDORSEMENTS, key)
        member = (await cx.repo.load(MEMBERS, member_id)).state
        command = remote_endorsements.Receive(
            actor_id=actor_id,
            member_id=member_id,
            skill=skill,
            comment=comment,
            endorse_id=endorse_id,
            member_active=member.active,
        )
        events = remote_endorsements.decide_received(loaded.state, command)
        return [StreamAppend(RECEIVED_ENDORSEMENTS.stream(key), events, loaded.expected)]

    return await cx.run(decide)


async def receive_undo(
    cx: Commands, *, actor_id: str, member_id: str, skill: str, endorse_id: str
) -> list[AppendResult]:
    """A verified `Undo` by `actor_id` of its `Endorse` `endorse_id`."""
    key = remote_endorsements.received_key(actor_id, member_id, skill)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(RECEIVED_ENDORSEMENTS, key)
        command = remote_endorsements.ReceiveUndo(
            actor_id=actor_id, member_id=member_id, skill=skill, endorse_id=endorse_id
        )
        events = remote_endorsements.decide_received(loaded.state, command)
        return [StreamAppend(RECEIVED_ENDORSEMENTS.stream(key), events, loaded.expected)]

    return await cx.run(decide)
