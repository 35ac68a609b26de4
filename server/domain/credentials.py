"""OAuth applications, authorization codes, access tokens and invitations — pure rules.

Streams are named by the SHA-256 of the secret they guard (see server.events.types.auth); the
secrets themselves are made by the caller and never reach an event. Time is passed in (`now`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import msgspec

from server.domain.common import Actor
from server.domain.errors import Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types.auth import (
    AppRegistered,
    AuthorizationCodeIssued,
    AuthorizationCodeRedeemed,
    InviteCreated,
    InviteUsed,
    TokenIssued,
    TokenRevoked,
)

SCOPES = ("read", "write", "follow", "admin", "stream")


def digest(secret: str) -> str:
    """The name a secret's stream goes by."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(text: str, field: str = "scope") -> list[str]:
    """OAuth's space-separated scope list (RFC 6749 §3.3), checked against ours."""
    scopes = list(dict.fromkeys(text.split()))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise Invalid(f"unknown scope {unknown[0]!r}; known: {' '.join(SCOPES)}", field)
    if not scopes:
        raise Invalid("at least one scope is needed", field)
    return scopes


# -- apps -----------------------------------------------------------------------------------


class App(msgspec.Struct, frozen=True):
    client_id: str
    exists: bool = False
    name: str = ""
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    secret_hash: str = ""
    website: str | None = None

    def secret_matches(self, secret: str) -> bool:
        return self.exists and hmac.compare_digest(self.secret_hash, digest(secret))


def initial_app(client_id: str) -> App:
    return App(client_id)


def evolve_app(state: App, event: Event) -> App:
    if isinstance(event, AppRegistered):
        return App(
            state.client_id,
            True,
            event.name,
            tuple(event.redirect_uris),
            tuple(event.scopes),
            event.secret_hash,
            event.website,
        )
    return state


# -- authorization codes --------------------------------------------------------------------


class Code(msgspec.Struct, frozen=True):
    exists: bool = False
    client_id: str = ""
    member_id: str = ""
    scopes: tuple[str, ...] = ()
    redirect_uri: str = ""
    code_challenge: str = ""
    expires_at: datetime | None = None
    redeemed: bool = False


def initial_code(_: str) -> Code:
    return Code()


def evolve_code(state: Code, event: Event) -> Code:
    match event:
        case AuthorizationCodeIssued():
            return Code(
                True,
                event.client_id,
                event.member_id,
                tuple(event.scopes),
                event.redirect_uri,
                event.code_challenge,
                event.expires_at,
            )
        case AuthorizationCodeRedeemed():
            return msgspec.structs.replace(state, redeemed=True)
    return state


def issue_code(
    app: App,
    *,
    actor: Actor,
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str,
    code_challenge_method: str,
    expires_at: datetime,
) -> list[Event]:
    if not app.exists:
        raise Invalid("unknown client_id", "client_id")
    if redirect_uri not in app.redirect_uris:
        raise Invalid("redirect_uri is not registered for this app", "redirect_uri")
    _check_scopes_within(scopes, app.scopes)
    # RFC 7636 §4.2: S256 only — "plain" offers no protection against a code interceptor.
    if code_challenge_method != "S256":
        raise Invalid("code_challenge_method must be S256", "code_challenge_method")
    if not 43 <= len(code_challenge) <= 128:
        raise Invalid("code_challenge must be 43–128 characters", "code_challenge")
    return [
        AuthorizationCodeIssued(
            client_id=app.client_id,
            member_id=actor.member_id,
            scopes=scopes,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            expires_at=expires_at,
        )
    ]


