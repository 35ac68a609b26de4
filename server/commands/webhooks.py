"""Webhook endpoint commands: register, update (settings, enabled), rotate the secret, delete —
by the token that registered the endpoint — and disable, by the delivery worker. The deciding is
`server.domain.webhooks`; the salts of secrets are made here."""

from __future__ import annotations

import secrets
from typing import Any

from server.commands.aggregates import WEBHOOKS
from server.commands.context import Commands, new_id
from server.domain import webhooks
from server.domain.common import Actor
from server.events import AppendResult, StreamAppend


def new_salt() -> str:
    return secrets.token_urlsafe(24)


async def register(
    cx: Commands, actor: Actor, token_id: str, settings: webhooks.Settings
) -> tuple[str, str, list[AppendResult]]:
    """A new endpoint for `token_id`: its id, the salt of its secret, and what was written."""
    endpoint_id, salt = new_id(), new_salt()
    command = webhooks.Register(
        endpoint_id=endpoint_id,
        token_id=token_id,
        member_id=actor.member_id,
        settings=settings,
        salt=salt,
    )

    async def decide() -> list[StreamAppend]:
        loaded = cx.repo.new(WEBHOOKS, endpoint_id)
        events = webhooks.decide(loaded.state, command)
        return [StreamAppend(WEBHOOKS.stream(endpoint_id), events, loaded.expected)]

    return endpoint_id, salt, await cx.run(decide, actor=actor.member_id)


async def _run(
    cx: Commands, endpoint_id: str, command: webhooks.Command, actor: str | None
) -> list[AppendResult]:
    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(WEBHOOKS, endpoint_id)
        events = webhooks.decide(loaded.state, command)
        return [StreamAppend(WEBHOOKS.stream(endpoint_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor)


async def update(
    cx: Commands,
    actor: Actor,
    token_id: str,
    endpoint_id: str,
    *,
    changes: dict[str, Any],
    enabled: bool | None = None,
) -> list[AppendResult]:
    """Change the settings named in `changes` (and enable or disable it), as decided on the
    endpoint as it is when written."""
    command = webhooks.Update(
        token_id=token_id, member_id=actor.member_id, changes=changes, enabled=enabled
    )
    return await _run(cx, endpoint_id, command, actor.member_id)


async def rotate_secret(
    cx: Commands, actor: Actor, token_id: str, endpoint_id: str
) -> tuple[str, list[AppendResult]]:
    """A new salt for the endpoint's secret, and what was written."""
    salt = new_salt()
    command = webhooks.RotateSecret(token_id=token_id, member_id=actor.member_id, salt=salt)
    return salt, await _run(cx, endpoint_id, command, actor.member_id)


async def delete(cx: Commands, actor: Actor, token_id: str, endpoint_id: str) -> list[AppendResult]:
    command = webhooks.Delete(token_id=token_id, member_id=actor.member_id)
    return await _run(cx, endpoint_id, command, actor.member_id)


async def disable(cx: Commands, endpoint_id: str, reason: str) -> list[AppendResult]:
    """The delivery worker stops deliveries to the endpoint, saying why."""
    return await _run(cx, endpoint_id, webhooks.Disable(reason=reason), None)
