"""Accounts: registration, signing in, OAuth apps and codes, access tokens, invitations."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.commands.aggregates import APPS, CODES, INVITES, MEMBERS, TOKENS
from server.commands.context import Commands, new_id
from server.commands.passwords import hash_password, verify_password
from server.domain import credentials, members
from server.domain.common import Actor, is_id
from server.domain.errors import Invalid
from server.domain.members import Member
from server.events import AppendResult, StreamAppend
from server.events.types.auth import AppRegistered
from server.events.types.members import HandleClaimed

CODE_LIFETIME = timedelta(minutes=10)
CREDENTIAL_FRESHNESS = 0.5
"""Seconds a token's and its member's state are trusted from the cache when authenticating.
A revocation or suspension made by this process applies at once; one made by another process
applies within this time. Reading both streams on every request cost half the API's
throughput (bench/api.py)."""
MIN_PASSWORD = 10
MAX_PASSWORD = 1024


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"a password is {MIN_PASSWORD}–{MAX_PASSWORD} characters", "password")


@dataclass(frozen=True, slots=True)
class Registered:
    member: Member
    results: list[AppendResult]


async def register(
    cx: Commands,
    *,
    handle: str,
    display_name: str,
    password: str,
    invite_code: str | None = None,
    reason: str | None = None,
    admin: bool = False,
) -> Registered:
    check_password(password)
    password_hash = await hash_password(password)
    member_id = new_id()
    normalised = members.normalise_handle(handle)
    invite_key = credentials.digest(invite_code) if invite_code else None

    async def decide() -> list[StreamAppend]:
        state = await cx.repo.load(MEMBERS, member_id)
        invite = await cx.repo.load(INVITES, invite_key) if invite_key else None
        events = members.decide(
            state.state,
            members.Register(
                member_id=member_id,
                handle=normalised,
                display_name=display_name,
                password_hash=password_hash,
                policy=cx.registration,
                handle_taken=await cx.repo.exists(members.handle_stream(normalised)),
                invite_valid=invite is not None and invite.state.valid(cx.clock()),
                invite_id=invite.state.invite_id if invite else None,
                admin=admin,
                reason=reason,
            ),
        )
        appends = [
            StreamAppend(MEMBERS.stream(member_id), events, state.expected),
            # The handle's own stream makes a racing registration for it fail as a whole.
            StreamAppend(
                members.handle_stream(normalised),
                [HandleClaimed(member_id=member_id)],
                "no_stream",
            ),
        ]
        if invite_key and invite and events[0].invite_id:  # type: ignore[attr-defined]
            used = credentials.use_invite(invite.state, member_id=member_id, now=cx.clock())
            appends.append(StreamAppend(INVITES.stream(invite_key), used, invite.expected))
        return appends

    results = await cx.run(decide, actor=member_id)
    loaded = await cx.repo.load(MEMBERS, member_id)
    return Registered(loaded.state, results)


async def load_member(cx: Commands, member_id: str) -> Member | None:
    loaded = await cx.repo.load(MEMBERS, member_id)
    return loaded.state if loaded.version else None


async def member_by_handle(cx: Commands, handle: str) -> Member | None:
    claim = await cx.store.read_stream(
        members.handle_stream(members.normalise_handle(handle)), 1, limit=1
    )
    if not claim:
        return None
    loaded = await cx.repo.load(MEMBERS, claim[0].data.member_id)  # type: ignore[attr-defined]
    return loaded.state


async def sign_in(cx: Commands, handle: str, password: str) -> Member | None:
    """The member these credentials belong to, if they may sign in (active); else None."""
    member = None
    if members.HANDLE.match(members.normalise_handle(handle)):
        member = await member_by_handle(cx, handle)
    ok = await verify_password(password, member.password_hash if member else None)
    if not ok or member is None or not member.active:
        return None
    return member


# -- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: str
    scopes: list[str]
    result: AppendResult


async def issue_token(
    cx: Commands,
    member: Member,
    scopes: list[str],
    *,
    allowed: tuple[str, ...] | list[str] = credentials.SCOPES,
    client_id: str | None = None,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    if "admin" in scopes and not member.admin:
        raise Invalid("only admins can hold the admin scope", "scope")
    token = secrets.token_urlsafe(32)
    token_id = new_id()
    events = credentials.issue_token(
        token_id=token_id,
        member_id=member.id,
        scopes=scopes,
        allowed=allowed,
        client_id=client_id,
        name=name,
        expires_at=expires_at,
    )

    async def decide() -> list[StreamAppend]:
        return [StreamAppend(TOKENS.stream(credentials.digest(token)), events, "no_stream")]

    [result] = await cx.run(decide, actor=member.id)
    return IssuedToken(token, token_id, scopes, result)


@dataclass(frozen=True, slots=True)
class Credential:
    """Who presented a token, and what it allows."""

    actor: Actor
    member: Member
    scopes: frozenset[str]
    token_id: str
    client_id: str | None


async def authenticate(cx: Commands, token: str) -> Credential | None:
    """The credential behind a bearer token; None if unknown, revoked, expired, or its member
    may not act (pending, rejected, suspended)."""
    if not 20 <= len(token) <= 200:
        return None
    loaded = await cx.repo.recent(TOKENS, credentials.digest(token), CREDENTIAL_FRESHNESS)
    state = loaded.state
    if not state.usable(cx.clock()):
        return None
    member = (await cx.repo.recent(MEMBERS, state.member_id, CREDENTIAL_FRESHNESS)).state
    if not member.active:
        return None
    return Credential(
        Actor(member.id, member.admin),
        member,
        frozenset(state.scopes),
        state.token_id,
        state.client_id,
    )


async def revoke(cx: Commands, token_digest: str, actor: Actor) -> list[AppendResult]:
    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(TOKENS, token_digest)
        events = credentials.revoke_token(loaded.state, actor)
        return [StreamAppend(TOKENS.stream(token_digest), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def revoke_presented(cx: Commands, token: str, *, client_id: str) -> list[AppendResult]:
    """Revoke a token presented by the client it was issued to (RFC 7009 §2.1); any other token
    is left alone without saying so."""
    key = credentials.digest(token)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(TOKENS, key)
        state = loaded.state
        if not state.exists or state.revoked or state.client_id != client_id:
            return []
        events = credentials.revoke_token(state, Actor(state.member_id))
        return [StreamAppend(TOKENS.stream(key), events, loaded.expected)]

    return await cx.run(decide)


# -- OAuth apps and codes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    client_id: str
    client_secret: str
    result: AppendResult


async def register_app(
    cx: Commands, *, name: str, redirect_uris: list[str], scopes: list[str], website: str | None
) -> RegisteredApp:
    client_id = new_id()
    secret = secrets.token_urlsafe(32)
    event = AppRegistered(
        name=name.strip() or "app",
        redirect_uris=redirect_uris,
        scopes=scopes,
        secret_hash=credentials.digest(secret),
        website=website,
    )

    async def decide() -> list[StreamAppend]:
        return [StreamAppend(APPS.stream(client_id), [event], "no_stream")]

    [result] = await cx.run(decide)
    return RegisteredApp(client_id, secret, result)


async def load_app(cx: Commands, client_id: str) -> credentials.App:
    """The app, or one that does not exist: a client id that is no id (a NUL in it, say, which
    the database refuses) names no app."""
    if not is_id(client_id):
        return credentials.initial_app(client_id)
    return (await cx.repo.load(APPS, client_id)).state


async def authorize(
    cx: Commands,
    member: Member,
    *,
    client_id: str,
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str,
    code_challenge_method: str,
) -> str:
    """Record the member's consent; return the authorization code for the redirect."""
    app = await load_app(cx, client_id)
    if "admin" in scopes and not member.admin:
        raise Invalid("only admins can grant the admin scope", "scope")
    code = secrets.token_urlsafe(32)
    events = credentials.issue_code(
        app,
        actor=Actor(member.id, member.admin),
        scopes=scopes,
        redirect_uri=redirect_uri,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        expires_at=cx.clock() + CODE_LIFETIME,
    )

    async def decide() -> list[StreamAppend]:
        return [StreamAppend(CODES.stream(credentials.digest(code)), events, "no_stream")]

    await cx.run(decide, actor=member.id)
    return code


