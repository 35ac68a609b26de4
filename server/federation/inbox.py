"""`POST /ap/inbox` (the shared inbox) and each actor's inbox: what other servers send.

Checked in this order; each refusal is a problem (RFC 9457) and writes nothing:

1. size (at most `MAX_BYTES`: 413), media type (ActivityStreams JSON: 415), and a JSON object
   nested at most `MAX_DEPTH` deep with an `id`, a `type` and an `actor` (400);
2. the actor's domain is not blocked by an admin (403) — checked before anything is fetched
   from it;
3. the HTTP signature — RFC 9421 or draft-cavage, covering a digest of the body — verifies with
   the key its id names, fetched from its actor (401, with the `reason`);
4. that key's owner is the activity's `actor`: nobody speaks for someone else (401).

Then what the activity asks is done: a `Follow` of one of our members or public communities,
an `Undo` of such a follow. The activity's id makes it idempotent: delivered twice (even at
once), it is written once. Other activities are accepted (202) and not acted on yet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

from server.commands import remote_follows
from server.domain.common import is_id
from server.domain.errors import DomainError
from server.federation.client import MAX_DEPTH, FetchFailed, depth
from server.federation.keys import INSTANCE
from server.federation.negotiation import ACTIVITY_JSON, AS_PROFILE, LD_JSON
from server.federation.signatures.common import SignatureRejected
from server.federation.signatures.schemes import verify_request
from server.federation.state import CLIENT, COMMANDS, OPTIONS, REMOTE_KEYS, STORE
from server.federation.urls import PREFIX, Urls
from server.problems import problem
from server.projections.domain_blocks import blocked
from server.projections.remote_followers import follow_target

routes = web.RouteTableDef()

MAX_BYTES = 256 * 1024
"""The largest activity accepted: Mastodon sends far smaller ones."""


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.response = problem(status, title, detail, **extensions)


@routes.post(PREFIX + "/inbox")
@routes.post(PREFIX + "/members/{id}/inbox")
@routes.post(PREFIX + "/communities/{id}/inbox")
async def inbox(request: web.Request) -> web.Response:
    try:
        activity = await _verified(request)
        await _act(request, activity)
    except Refused as refused:
        return refused.response
    return web.Response(status=202)


async def _verified(request: web.Request) -> dict[str, Any]:
    """The activity, once it is well-formed and signed by its actor."""
    if request.content_length is not None and request.content_length > MAX_BYTES:
        raise Refused(413, "Content Too Large", f"an activity is at most {MAX_BYTES} bytes")
    if not _activity_json(request.headers.get("Content-Type", "")):
        raise Refused(415, "Unsupported Media Type", f"send {ACTIVITY_JSON}")
    body = await _body(request)
    try:
        activity = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise _malformed("body", "not JSON") from None
    if not isinstance(activity, dict) or depth(activity) > MAX_DEPTH:
        raise _malformed("body", f"not an object, or nested deeper than {MAX_DEPTH}")
    for field in ("id", "type", "actor"):
        if not isinstance(activity.get(field), str):
            raise _malformed(field, "required, a string")
    host = urlsplit(activity["actor"]).netloc
    async with request.app[STORE].pool.acquire() as conn:
        block = await blocked(conn, host) if host else None
    if block is not None:
        raise Refused(403, "Forbidden", f"{host} is blocked here", reason="domain_blocked")
    options = request.app[OPTIONS]
    try:
        verified = await verify_request(
            request.method,
            options.base_url + request.path_qs,
            request.headers,
            body,
            keys=request.app[REMOTE_KEYS],
            now=datetime.now(UTC),
            require_digest=True,
        )
    except SignatureRejected as refused:
        raise Refused(401, "Unauthorized", refused.message, reason=str(refused.reason)) from None
    if verified.owner != activity["actor"]:
        raise Refused(
            401,
            "Unauthorized",
            f"signed with a key of {verified.owner}, not of the activity's actor",
            reason="key_not_actors",
        )
    return activity


def _activity_json(content_type: str) -> bool:
    kind, *params = (p.strip() for p in content_type.split(";"))
    if kind.lower() == ACTIVITY_JSON:
        return True
    profile = next((p.partition("=")[2].strip('"') for p in params if p.startswith("profile")), "")
    return kind.lower() == LD_JSON and AS_PROFILE in profile.split()


async def _body(request: web.Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            raise Refused(413, "Content Too Large", f"an activity is at most {MAX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _malformed(field: str, detail: str) -> Refused:
    return Refused(400, "Bad Request", detail, errors=[{"field": field, "detail": detail}])


async def _act(request: web.Request, activity: dict[str, Any]) -> None:
    if activity["type"] == "Follow":
        await _follow(request, activity)
    elif activity["type"] == "Undo" and isinstance(activity.get("object"), dict | str):
        await _undo(request, activity)


async def _follow(request: web.Request, follow: dict[str, Any]) -> None:
    urls = Urls(request.app[OPTIONS].base_url)
    target = _ours(urls, follow.get("object"))
    if target is None:
        raise Refused(404, "Not Found", "the Follow's object is no actor of this instance")
    inbox, shared_inbox = await _inboxes(request, follow["actor"])
    try:
        await remote_follows.receive_follow(
            request.app[COMMANDS],
            target_kind=target[0],
            target_id=target[1],
            follower=follow["actor"],
            inbox=inbox,
            shared_inbox=shared_inbox,
            follow_id=follow["id"],
        )
    except DomainError as refused:
        raise Refused(404, "Not Found", refused.detail) from None


async def _undo(request: web.Request, undo: dict[str, Any]) -> None:
    undone = undo["object"]
    follow_id = undone.get("id") if isinstance(undone, dict) else undone
    if isinstance(undone, dict) and undone.get("type") not in (None, "Follow"):
        return
    if not isinstance(follow_id, str):
        raise _malformed("object", "an Undo names what it undoes by its id")
    async with request.app[STORE].pool.acquire() as conn:
        target_id = await follow_target(conn, undo["actor"], follow_id)
    if target_id is None:
        return  # no such follow here: nothing to undo
    await remote_follows.receive_undo(
        request.app[COMMANDS],
        target_id=target_id,
        follower=undo["actor"],
        follow_id=follow_id,
    )


def _ours(urls: Urls, target: object) -> tuple[Literal["member", "community"], str] | None:
    """(kind, id) of the member or community actor `target` is the id of, if it is ours."""
    if not isinstance(target, str) or not target.startswith(urls.base + PREFIX + "/"):
        return None
    kind, _, entity = target.removeprefix(urls.base + PREFIX + "/").partition("/")
    if not is_id(entity):
        return None
    if kind == "members":
        return "member", entity
    if kind == "communities":
        return "community", entity
    return None


async def _inboxes(request: web.Request, actor: str) -> tuple[str, str | None]:
    """The follower's inbox and shared inbox, from its actor document (fetched signed, as the
    instance); both must be on the actor's host."""
    urls = Urls(request.app[OPTIONS].base_url)
    try:
        document = await request.app[CLIENT].get(
            actor, actor=INSTANCE, key_id=urls.instance.main_key
        )
    except FetchFailed as failed:
        raise Refused(400, "Bad Request", f"the follower could not be fetched: {failed}") from None
    host = urlsplit(actor).netloc
    inbox = document.get("inbox")
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    if document.get("id") != actor or not _on(host, inbox):
        raise Refused(400, "Bad Request", "the follower's document has no inbox of its own")
    return inbox, shared if _on(host, shared) else None  # type: ignore[return-value]


def _on(host: str, url: object) -> bool:
    return (
        isinstance(url, str)
        and urlsplit(url).scheme in ("http", "https")
        and (urlsplit(url).netloc == host)
    )
