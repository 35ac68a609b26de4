"""Member commands after registration: profile, password, follows, approval, suspension."""

from __future__ import annotations

from server.commands.accounts import check_password
from server.commands.aggregates import MEMBERS
from server.commands.context import Commands
from server.commands.passwords import hash_password
from server.domain import members
from server.domain.common import Actor
from server.events import AppendResult, StreamAppend


async def _on_member(
    cx: Commands, actor: Actor, member_id: str, command: members.Command
) -> list[AppendResult]:
    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(MEMBERS, member_id)
        events = members.decide(loaded.state, command)
        return [StreamAppend(MEMBERS.stream(member_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def update_profile(cx: Commands, actor: Actor, **fields: object) -> list[AppendResult]:
    command = members.UpdateProfile(actor=actor, **fields)  # type: ignore[arg-type]
    return await _on_member(cx, actor, actor.member_id, command)


async def change_password(cx: Commands, actor: Actor, password: str) -> list[AppendResult]:
    check_password(password)
    command = members.ChangePassword(actor=actor, password_hash=await hash_password(password))
    return await _on_member(cx, actor, actor.member_id, command)


async def follow(cx: Commands, actor: Actor, target_id: str) -> list[AppendResult]:
    target = await cx.repo.load(MEMBERS, target_id)
    state = target.state if target.version else None
    return await _on_member(cx, actor, actor.member_id, members.Follow(actor=actor, target=state))


async def unfollow(cx: Commands, actor: Actor, target_id: str) -> list[AppendResult]:
    command = members.Unfollow(actor=actor, target_id=target_id)
    return await _on_member(cx, actor, actor.member_id, command)


async def approve(cx: Commands, actor: Actor, member_id: str) -> list[AppendResult]:
    return await _on_member(cx, actor, member_id, members.Approve(actor=actor))


async def reject(cx: Commands, actor: Actor, member_id: str) -> list[AppendResult]:
    return await _on_member(cx, actor, member_id, members.Reject(actor=actor))


async def suspend(cx: Commands, actor: Actor, member_id: str, reason: str) -> list[AppendResult]:
    return await _on_member(cx, actor, member_id, members.Suspend(actor=actor, reason=reason))


async def unsuspend(cx: Commands, actor: Actor, member_id: str) -> list[AppendResult]:
    return await _on_member(cx, actor, member_id, members.Unsuspend(actor=actor))
