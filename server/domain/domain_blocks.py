"""Domain blocks: an admin keeps a remote domain — and every host under it — out of the
instance's federation. Stream `domainblock-<domain>`, one per domain.

Pure: `normalise` makes the name a block is kept under (or refuses it), `evolve` folds events,
`decide` blocks or unblocks. Rules: admins only; a block names a domain, not a URL, and never
this instance's own host; blocking what is blocked or unblocking what is not changes nothing.
"""

from __future__ import annotations

import re

import msgspec

from server.domain.common import Actor
from server.domain.errors import Forbidden, Invalid
from server.events import Event
from server.events.types.federation import DomainBlocked, DomainUnblocked

MAX_REASON = 500
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class DomainBlock(msgspec.Struct, frozen=True):
    domain: str
    blocked: bool = False


def initial(domain: str) -> DomainBlock:
    return DomainBlock(domain=domain)


def normalise(text: str) -> str:
    """`text` as a block is kept: lower case, IDNA for non-ASCII, no trailing dot; refused
    (Invalid, field `domain`) unless it is a host name with at least two labels."""
    name = text.strip().lower().rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid("not a domain name", "domain") from None
    host, _, port = name.partition(":")
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise Invalid("a domain name such as spam.example, without scheme or path", "domain")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise Invalid("not a port", "domain")
    return name


def covers(block: str, host: str) -> bool:
    """Whether a block of `block` keeps out `host` (itself, or a host under it)."""
    return host == block or host.endswith("." + block)


class Block(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    reason: str = ""
    own_host: str
    """This instance's host: never blocked."""


class Unblock(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


Command = Block | Unblock


def evolve(state: DomainBlock, event: Event) -> DomainBlock:
    match event:
        case DomainBlocked():
            return msgspec.structs.replace(state, blocked=True)
        case DomainUnblocked():
            return msgspec.structs.replace(state, blocked=False)
    return state


def decide(state: DomainBlock, command: Command) -> list[Event]:
    if not command.actor.admin:
        raise Forbidden("only admins block domains")
    match command:
        case Block():
            if covers(state.domain, command.own_host):
                raise Invalid("that would block this instance itself", "domain")
            if len(command.reason) > MAX_REASON:
                raise Invalid(f"at most {MAX_REASON} characters", "reason")
            if state.blocked:
                return []
            return [DomainBlocked(domain=state.domain, by=command.actor.member_id,
                                  reason=command.reason.strip())]  # fmt: skip
        case Unblock():
            return [DomainUnblocked(by=command.actor.member_id)] if state.blocked else []
