"""Declared endpoints: one place that authenticates, rate-limits, decodes, waits for read
models, runs the handler and maps refusals to problems — and that OpenAPI is generated from.

A handler is `async def handler(call: Call) -> Struct | web.StreamResponse`. Its endpoint
declares the body and query types (msgspec Structs), the response type and status, and what it
needs: authentication, a scope, a rate limit. Nothing about a request is checked anywhere else.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from aiohttp import web

from server.api.keys import COMMANDS, OPTIONS, RUNNER, ApiOptions
from server.commands.accounts import Credential, authenticate
from server.commands.context import Commands
from server.domain.common import Actor, is_id
from server.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from server.events import AppendResult, EventTooLarge, InvalidAppend, WrongExpectedVersion
from server.problems import problem
from server.projections.pagination import BadCursor
from server.ratelimit import RateLimiter

MIN_POSITION = "Learnwork-Min-Position"
POSITION = "Learnwork-Position"
MAX_JSON_BODY = 256 * 1024

Auth = Literal["none", "optional", "required"]
Limit = Literal["write", "sign_in"] | None

_encoder = msgspec.json.Encoder()
_AT_PATH = re.compile(r" - at `\$\.?(.*)`$")
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]*)`")


class Written(msgspec.Struct, kw_only=True):
    """What every write answers: the position to pass as `Learnwork-Min-Position` to read it
    back, and the id of what was created or changed."""

    position: int | None
    """The last log position written; null when nothing needed to change."""
    id: str | None = None


class FieldError(msgspec.Struct, kw_only=True):
    field: str
    """The offending field: a body path such as `steps[2].title`, a query parameter or a
    header."""
    detail: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


@dataclass
class Endpoint:
    method: str
    path: str
    handler: Callable[[Call], Awaitable[Any]]
    summary: str
    tag: str
    body: type | None = None
    query: type | None = None
    response: Any = None
    status: int = 200
    auth: Auth = "required"
    scope: str | None = None
    limit: Limit = None
    errors: tuple[int, ...] = ()
    description: str = ""
    form: bool = False
    """The body may also come as application/x-www-form-urlencoded (OAuth, RFC 6749)."""
    media: str = "application/json"
    """What a success answers with: `text/event-stream` for a stream of `response` messages."""

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


@dataclass
class Call:
    """One request, checked and decoded, as a handler sees it."""

    request: web.Request
    body: Any
    query: Any
    credential: Credential | None

    @property
    def actor(self) -> Actor:
        assert self.credential is not None, "the endpoint must declare auth='required'"
        return self.credential.actor

    @property
    def viewer(self) -> str | None:
        """The member reading, if any: decides what members-only content is visible."""
        return self.credential.actor.member_id if self.credential else None

    @property
    def cx(self) -> Commands:
        return self.request.app[COMMANDS]

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    def id_param(self, name: str) -> str:
        """The path parameter `name` (`post_id`, …) as an entity id; a value that cannot be an
        id names nothing, so it is a 404 naming the parameter."""
        value = self.request.match_info[name]
        if not is_id(value):
            what = name.removesuffix("_id")
            raise field_problem(404, "Not Found", name, f"no such {what}")
        return value

    @property
    def min_position(self) -> int:
        """The `Learnwork-Min-Position` the read models have reached for this request (checked
        and waited for before the handler runs); 0 without one."""
        return int(self.request.headers.get(MIN_POSITION, 0))

    def db(self) -> Any:
        """A pooled connection for read-model queries: `async with call.db() as conn`."""
        return self.cx.store.pool.acquire()


def written(results: list[AppendResult], entity_id: str | None = None) -> Written:
    return Written(position=max((r.position for r in results), default=None), id=entity_id)


class Api:
    """The set of declared endpoints; `routes()` mounts them, `endpoints` feeds OpenAPI."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def route(self, method: str, path: str, **options: Any) -> Callable[..., Any]:
        def register(handler: Callable[[Call], Awaitable[Any]]) -> Callable[[Call], Any]:
            summary = options.pop("summary", None) or (handler.__doc__ or "").strip()
            self.endpoints.append(
                Endpoint(method, path, handler, summary.split("\n")[0], **options)
            )
            return handler

        return register

    def routes(self) -> list[web.RouteDef]:
        return [web.route(e.method, e.path, _serve(e)) for e in self.endpoints]


