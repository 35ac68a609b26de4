"""OAuth 2.0 shaped like Mastodon's: `/api/v1/apps`, `/oauth/authorize`, `/oauth/token`,
`/oauth/revoke`. Authorization code with PKCE (S256) for apps; the password grant for first-
party clients and scripts. Token-endpoint errors carry RFC 6749 §5.2's `error` member inside
problem+json, so OAuth libraries and problem-aware clients both understand them."""

from __future__ import annotations

import html
from typing import Annotated, Literal
from urllib.parse import urlencode, urlsplit

import msgspec
from aiohttp import web

from server.api.routing import Api, Call, RefuseRequest
from server.commands import accounts
from server.domain.credentials import parse_scopes
from server.domain.errors import DomainError
from server.events.types.fields import Url
from server.problems import problem

api = Api()

Text = Annotated[str, msgspec.Meta(max_length=2000)]


class AppRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    redirect_uris: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)] | list[Text]
    """One URI, several separated by whitespace, or a list. `urn:ietf:wg:oauth:2.0:oob` shows
    the code instead of redirecting."""
    scopes: Annotated[str, msgspec.Meta(max_length=200)] = "read"
    website: Url | None = None


class AppView(msgspec.Struct, kw_only=True):
    id: str
    name: str
    client_id: str
    client_secret: str
    """Shown once."""
    redirect_uri: str
    redirect_uris: list[str]
    scopes: list[str]
    website: str | None
    position: int


def _redirect_uris(value: str | list[str]) -> list[str]:
    uris = value.split() if isinstance(value, str) else value
    for uri in uris:
        if uri == "urn:ietf:wg:oauth:2.0:oob":
            continue
        parts = urlsplit(uri)
        web_without_host = parts.scheme in ("http", "https") and not parts.netloc
        if not parts.scheme or parts.fragment or web_without_host:
            raise RefuseRequest(
                problem(
                    422,
                    "Unprocessable Content",
                    f"not an absolute URI without fragment: {uri!r}",
                    errors=[{"field": "redirect_uris", "detail": "must be absolute URIs"}],
                )
            )
    if not uris:
        raise RefuseRequest(
            problem(
                422,
                "Unprocessable Content",
                "at least one redirect URI is needed",
                errors=[{"field": "redirect_uris", "detail": "empty"}],
            )
        )
    return list(dict.fromkeys(uris))


@api.route(
    "POST",
    "/api/v1/apps",
    tag="oauth",
    body=AppRequest,
    response=AppView,
    auth="none",
    limit="sign_in",
    form=True,
    errors=(422, 429),
)
async def create_app(call: Call) -> AppView:
    """Register an OAuth client application."""
    body: AppRequest = call.body
    uris = _redirect_uris(body.redirect_uris)
    scopes = parse_scopes(body.scopes, "scopes")
    app = await accounts.register_app(
        call.cx, name=body.client_name, redirect_uris=uris, scopes=scopes, website=body.website
    )
    return AppView(
        id=app.client_id,
        name=body.client_name.strip(),
        client_id=app.client_id,
        client_secret=app.client_secret,
        redirect_uri="\n".join(uris),
        redirect_uris=uris,
        scopes=scopes,
        website=body.website,
        position=app.result.position,
    )


class AuthorizeQuery(msgspec.Struct, kw_only=True):
    response_type: Literal["code"]
    client_id: Annotated[str, msgspec.Meta(max_length=100)]
    redirect_uri: Text
    scope: Annotated[str, msgspec.Meta(max_length=200)] = "read"
    state: Text | None = None
    code_challenge: Annotated[str, msgspec.Meta(min_length=43, max_length=128)]
    code_challenge_method: Literal["S256"]


async def _checked_request(call: Call, query: AuthorizeQuery) -> list[str]:
    app = await accounts.load_app(call.cx, query.client_id)
    if not app.exists:
        raise _field(400, "client_id", "unknown client_id")
    if query.redirect_uri not in app.redirect_uris:
        raise _field(400, "redirect_uri", "not registered for this app")
    try:
        scopes = parse_scopes(query.scope)
    except DomainError as exc:
        raise _field(400, "scope", exc.detail) from None
    if any(s not in app.scopes for s in scopes):
        raise _field(400, "scope", "more than the app registered")
    return scopes


def _field(status: int, name: str, detail: str) -> RefuseRequest:
    return RefuseRequest(
        problem(status, "Bad Request", detail, errors=[{"field": name, "detail": detail}])
    )


@api.route(
    "GET",
    "/oauth/authorize",
    tag="oauth",
    query=AuthorizeQuery,
    auth="none",
    response=str,
    errors=(400,),
)
async def authorize_form(call: Call) -> web.Response:
    """The sign-in and consent page an app sends the member to (HTML)."""
    scopes = await _checked_request(call, call.query)
    return _page(call.query, scopes)


