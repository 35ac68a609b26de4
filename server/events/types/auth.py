"""Credentials: OAuth applications, authorization codes, access tokens, invitations.

Secrets are never stored: a stream is named by the SHA-256 of its secret (`token-<hash>`,
`oauthcode-<hash>`, `invite-<hash>`), so checking a presented secret is one read of one stream,
and the log never holds anything that could be replayed as a credential. These events are
private: they are never sent to developer streams or other servers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id, ShortText, Url

Scope = Annotated[str, msgspec.Meta(pattern=r"^(read|write|follow|admin|stream)$")]
Scopes = Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=5)]
RedirectUri = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
Digest = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class AppRegistered(Event, frozen=True, tag="app.registered"):
    """An OAuth client registered itself. Stream: `app-<client_id>`."""

    name: ShortText
    redirect_uris: Annotated[list[RedirectUri], msgspec.Meta(min_length=1, max_length=10)]
    scopes: Scopes
    secret_hash: Digest
    website: Url | None = None


class AuthorizationCodeIssued(Event, frozen=True, tag="oauth.code_issued"):
    """A member approved an app at /oauth/authorize. Stream: `oauthcode-<sha256(code)>`."""

    client_id: Id
    member_id: Id
    scopes: Scopes
    redirect_uri: RedirectUri
    code_challenge: Annotated[str, msgspec.Meta(min_length=43, max_length=128)]
    expires_at: datetime


class AuthorizationCodeRedeemed(Event, frozen=True, tag="oauth.code_redeemed"):
    """The code was exchanged for a token; it can never be used again."""

    token_id: Id


class TokenIssued(Event, frozen=True, tag="token.issued"):
    """An access token exists. Stream: `token-<sha256(token)>`."""

    token_id: Id
    member_id: Id
    scopes: Scopes
    client_id: Id | None = None
    """The OAuth app it was issued to; None for a personal access token."""
    name: ShortText | None = None
    expires_at: datetime | None = None


class TokenRevoked(Event, frozen=True, tag="token.revoked"):
    by: Id


class InviteCreated(Event, frozen=True, tag="invite.created"):
    """An invitation to register (invite-only instances). Stream: `invite-<sha256(code)>`."""

    invite_id: Id
    created_by: Id
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    expires_at: datetime | None = None


class InviteUsed(Event, frozen=True, tag="invite.used"):
    member_id: Id


TYPES: list[type[Event]] = [
    AppRegistered,
    AuthorizationCodeIssued,
    AuthorizationCodeRedeemed,
    TokenIssued,
    TokenRevoked,
    InviteCreated,
    InviteUsed,
]
