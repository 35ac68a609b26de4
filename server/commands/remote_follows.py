"""What other servers' `Follow` and `Undo` of a follow do here, once their signature has been
verified (server/federation/inbox.py). The deciding is `server.domain.remote_follows`; here the
follow's stream is found by its key and the facts about the target are loaded from the log: a
member is followed while active, a community while public (`join_policy` other than open:
approved by hand). The activity's id is the idempotency key: the decider changes nothing for
a `Follow` it already has, and two copies arriving at once race on the stream's version, the
second deciding again on what the first wrote.
"""

from __future__ import annotations

from typing import Literal

from server.commands.aggregates import COMMUNITIES, MEMBERS, REMOTE_FOLLOWS
from server.commands.communities import access_for
from server.commands.context import Commands
from server.domain import remote_follows
from server.domain.common import Actor
from server.domain.errors import NotFound
from server.events import AppendResult, StreamAppend


async def receive_follow(
    cx: Commands,
    *,
    target_kind: Literal["member", "community"],
    target_id: str,
    follower: str,
    inbox: str,
    shared_inbox: str | None,
    follow_id: str,
) -> list[AppendResult]:
    follow_key = remote_follows.key(target_id, follower)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(REMOTE_FOLLOWS, follow_key)
        exists, by_hand = await _target(cx, target_kind, target_id)
        events = remote_follows.decide(
            loaded.state,
            remote_follows.ReceiveFollow(
                target_kind=target_kind,
                target_id=target_id,
                follower=follower,
                inbox=inbox,
                shared_inbox=shared_inbox,
                follow_id=follow_id,
                target_exists=exists,
                approves_by_hand=by_hand,
            ),
        )
        stream = REMOTE_FOLLOWS.stream(follow_key)
        return [StreamAppend(stream, events, loaded.expected)]

    return await cx.run(decide)


async def receive_undo(
    cx: Commands, *, target_id: str, follower: str, follow_id: str
) -> list[AppendResult]:
    follow_key = remote_follows.key(target_id, follower)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(REMOTE_FOLLOWS, follow_key)
        command = remote_follows.ReceiveUndo(follower=follower, follow_id=follow_id)
        events = remote_follows.decide(loaded.state, command)
        stream = REMOTE_FOLLOWS.stream(follow_key)
        return [StreamAppend(stream, events, loaded.expected)]

    return await cx.run(decide)


async def answer(
    cx: Commands, actor: Actor, *, community_id: str, follow_key: str, approve: bool
) -> list[AppendResult]:
    """A moderator approves (an `Accept` goes out) or turns down (a `Reject`) a remote follow
    of `community_id` that waits."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(REMOTE_FOLLOWS, follow_key)
        if loaded.state.target_id != community_id:
            raise NotFound("no such follow request")
        access = await access_for(cx, community_id, actor.member_id)
        command = remote_follows.Answer(
            by=actor.member_id, moderates=access.is_moderator or actor.admin, approve=approve
        )
        events = remote_follows.decide(loaded.state, command)
        return [StreamAppend(REMOTE_FOLLOWS.stream(follow_key), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def _target(cx: Commands, kind: str, target_id: str) -> tuple[bool, bool]:
    """(whether it may be followed from elsewhere, whether it approves followers by hand)."""
    if kind == "member":
        member = (await cx.repo.load(MEMBERS, target_id)).state
        return member.active, False
    community = (await cx.repo.load(COMMUNITIES, target_id)).state
    return community.active and not community.members_only, community.join_policy != "open"
