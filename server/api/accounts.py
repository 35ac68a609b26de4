"""Accounts: registration, the signed-in member (`/me`), personal access tokens, invitations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import msgspec

from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import accounts, members
from server.commands.passwords import verify_password
from server.domain.common import is_id
from server.events.types.auth import Scopes
from server.events.types.fields import ShortText, Skills, Summary, Urls
from server.projections import members as members_read
from server.projections.members import MemberView, TokenView
from server.projections.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

api = Api()

Password = Annotated[str, msgspec.Meta(min_length=10, max_length=1024)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)]


class PageQuery(msgspec.Struct, kw_only=True):
    limit: Limit = DEFAULT_LIMIT
    cursor: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class Registration(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    handle: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_]{1,30}$")]
    """Unique, case-insensitive; stored in lower case."""
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Password
    invite_code: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    reason: Summary | None = None
    """Why you want to join (instances that approve registrations)."""
    scopes: Scopes = msgspec.field(default_factory=lambda: ["read", "write", "follow"])
    """Scopes of the access token returned when the account is active at once."""


class RegisteredAccount(msgspec.Struct, kw_only=True):
    id: str
    handle: str
    status: str
    """`active`, or `pending` until an admin approves (approval policy)."""
    position: int
    access_token: str | None = None
    """Shown once. Null while the account is pending."""
    token_type: str | None = None
    scopes: list[str] | None = None


@api.route(
    "POST",
    "/api/v1/accounts",
    tag="accounts",
    body=Registration,
    response=RegisteredAccount,
    status=201,
    auth="none",
    limit="sign_in",
    errors=(403, 409, 422, 429),
)
async def register(call: Call) -> RegisteredAccount:
    """Register a member under the instance's registration policy."""
    body: Registration = call.body
    done = await accounts.register(
        call.cx,
        handle=body.handle,
        display_name=body.display_name,
        password=body.password,
        invite_code=body.invite_code,
        reason=body.reason,
    )
    answer = RegisteredAccount(
        id=done.member.id,
        handle=done.member.handle,
        status=done.member.status,
        position=max(r.position for r in done.results),
    )
    if done.member.active:
        issued = await accounts.issue_token(call.cx, done.member, list(body.scopes), name="signup")
        answer.access_token = issued.token
        answer.token_type = "Bearer"
        answer.scopes = issued.scopes
        answer.position = issued.result.position
    return answer


class Me(MemberView, kw_only=True):
    status: str
    share_progress: bool
    """Others see your progress in paths; false keeps it to you."""
    scopes: list[str]
    """The scopes of the token used for this request."""


@api.route("GET", "/api/v1/me", tag="accounts", response=Me, scope="read")
async def me(call: Call) -> Me:
    """The member the token belongs to, and the token's scopes."""
    member = call.credential.member  # type: ignore[union-attr]
    async with call.db() as conn:
        view = await members_read.get_member(conn, member.id)
    if view is None:  # registered a moment ago; the read model follows shortly
        raise field_problem(404, "Not Found", "member", "not in the read models yet; retry")
    return Me(
        **msgspec.structs.asdict(view),
        status=member.status,
        share_progress=member.share_progress,
        scopes=sorted(call.credential.scopes),  # type: ignore[union-attr]
    )


class ProfileChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present change."""

    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    headline: ShortText | None = None
    bio: Summary | None = None
    skills: Skills | None = None
    links: Urls | None = None
    share_progress: bool | None = None
    """False keeps your progress in paths to you: others no longer see your enrollments,
    completed steps and paths, in feeds, on your profile or in your journey."""


@api.route(
    "PATCH",
    "/api/v1/me",
    tag="accounts",
    body=ProfileChanges,
    response=Written,
    scope="write",
    limit="write",
    errors=(422,),
)
async def update_profile(call: Call) -> Written:
    """Change the signed-in member's profile."""
    changes = {k: v for k, v in msgspec.structs.asdict(call.body).items() if v is not None}
    results = await members.update_profile(call.cx, call.actor, **changes)
    return written(results, call.actor.member_id)


class PasswordChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(max_length=1024)]
    new_password: Password


