"""`POST /ap/inbox` (the shared inbox) and each actor's inbox: what other servers send.

Checked in this order; each refusal is a problem (RFC 9457) and writes nothing:

1. size (at most `MAX_BYTES`: 413), media type (ActivityStreams JSON: 415), and a JSON object
   nested at most `MAX_DEPTH` deep with an `id`, a `type` and an `actor` (400);
2. the rate of activities from the actor's host (a token bucket per host, in this process:
   429 with `Retry-After`) — before anything costly is done for it;
3. the actor's domain is not blocked by an admin (403) — checked before anything is fetched
   from it;
4. the HTTP signature — RFC 9421 or draft-cavage, covering a digest of the body — verifies with
   the key its id names, fetched from its actor (401, with the `reason`);
5. the activity reads as JSON-LD (server/federation/jsonld.py: 400 naming `@context`), still
   with a string `type`, and the same `id` and `actor`, once read in our context (400) — so
   that the actor checked against blocks and the rate is the one the activity names;
6. that key's owner is the activity's `actor`: nobody speaks for someone else (401);
7. an integrity proof, if it carries one, verifies with a key of its actor's
   (server/federation/inbound_proofs.py: 401, `reason: bad_proof`).

What is handed on is the activity read in our context (`normalise`), whatever context its
sender wrote it in.

Then what the activity asks is done (server/federation/inbound.py). The activity's id makes
it idempotent: delivered twice (even at once), it is written once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

from server.federation import inbound
from server.federation.client import MAX_DEPTH, depth
from server.federation.inbound_proofs import check_proof
from server.federation.jsonld import ContextRejected, normalise
from server.federation.negotiation import ACTIVITY_JSON, AS_PROFILE, LD_JSON
from server.federation.refused import Refused, malformed
from server.federation.signatures.common import SignatureRejected
from server.federation.signatures.schemes import verify_request
from server.federation.state import INBOX_LIMITER, OPTIONS, REMOTE_KEYS, STORE
from server.federation.urls import PREFIX
from server.projections.domain_blocks import blocked

routes = web.RouteTableDef()

MAX_BYTES = 256 * 1024
"""The largest activity accepted: Mastodon sends far smaller ones."""


@routes.post(PREFIX + "/inbox")
@routes.post(PREFIX + "/members/{id}/inbox")
@routes.post(PREFIX + "/communities/{id}/inbox")
async def inbox(request: web.Request) -> web.Response:
    try:
        activity = await _verified(request)
        await inbound.act(request, activity)
    except Refused as refused:
        return refused.response
    return web.Response(status=202)


async def _verified(request: web.Request) -> dict[str, Any]:
    """The activity read in our context, once it is well-formed and signed by its actor."""
    if request.content_length is not None and request.content_length > MAX_BYTES:
        raise Refused(413, "Content Too Large", f"an activity is at most {MAX_BYTES} bytes")
    if not _activity_json(request.headers.get("Content-Type", "")):
        raise Refused(415, "Unsupported Media Type", f"send {ACTIVITY_JSON}")
    body = await _body(request)
    try:
        activity = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise malformed("body", "not JSON") from None
    if not isinstance(activity, dict) or depth(activity) > MAX_DEPTH:
        raise malformed("body", f"not an object, or nested deeper than {MAX_DEPTH}")
    _require_strings(activity)
    host = urlsplit(activity["actor"]).netloc.lower()
    verdict = request.app[INBOX_LIMITER].hit(host)
    if not verdict.allowed:
        raise Refused(
            429,
            "Too Many Requests",
            f"too many activities from {host}; try again in {verdict.retry_after} s",
            headers={"Retry-After": str(verdict.retry_after)},
        )
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
    try:
        normalised = normalise(activity)
    except ContextRejected as rejected:
        raise malformed("@context", f"not readable as JSON-LD: {rejected}") from None
    _require_strings(normalised)
    for field in ("id", "actor"):
        if normalised[field] != activity[field]:
            raise malformed(field, f"its @context makes {field} mean something else")
    if verified.owner != normalised["actor"]:
        raise Refused(
            401,
            "Unauthorized",
            f"signed with a key of {verified.owner}, not of the activity's actor",
            reason="key_not_actors",
        )
    await check_proof(request.app[REMOTE_KEYS], activity, normalised["actor"])
    return normalised


def _require_strings(activity: dict[str, Any]) -> None:
    for field in ("id", "type", "actor"):
        if not isinstance(activity.get(field), str):
            raise malformed(field, "required, a string")


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