def redeem_code(
    code: Code,
    app: App,
    *,
    client_secret: str | None,
    redirect_uri: str,
    code_verifier: str,
    token_id: str,
    now: datetime,
) -> list[Event]:
    """RFC 6749 §4.1.3 with RFC 7636 §4.6; every failure is `invalid_grant` to the client."""
    if not code.exists or code.redeemed or code.expires_at is None or code.expires_at <= now:
        raise Invalid("the code is unknown, used or expired", "code")
    if code.client_id != app.client_id:
        raise Invalid("the code was issued to another client", "client_id")
    if client_secret is not None and not app.secret_matches(client_secret):
        raise Invalid("wrong client_secret", "client_secret")
    if redirect_uri != code.redirect_uri:
        raise Invalid("redirect_uri differs from the authorization request", "redirect_uri")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
    if not hmac.compare_digest(challenge.rstrip(b"=").decode(), code.code_challenge):
        raise Invalid("code_verifier does not match the code_challenge", "code_verifier")
    return [AuthorizationCodeRedeemed(token_id=token_id)]


# -- tokens ---------------------------------------------------------------------------------


class Token(msgspec.Struct, frozen=True):
    exists: bool = False
    token_id: str = ""
    member_id: str = ""
    scopes: tuple[str, ...] = ()
    client_id: str | None = None
    name: str | None = None
    expires_at: datetime | None = None
    revoked: bool = False

    def usable(self, now: datetime) -> bool:
        return (
            self.exists and not self.revoked and (self.expires_at is None or self.expires_at > now)
        )


def initial_token(_: str) -> Token:
    return Token()


def evolve_token(state: Token, event: Event) -> Token:
    match event:
        case TokenIssued():
            return Token(
                True,
                event.token_id,
                event.member_id,
                tuple(event.scopes),
                event.client_id,
                event.name,
                event.expires_at,
            )
        case TokenRevoked():
            return msgspec.structs.replace(state, revoked=True)
    return state


def issue_token(
    *,
    token_id: str,
    member_id: str,
    scopes: list[str],
    allowed: tuple[str, ...] | list[str],
    client_id: str | None = None,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> list[Event]:
    _check_scopes_within(scopes, allowed)
    return [
        TokenIssued(
            token_id=token_id,
            member_id=member_id,
            scopes=scopes,
            client_id=client_id,
            name=name,
            expires_at=expires_at,
        )
    ]


def revoke_token(token: Token, actor: Actor) -> list[Event]:
    if not token.exists:
        raise NotFound("no such token", "token_id")
    if token.member_id != actor.member_id and not actor.admin:
        raise NotFound("no such token", "token_id")
    return [] if token.revoked else [TokenRevoked(by=actor.member_id)]


def _check_scopes_within(scopes: list[str], allowed: tuple[str, ...] | list[str]) -> None:
    for scope in scopes:
        if scope not in allowed:
            raise Invalid(f"scope {scope!r} is not allowed here", "scope")


# -- invitations ----------------------------------------------------------------------------


class Invite(msgspec.Struct, frozen=True):
    exists: bool = False
    invite_id: str = ""
    max_uses: int = 0
    uses: int = 0
    expires_at: datetime | None = None

    def valid(self, now: datetime) -> bool:
        return (
            self.exists
            and self.uses < self.max_uses
            and (self.expires_at is None or self.expires_at > now)
        )


def initial_invite(_: str) -> Invite:
    return Invite()


def evolve_invite(state: Invite, event: Event) -> Invite:
    match event:
        case InviteCreated():
            return Invite(True, event.invite_id, event.max_uses, 0, event.expires_at)
        case InviteUsed():
            return msgspec.structs.replace(state, uses=state.uses + 1)
    return state


def create_invite(
    *, actor: Actor, invite_id: str, max_uses: int, expires_at: datetime | None
) -> list[Event]:
    if not actor.admin:
        raise Forbidden("only admins create invitations")
    return [
        InviteCreated(
            invite_id=invite_id,
            created_by=actor.member_id,
            max_uses=max_uses,
            expires_at=expires_at,
        )
    ]


def use_invite(invite: Invite, *, member_id: str, now: datetime) -> list[Event]:
    if not invite.valid(now):
        raise Forbidden("the invitation is unknown, used up or expired", "invite_code")
    return [InviteUsed(member_id=member_id)]