@api.route(
    "POST",
    "/api/v1/me/password",
    tag="accounts",
    body=PasswordChange,
    response=Written,
    scope="write",
    limit="sign_in",
    errors=(422, 429),
)
async def change_password(call: Call) -> Written:
    """Change the password (the current one is asked again)."""
    member = call.credential.member  # type: ignore[union-attr]
    if not await verify_password(call.body.current_password, member.password_hash):
        raise field_problem(
            422, "Unprocessable Content", "current_password", "the current password is wrong"
        )
    results = await members.change_password(call.cx, call.actor, call.body.new_password)
    return written(results, call.actor.member_id)


# -- personal access tokens -----------------------------------------------------------------


class TokenRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    scopes: Scopes
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None


class NewToken(msgspec.Struct, kw_only=True):
    token: str
    """Shown once: only its hash is kept."""
    token_id: str
    scopes: list[str]
    expires_at: datetime | None
    position: int


@api.route(
    "POST",
    "/api/v1/me/tokens",
    tag="accounts",
    body=TokenRequest,
    response=NewToken,
    status=201,
    scope="write",
    limit="write",
    errors=(422,),
)
async def create_token(call: Call) -> NewToken:
    """Create a personal access token, with at most the scopes of the token used."""
    body: TokenRequest = call.body
    scopes = list(dict.fromkeys(body.scopes))
    held = call.credential.scopes  # type: ignore[union-attr]
    if missing := [s for s in scopes if s not in held]:
        raise field_problem(
            422, "Unprocessable Content", "scopes", f"this token cannot grant {missing[0]!r}"
        )
    expires_at = None
    if body.expires_in_days:
        expires_at = call.cx.clock() + timedelta(days=body.expires_in_days)
    issued = await accounts.issue_token(
        call.cx,
        call.credential.member,
        scopes,
        name=body.name,
        expires_at=expires_at,  # type: ignore[union-attr]
    )
    return NewToken(
        token=issued.token,
        token_id=issued.token_id,
        scopes=issued.scopes,
        expires_at=expires_at,
        position=issued.result.position,
    )


@api.route(
    "GET",
    "/api/v1/me/tokens",
    tag="accounts",
    query=PageQuery,
    response=Page[TokenView],
    scope="read",
)
async def list_tokens(call: Call) -> Page[TokenView]:
    """The member's tokens (OAuth and personal), newest first; secrets are never shown."""
    async with call.db() as conn:
        return await members_read.list_tokens(
            conn, call.actor.member_id, call.query.cursor, call.query.limit
        )


@api.route(
    "DELETE",
    "/api/v1/me/tokens/{token_id}",
    tag="accounts",
    response=Written,
    scope="write",
    limit="write",
    errors=(404,),
)
async def revoke_token(call: Call) -> Written:
    """Revoke one of the member's tokens (it stops working at once)."""
    token_id = call.param("token_id")
    digest = None
    if is_id(token_id):
        async with call.db() as conn:
            digest = await members_read.token_digest(conn, call.actor.member_id, token_id)
    if digest is None:
        raise field_problem(404, "Not Found", "token_id", "no such token")
    results = await accounts.revoke(call.cx, digest, call.actor)
    return written(results, token_id)


# -- invitations ----------------------------------------------------------------------------


class InviteRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = 7


class NewInvite(msgspec.Struct, kw_only=True):
    code: str
    """Give it to the person invited: they register with `invite_code`."""
    invite_id: str
    max_uses: int
    expires_at: datetime | None
    position: int


@api.route(
    "POST",
    "/api/v1/admin/invites",
    tag="admin",
    body=InviteRequest,
    response=NewInvite,
    status=201,
    scope="admin",
    limit="write",
    errors=(403,),
)
async def create_invite(call: Call) -> NewInvite:
    """Create an invitation code (admins; for invite-only instances)."""
    expires_at = None
    if call.body.expires_in_days:
        expires_at = call.cx.clock() + timedelta(days=call.body.expires_in_days)
    invite = await accounts.create_invite(
        call.cx, call.actor, max_uses=call.body.max_uses, expires_at=expires_at
    )
    return NewInvite(
        code=invite.code,
        invite_id=invite.invite_id,
        max_uses=call.body.max_uses,
        expires_at=expires_at,
        position=invite.result.position,
    )