def _page(
    query: AuthorizeQuery, scopes: list[str], error: str = "", status: int = 200
) -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(str(v))}">'
        for k, v in msgspec.structs.asdict(query).items()
        if v is not None
    )
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize — Learnwork</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Sign in to authorize an app</h1>
<p>The app asks for: <strong>{html.escape(" ".join(scopes))}</strong></p>{message}
<form method="post" action="/oauth/authorize">{hidden}
<label>Handle <input name="handle" autocomplete="username" required></label>
<label>Password
<input name="password" type="password" autocomplete="current-password" required></label>
<button name="decision" value="approve">Authorize</button>
<button name="decision" value="deny" formnovalidate>Deny</button>
</form></main></body></html>"""
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


class AuthorizeForm(AuthorizeQuery, kw_only=True):
    handle: Annotated[str, msgspec.Meta(max_length=100)] = ""
    password: Annotated[str, msgspec.Meta(max_length=1024)] = ""
    decision: Literal["approve", "deny"]


@api.route(
    "POST",
    "/oauth/authorize",
    tag="oauth",
    body=AuthorizeForm,
    auth="none",
    limit="sign_in",
    form=True,
    response=str,
    status=302,
    errors=(400, 401, 429),
)
async def authorize(call: Call) -> web.Response:
    """Sign in and approve (or deny): redirects back to the app with a code (RFC 6749 §4.1.2)."""
    form: AuthorizeForm = call.body
    query = AuthorizeQuery(**{f: getattr(form, f) for f in AuthorizeQuery.__struct_fields__})
    scopes = await _checked_request(call, query)
    if form.decision == "deny":
        return _redirect(form.redirect_uri, {"error": "access_denied", "state": form.state})
    member = await accounts.sign_in(call.cx, form.handle, form.password)
    if member is None:
        return _page(query, scopes, "Wrong handle or password.", status=401)
    try:
        code = await accounts.authorize(
            call.cx,
            member,
            client_id=form.client_id,
            scopes=scopes,
            redirect_uri=form.redirect_uri,
            code_challenge=form.code_challenge,
            code_challenge_method=form.code_challenge_method,
        )
    except DomainError as exc:
        raise _field(400, exc.field or "scope", exc.detail) from None
    if form.redirect_uri == "urn:ietf:wg:oauth:2.0:oob":
        return web.Response(
            text="<!doctype html><title>Code</title>"
            f"<p>Your code: <code>{html.escape(code)}</code>",
            content_type="text/html",
        )
    return _redirect(form.redirect_uri, {"code": code, "state": form.state})


def _redirect(uri: str, params: dict[str, str | None]) -> web.Response:
    separator = "&" if urlsplit(uri).query else "?"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return web.Response(status=302, headers={"Location": f"{uri}{separator}{query}"})


class TokenRequest(msgspec.Struct, kw_only=True):
    grant_type: Annotated[str, msgspec.Meta(max_length=100)]
    client_id: Annotated[str, msgspec.Meta(max_length=100)]
    client_secret: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    code: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    redirect_uri: Text | None = None
    code_verifier: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    username: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    password: Annotated[str, msgspec.Meta(max_length=1024)] | None = None
    scope: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class TokenResponse(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: str = "Bearer"
    scope: str
    created_at: int
    position: int


def _oauth_error(error: str, detail: str, status: int = 400) -> RefuseRequest:
    return RefuseRequest(
        problem(
            status,
            "Bad Request" if status == 400 else "Unauthorized",
            detail,
            error=error,
            error_description=detail,
            headers={"Cache-Control": "no-store"},
        )
    )


@api.route(
    "POST",
    "/oauth/token",
    tag="oauth",
    body=TokenRequest,
    response=TokenResponse,
    auth="none",
    limit="sign_in",
    form=True,
    errors=(400, 401, 429),
)
async def token(call: Call) -> TokenResponse:
    """Exchange an authorization code (with its PKCE verifier) or a password for a token."""
    body: TokenRequest = call.body
    app = await accounts.load_app(call.cx, body.client_id)
    wrong_secret = body.client_secret is not None and not app.secret_matches(body.client_secret)
    if not app.exists or wrong_secret:
        raise _oauth_error("invalid_client", "unknown client or wrong secret", 401)
    if body.grant_type == "authorization_code":
        if not (body.code and body.redirect_uri and body.code_verifier):
            raise _oauth_error("invalid_request", "code, redirect_uri and code_verifier are needed")
        try:
            issued = await accounts.exchange_code(
                call.cx,
                code=body.code,
                client_id=body.client_id,
                client_secret=body.client_secret,
                redirect_uri=body.redirect_uri,
                code_verifier=body.code_verifier,
            )
        except DomainError as exc:
            raise _oauth_error("invalid_grant", exc.detail) from None
    elif body.grant_type == "password":
        if body.client_secret is None:
            raise _oauth_error("invalid_client", "the password grant needs client_secret", 401)
        member = await accounts.sign_in(call.cx, body.username or "", body.password or "")
        if member is None:
            raise _oauth_error("invalid_grant", "wrong handle or password")
        try:
            scopes = parse_scopes(body.scope or "read")
            issued = await accounts.issue_token(
                call.cx, member, scopes, allowed=app.scopes, client_id=app.client_id
            )
        except DomainError as exc:
            raise _oauth_error("invalid_scope", exc.detail) from None
    else:
        raise _oauth_error("unsupported_grant_type", f"unsupported grant_type {body.grant_type!r}")
    return TokenResponse(
        access_token=issued.token,
        scope=" ".join(issued.scopes),
        created_at=int(call.cx.clock().timestamp()),
        position=issued.result.position,
    )


class RevokeRequest(msgspec.Struct, kw_only=True):
    token: Annotated[str, msgspec.Meta(max_length=200)]
    client_id: Annotated[str, msgspec.Meta(max_length=100)]
    client_secret: Annotated[str, msgspec.Meta(max_length=200)]


class Empty(msgspec.Struct):
    pass


@api.route(
    "POST",
    "/oauth/revoke",
    tag="oauth",
    body=RevokeRequest,
    response=Empty,
    auth="none",
    limit="sign_in",
    form=True,
    errors=(401, 429),
)
async def revoke(call: Call) -> Empty:
    """Sign out: revoke a token issued to this client (RFC 7009; unknown tokens are fine)."""
    body: RevokeRequest = call.body
    app = await accounts.load_app(call.cx, body.client_id)
    if not app.secret_matches(body.client_secret):
        raise _oauth_error("invalid_client", "unknown client or wrong secret", 401)
    await accounts.revoke_presented(call.cx, body.token, client_id=body.client_id)
    return Empty()
