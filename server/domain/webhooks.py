"""The webhook endpoint aggregate: where a token's deliveries go, what they carry, and whether
they go at all. Stream `webhook-<endpoint_id>`.

Pure: `evolve` folds events into `Endpoint`, `decide` turns a command into events or refuses
it. The salt of a secret comes in the command (made by the caller); whether the URL's host
resolves to an address that may be reached is checked by the caller too (it takes I/O).

Rules that hold whatever the commands:
- an endpoint belongs to the token that registered it: any other token is told there is no
  such endpoint (never that it exists);
- its URL is http or https, with a host, no credentials and no fragment, at most 2,000
  characters;
- a deleted endpoint is gone for good; disabling a disabled one or enabling an enabled one
  changes nothing, and an update that changes nothing writes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec

from server.domain.common import bounded_text
from server.domain.errors import Invalid, NotFound
from server.events import Event
from server.events.types.webhooks import (
    WebhookDeleted,
    WebhookDisabled,
    WebhookEnabled,
    WebhookRegistered,
    WebhookSecretRotated,
    WebhookUpdated,
)

MAX_URL = 2_000
MAX_DESCRIPTION = 200
BY_OWNER = "disabled by its owner"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """What an endpoint's owner chooses: where deliveries go and which events they carry."""

    url: str
    types: tuple[str, ...] = ()
    """Event type patterns (`post.published`, `post.*`, `*`); empty: every type."""
    community: str | None = None
    member: str | None = None
    path: str | None = None
    description: str = ""


class Endpoint(msgspec.Struct, frozen=True):
    id: str
    exists: bool = False
    deleted: bool = False
    token_id: str = ""
    member_id: str = ""
    settings: Settings | None = None
    enabled: bool = True
    disabled_reason: str | None = None


def initial(endpoint_id: str) -> Endpoint:
    return Endpoint(endpoint_id)


def evolve(state: Endpoint, event: Event) -> Endpoint:
    match event:
        case WebhookRegistered():
            return Endpoint(
                state.id,
                exists=True,
                token_id=event.token_id,
                member_id=event.member_id,
                settings=_settings(event),
            )
        case WebhookUpdated():
            return msgspec.structs.replace(state, settings=_settings(event))
        case WebhookDisabled():
            return msgspec.structs.replace(state, enabled=False, disabled_reason=event.reason)
        case WebhookEnabled():
            return msgspec.structs.replace(state, enabled=True, disabled_reason=None)
        case WebhookDeleted():
            return msgspec.structs.replace(state, deleted=True)
    return state


def _settings(event: WebhookRegistered | WebhookUpdated) -> Settings:
    return Settings(
        url=event.url,
        types=tuple(event.types),
        community=event.community,
        member=event.member,
        path=event.path,
        description=event.description,
    )


def check_url(url: str) -> str:
    """`url` if deliveries may be addressed to it (see the module's rules); else Invalid naming
    `url`. Where its host points is not looked at here."""
    if len(url) > MAX_URL:
        raise Invalid(f"a webhook URL is at most {MAX_URL} characters", "url")
    if not url.isascii() or not url.isprintable() or " " in url:
        raise Invalid("a webhook URL is ASCII with no spaces (IDNA-encode the host)", "url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Invalid(f"not a URL: {exc}", "url") from None
    if parts.scheme not in ("http", "https"):
        raise Invalid("a webhook URL is http:// or https://", "url")
    if not parts.hostname:
        raise Invalid("a webhook URL needs a host", "url")
    if parts.username is not None or parts.password is not None:
        raise Invalid("a webhook URL may not hold credentials: check signatures instead", "url")
    if parts.fragment or url.endswith("#"):
        raise Invalid("a webhook URL has no fragment (it is never sent)", "url")
    if port == 0:
        raise Invalid("port 0 cannot be reached", "url")
    return url


# -- commands -------------------------------------------------------------------------------


class Register(msgspec.Struct, frozen=True, kw_only=True):
    endpoint_id: str
    token_id: str
    member_id: str
    settings: Settings
    salt: str


class Update(msgspec.Struct, frozen=True, kw_only=True):
    """Change what is given: `changes` to the settings (field name → new value; a filter set to
    None is cleared), `enabled` (None: unchanged)."""

    token_id: str
    member_id: str
    changes: dict[str, Any] = msgspec.field(default_factory=dict)
    enabled: bool | None = None


class RotateSecret(msgspec.Struct, frozen=True, kw_only=True):
    token_id: str
    member_id: str
    salt: str


class Disable(msgspec.Struct, frozen=True, kw_only=True):
    """By the delivery worker, which may disable any endpoint (`by` None), saying why."""

    reason: str


class Delete(msgspec.Struct, frozen=True, kw_only=True):
    token_id: str
    member_id: str


Command = Register | Update | RotateSecret | Disable | Delete


def decide(state: Endpoint, command: Command) -> list[Event]:
    match command:
        case Register():
            if state.exists:
                raise Invalid("this endpoint id is taken", "id")
            settings = _checked(command.settings)
            return [
                WebhookRegistered(
                    endpoint_id=command.endpoint_id,
                    token_id=command.token_id,
                    member_id=command.member_id,
                    secret_salt=command.salt,
                    **_fields(settings),
                )
            ]
        case Update():
            current = owned(state, command.token_id).settings
            assert current is not None  # registered
            events: list[Event] = []
            if command.changes:
                settings = _checked(msgspec.structs.replace(current, **command.changes))
                if settings != current:
                    events.append(WebhookUpdated(by=command.member_id, **_fields(settings)))
            if command.enabled is True and not state.enabled:
                events.append(WebhookEnabled(by=command.member_id))
            elif command.enabled is False and state.enabled:
                events.append(WebhookDisabled(reason=BY_OWNER, by=command.member_id))
            return events
        case RotateSecret():
            owned(state, command.token_id)
            return [WebhookSecretRotated(secret_salt=command.salt, by=command.member_id)]
        case Disable():
            if not state.exists or state.deleted or not state.enabled:
                return []
            return [WebhookDisabled(reason=command.reason[:500])]
        case Delete():
            owned(state, command.token_id)
            return [WebhookDeleted(by=command.member_id)]
    raise AssertionError(f"unknown command {command!r}")


def owned(state: Endpoint, token_id: str) -> Endpoint:
    """`state`, if the endpoint exists and belongs to `token_id`; else NotFound."""
    if not state.exists or state.deleted or state.token_id != token_id:
        raise NotFound("no such webhook", "webhook_id")
    return state


def _checked(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        url=check_url(settings.url),
        types=tuple(dict.fromkeys(settings.types)),
        description=bounded_text(settings.description, "description", MAX_DESCRIPTION),
    )


def _fields(settings: Settings) -> dict[str, Any]:
    return {
        "url": settings.url,
        "types": list(settings.types),
        "community": settings.community,
        "member": settings.member,
        "path": settings.path,
        "description": settings.description,
    }
