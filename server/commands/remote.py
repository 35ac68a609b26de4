"""Commands on what our members know of other servers: describing a remote actor, following
one, receiving its objects (already verified and read by server/federation), and liking them.
Each decides on its aggregate's state and appends with the version it decided on, so copies of
one activity arriving at once are written once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from server.commands.aggregates import FOLLOWING, REMOTE_ACTORS, REMOTE_OBJECTS
from server.commands.context import Commands
from server.commands.repository import Aggregate
from server.domain import following, remote_actors, remote_objects
from server.events import AppendResult, Event, StreamAppend
from server.events.types.remote import RemoteActorDescribed

S = TypeVar("S")


async def _decide_on(
    cx: Commands,
    aggregate: Aggregate[S],
    key: str,
    decide: Callable[[S], list[Event]],
    *,
    actor: str | None = None,
) -> list[AppendResult]:
    async def decision() -> list[StreamAppend]:
        loaded = await cx.repo.load(aggregate, key)
        return [StreamAppend(aggregate.stream(key), decide(loaded.state), loaded.expected)]

    return await cx.run(decision, actor=actor)


async def describe_actor(cx: Commands, description: RemoteActorDescribed) -> list[AppendResult]:
    command = remote_actors.Describe(description=description)
    return await _decide_on(
        cx,
        REMOTE_ACTORS,
        remote_actors.key(description.actor_id),
        lambda state: remote_actors.decide(state, command),
    )


async def follow(cx: Commands, member_id: str, actor_id: str, follow_id: str) -> list[AppendResult]:
    command = following.Follow(member_id=member_id, actor_id=actor_id, follow_id=follow_id)
    return await _decide_on(
        cx,
        FOLLOWING,
        following.key(member_id, actor_id),
        lambda state: following.decide(state, command),
        actor=member_id,
    )


async def unfollow(cx: Commands, member_id: str, actor_id: str) -> list[AppendResult]:
    command = following.Unfollow(member_id=member_id)
    return await _decide_on(
        cx,
        FOLLOWING,
        following.key(member_id, actor_id),
        lambda state: following.decide(state, command),
        actor=member_id,
    )


async def receive_answer(
    cx: Commands, *, member_id: str, actor_id: str, follow_id: str, accepted: bool
) -> list[AppendResult]:
    command = following.ReceiveAnswer(actor_id=actor_id, follow_id=follow_id, accepted=accepted)
    return await _decide_on(
        cx,
        FOLLOWING,
        following.key(member_id, actor_id),
        lambda state: following.decide(state, command),
    )


async def on_object(
    cx: Commands, object_id: str, command: remote_objects.Command, *, actor: str | None = None
) -> list[AppendResult]:
    """Decide `command` on the remote object `object_id`."""
    return await _decide_on(
        cx,
        REMOTE_OBJECTS,
        remote_objects.key(object_id),
        lambda state: remote_objects.decide(state, command),
        actor=actor,
    )