async def exchange_code(
    cx: Commands,
    *,
    code: str,
    client_id: str,
    client_secret: str | None,
    redirect_uri: str,
    code_verifier: str,
) -> IssuedToken:
    """Redeem a code once (the append expects the code's stream unchanged, so two racing
    redemptions cannot both succeed) and issue its token."""
    app = await load_app(cx, client_id)
    token = secrets.token_urlsafe(32)
    token_id = new_id()
    key = credentials.digest(code)

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(CODES, key)
        redeemed = credentials.redeem_code(
            loaded.state,
            app,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
            token_id=token_id,
            now=cx.clock(),
        )
        member = (await cx.repo.load(MEMBERS, loaded.state.member_id)).state
        if not member.active:
            raise Invalid("the member can no longer sign in", "code")
        issued = credentials.issue_token(
            token_id=token_id,
            member_id=member.id,
            scopes=list(loaded.state.scopes),
            allowed=app.scopes,
            client_id=app.client_id,
        )
        return [
            StreamAppend(CODES.stream(key), redeemed, loaded.expected),
            StreamAppend(TOKENS.stream(credentials.digest(token)), issued, "no_stream"),
        ]

    results = await cx.run(decide)
    loaded = await cx.repo.load(CODES, key)
    return IssuedToken(token, token_id, list(loaded.state.scopes), results[-1])


# -- invitations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedInvite:
    code: str
    invite_id: str
    result: AppendResult


async def create_invite(
    cx: Commands, actor: Actor, *, max_uses: int, expires_at: datetime | None
) -> CreatedInvite:
    code = secrets.token_urlsafe(16)
    invite_id = new_id()
    events = credentials.create_invite(
        actor=actor, invite_id=invite_id, max_uses=max_uses, expires_at=expires_at
    )

    async def decide() -> list[StreamAppend]:
        return [StreamAppend(INVITES.stream(credentials.digest(code)), events, "no_stream")]

    [result] = await cx.run(decide, actor=actor.member_id)
    return CreatedInvite(code, invite_id, result)
