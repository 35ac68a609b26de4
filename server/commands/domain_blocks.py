"""Blocking and unblocking remote domains (admins). The deciding is
`server.domain.domain_blocks`; here the name is normalised and its stream loaded."""

from __future__ import annotations

from server.commands.aggregates import DOMAIN_BLOCKS
from server.commands.context import Commands
from server.domain import domain_blocks
from server.domain.common import Actor
from server.events import AppendResult, StreamAppend


async def block(
    cx: Commands, actor: Actor, domain: str, *, reason: str, own_host: str
) -> tuple[str, list[AppendResult]]:
    """Block `domain` (normalised: the name returned); `own_host` is this instance's."""
    name = domain_blocks.normalise(domain)
    command = domain_blocks.Block(actor=actor, reason=reason, own_host=own_host)
    return name, await _run(cx, actor, name, command)


async def unblock(cx: Commands, actor: Actor, domain: str) -> list[AppendResult]:
    name = domain_blocks.normalise(domain)
    return await _run(cx, actor, name, domain_blocks.Unblock(actor=actor))


async def _run(
    cx: Commands, actor: Actor, name: str, command: domain_blocks.Command
) -> list[AppendResult]:
    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(DOMAIN_BLOCKS, name)
        events = domain_blocks.decide(loaded.state, command)
        return [StreamAppend(DOMAIN_BLOCKS.stream(name), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)