def _serve(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        try:
            return await _handle(endpoint, request)
        except RefuseRequest as refusal:
            return refusal.response

    serve.__name__ = endpoint.operation_id
    return serve


class RefuseRequest(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


def refuse(status: int, title: str, detail: str | None = None, **extras: Any) -> RefuseRequest:
    return RefuseRequest(problem(status, title, detail, **extras))


def field_problem(status: int, title: str, field_name: str, detail: str) -> RefuseRequest:
    return refuse(status, title, detail, errors=[{"field": field_name, "detail": detail}])


async def _handle(endpoint: Endpoint, request: web.Request) -> web.StreamResponse:
    credential = await _authenticate(endpoint, request)
    _rate_limit(endpoint, request, credential)
    query = _decode_query(endpoint, request)
    body = await _decode_body(endpoint, request)
    await _wait_for_position(request)
    call = Call(request, body, query, credential)
    try:
        result = await endpoint.handler(call)
    except DomainError as exc:
        raise _domain_problem(exc) from None
    except InvalidAppend as exc:
        status = 413 if isinstance(exc, EventTooLarge) else 422
        title = "Content Too Large" if status == 413 else "Unprocessable Content"
        raise field_problem(status, title, _public_field(exc.field), exc.reason) from None
    except WrongExpectedVersion:
        raise refuse(409, "Conflict", "it changed concurrently too often; try again") from None
    except BadCursor as exc:
        raise field_problem(400, "Bad Request", "cursor", str(exc)) from None
    if isinstance(result, web.StreamResponse):
        return result
    headers = {}
    if isinstance(result, Written) and result.position is not None:
        headers[POSITION] = str(result.position)
    return web.Response(
        status=endpoint.status,
        body=_encoder.encode(result),
        content_type="application/json",
        headers=headers,
    )


async def _authenticate(endpoint: Endpoint, request: web.Request) -> Credential | None:
    header = request.headers.get("Authorization")
    credential = None
    if header is not None and endpoint.auth != "none":
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("invalid_request", "use `Authorization: Bearer <token>`")
        credential = await authenticate(request.app[COMMANDS], token.strip())
        if credential is None:
            raise _unauthorized("invalid_token", "the token is unknown, revoked or expired")
    if endpoint.auth == "required" and credential is None:
        raise _unauthorized(None, "this needs an access token")
    if endpoint.scope and credential and endpoint.scope not in credential.scopes:
        raise refuse(
            403,
            "Forbidden",
            f"the token lacks the {endpoint.scope!r} scope",
            headers={
                "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{endpoint.scope}"'
            },
        )
    return credential


def _unauthorized(error: str | None, detail: str) -> RefuseRequest:
    # RFC 6750 §3: the challenge names the error when a token was presented.
    challenge = 'Bearer realm="learnwork"'
    if error:
        challenge += f', error="{error}"'
    return refuse(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


LIMITERS = web.AppKey("rate_limiters", dict[str, RateLimiter])


def limiters(options: ApiOptions) -> dict[str, RateLimiter]:
    return {
        "write": RateLimiter.per_minute(options.writes_per_minute),
        "write_ip": RateLimiter.per_minute(options.writes_per_minute * 2),
        "sign_in": RateLimiter.per_minute(options.sign_ins_per_minute),
    }


def _rate_limit(endpoint: Endpoint, request: web.Request, credential: Credential | None) -> None:
    if endpoint.limit is None:
        return
    limiters = request.app[LIMITERS]
    ip = request.remote or "unknown"
    checks = [(limiters["sign_in"], f"ip:{ip}")]
    if endpoint.limit == "write":
        checks = [(limiters["write_ip"], f"ip:{ip}")]
        if credential is not None:
            checks.append((limiters["write"], f"token:{credential.token_id}"))
    for limiter, key in checks:
        verdict = limiter.hit(key)
        if not verdict.allowed:
            raise refuse(
                429,
                "Too Many Requests",
                f"at most {verdict.limit} of these per minute; try again later",
                headers={
                    "Retry-After": str(verdict.retry_after),
                    "RateLimit-Limit": str(verdict.limit),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(verdict.retry_after),
                },
            )


def _decode_query(endpoint: Endpoint, request: web.Request) -> Any:
    if endpoint.query is None:
        return None
    raw: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        raw[key] = values if len(values) > 1 else values[0]
    try:
        return msgspec.convert(raw, endpoint.query, strict=False)
    except msgspec.ValidationError as exc:
        name, detail = _split_validation(str(exc))
        raise field_problem(400, "Bad Request", name, detail) from None


async def _decode_body(endpoint: Endpoint, request: web.Request) -> Any:
    if endpoint.body is None:
        return None
    length = request.content_length
    if length is not None and length > MAX_JSON_BODY:
        raise refuse(413, "Content Too Large", f"request bodies are at most {MAX_JSON_BODY} bytes")
    if not request.body_exists:
        # No body at all: as if `{}` was sent, so a body of optional fields can be left out.
        return _decode_json(endpoint, b"{}")
    media = request.content_type
    if endpoint.form and media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        raw: Any = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            return msgspec.convert(raw, endpoint.body, strict=False)
        except msgspec.ValidationError as exc:
            name, detail = _split_validation(str(exc))
            raise field_problem(422, "Unprocessable Content", name, detail) from None
    if media != "application/json":
        raise refuse(415, "Unsupported Media Type", "send the body as application/json")
    return _decode_json(endpoint, await _read_limited(request))


def _decode_json(endpoint: Endpoint, data: bytes) -> Any:
    try:
        return msgspec.json.decode(data, type=endpoint.body)
    except msgspec.ValidationError as exc:
        name, detail = _split_validation(str(exc))
        raise field_problem(422, "Unprocessable Content", name, detail) from None
    except msgspec.DecodeError as exc:
        raise refuse(400, "Bad Request", f"the body is not valid JSON: {exc}") from None


async def _read_limited(request: web.Request) -> bytes:
    """Read at most MAX_JSON_BODY bytes; a longer (e.g. chunked) body is refused as soon as it
    passes the limit, never read whole."""
    chunks = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_JSON_BODY:
            raise refuse(
                413, "Content Too Large", f"request bodies are at most {MAX_JSON_BODY} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _split_validation(message: str) -> tuple[str, str]:
    """msgspec's message → (the field at fault, what is wrong with it). A missing or unknown
    field is reported at its parent object; name the field itself."""
    match = _AT_PATH.search(message)
    path, detail = (match.group(1), message[: match.start()]) if match else ("", message)
    if named := _NAMED_FIELD.search(detail):
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return path or "body", detail


def _public_field(name: str) -> str:
    """The store names fields of its own append (`appends[0].events[1].data.title`); the client
    knows only the last part."""
    return name.rsplit(".data.", 1)[-1] if ".data." in name else name


def _domain_problem(exc: DomainError) -> RefuseRequest:
    status, title = {
        NotFound: (404, "Not Found"),
        Forbidden: (403, "Forbidden"),
        Conflict: (409, "Conflict"),
        Invalid: (422, "Unprocessable Content"),
    }[type(exc)]
    if exc.field:
        return field_problem(status, title, exc.field, exc.detail)
    return refuse(status, title, exc.detail)


async def _wait_for_position(request: web.Request) -> None:
    header = request.headers.get(MIN_POSITION)
    if header is None or request.method != "GET":
        return
    try:
        position = int(header)
        if position < 0:
            raise ValueError
    except ValueError:
        raise field_problem(
            400, "Bad Request", MIN_POSITION, "must be a log position (an integer ≥ 0)"
        ) from None
    if position > await request.app[COMMANDS].store.last_position():
        # No write has been answered with this position: waiting could never end.
        raise field_problem(
            400, "Bad Request", MIN_POSITION, "no write has reached this position yet"
        )
    options = request.app[OPTIONS]
    try:
        async with asyncio.timeout(options.read_wait_seconds):
            await request.app[RUNNER].wait_for(position)
    except TimeoutError:
        raise refuse(
            503,
            "Service Unavailable",
            f"the read models have not reached position {position} yet",
            headers={"Retry-After": "1"},
        ) from None
