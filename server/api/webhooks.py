"""Webhooks for developers (docs/streams.md): endpoints a token registers, to which the
instance POSTs the events the token's member may see, signed the Standard Webhooks way; and the
delivery log, with redelivery.

An endpoint belongs to the token that registered it (with the `stream` scope): another token,
even the same member's, is answered 404. The signing secret is shown once, when the endpoint
is registered and when it is rotated; it is derived again whenever a delivery is signed, never
stored. A URL must be http(s) and resolve only to addresses the server may reach
(server/outbound.py) — refused with 422 naming `url`, before anything is written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from server.api import webhook_queue
from server.api.event_filters import parse_types
from server.api.keys import OPTIONS
from server.api.routing import Api, Call, Written, field_problem, written
from server.api.webhook_queue import DeliveryDetail, DeliveryView
from server.api.webhook_sender import WEBHOOK_SENDER
from server.api.webhook_signing import endpoint_key, secret_text
from server.commands import webhooks
from server.domain.webhooks import MAX_DESCRIPTION, MAX_URL, Settings, check_url
from server.events.types.fields import Id
from server.outbound import Unreachable, check_host
from server.projections import webhooks as webhooks_read
from server.projections.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from server.projections.webhooks import EndpointView

api = Api()

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL)]
Types = Annotated[list[Annotated[str, msgspec.Meta(max_length=100)]], msgspec.Meta(max_length=100)]
Description = Annotated[str, msgspec.Meta(max_length=MAX_DESCRIPTION)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str, msgspec.Meta(max_length=500)]
_DELIVERY_ID = msgspec.Meta(pattern=r"^msg_[0-9a-f]{32}$")


class WebhookRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    """Where deliveries are POSTed: http(s), resolving to public addresses only."""
    types: Types = msgspec.field(default_factory=list)
    """Event types, areas as `post.*`, or `*`, as for event streams; empty: every type."""
    community: Id | None = None
    """Only events naming this community."""
    member: Id | None = None
    """Only events naming this member."""
    path: Id | None = None
    """Only events naming this learning path."""
    description: Description = ""


class NewWebhook(msgspec.Struct, kw_only=True):
    id: str
    url: str
    types: list[str]
    community: str | None
    member: str | None
    path: str | None
    description: str
    status: str
    """`enabled`."""
    secret: str
    """Shown once: the signing secret (`whsec_…`), for any Standard Webhooks library to verify
    deliveries with."""
    position: int


@api.route(
    "POST",
    "/api/v1/webhooks",
    tag="webhooks",
    body=WebhookRequest,
    response=NewWebhook,
    status=201,
    scope="stream",
    limit="write",
    errors=(403, 422),
)
async def register_webhook(call: Call) -> NewWebhook:
    """Register an endpoint for this token; the answer holds its signing secret, shown once.
    It gets the events after this one that match its filters and that you may see."""
    body: WebhookRequest = call.body
    types = _types(body.types)
    await _reachable(call, body.url)
    settings = Settings(
        url=body.url,
        types=tuple(types),
        community=body.community,
        member=body.member,
        path=body.path,
        description=body.description,
    )
    endpoint_id, salt, results = await webhooks.register(
        call.cx, call.actor, _token(call), settings
    )
    return NewWebhook(
        id=endpoint_id,
        url=body.url,
        types=list(dict.fromkeys(types)),
        community=body.community,
        member=body.member,
        path=body.path,
        description=body.description.strip(),
        status="enabled",
        secret=_secret(call, endpoint_id, salt),
        position=written(results).position or 0,
    )


class PageQuery(msgspec.Struct, kw_only=True):
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


@api.route(
    "GET",
    "/api/v1/webhooks",
    tag="webhooks",
    query=PageQuery,
    response=Page[EndpointView],
    scope="stream",
    errors=(400, 403),
)
async def list_webhooks(call: Call) -> Page[EndpointView]:
    """This token's endpoints, newest first (secrets are never shown again)."""
    async with call.db() as conn:
        return await webhooks_read.list_endpoints(
            conn, _token(call), call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/webhooks/{webhook_id}",
    tag="webhooks",
    response=EndpointView,
    scope="stream",
    errors=(403, 404),
)
async def get_webhook(call: Call) -> EndpointView:
    """One of this token's endpoints, with its status: enabled, or disabled and why."""
    return await _endpoint(call)


class WebhookChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present change; null clears a filter."""

    url: Url | msgspec.UnsetType = msgspec.UNSET
    types: Types | msgspec.UnsetType = msgspec.UNSET
    community: Id | msgspec.UnsetType | None = msgspec.UNSET
    member: Id | msgspec.UnsetType | None = msgspec.UNSET
    path: Id | msgspec.UnsetType | None = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    """`true` enables a disabled endpoint: it gets the events after this change, and its
    pending deliveries; `false` disables it."""


@api.route(
    "PATCH",
    "/api/v1/webhooks/{webhook_id}",
    tag="webhooks",
    body=WebhookChanges,
    response=Written,
    scope="stream",
    limit="write",
    errors=(403, 404, 422),
)
async def update_webhook(call: Call) -> Written:
    """Change an endpoint's URL, filters or description, or enable or disable it."""
    endpoint_id = call.id_param("webhook_id")
    body: WebhookChanges = call.body
    changes: dict[str, Any] = {
        name: getattr(body, name)
        for name in ("url", "community", "member", "path", "description")
        if getattr(body, name) is not msgspec.UNSET
    }
    if body.types is not msgspec.UNSET:
        changes["types"] = tuple(_types(body.types))
    if body.url is not msgspec.UNSET:
        await _reachable(call, body.url)
    enabled = None if body.enabled is msgspec.UNSET else body.enabled
    results = await webhooks.update(
        call.cx, call.actor, _token(call), endpoint_id, changes=changes, enabled=enabled
    )
    return written(results, endpoint_id)


@api.route(
    "DELETE",
    "/api/v1/webhooks/{webhook_id}",
    tag="webhooks",
    response=Written,
    scope="stream",
    limit="write",
    errors=(403, 404),
)
async def delete_webhook(call: Call) -> Written:
    """Delete an endpoint: nothing more is sent to it, pending deliveries included."""
    endpoint_id = call.id_param("webhook_id")
    results = await webhooks.delete(call.cx, call.actor, _token(call), endpoint_id)
    return written(results, endpoint_id)


class NewSecret(msgspec.Struct, kw_only=True):
    secret: str
    """Shown once: the new signing secret. For 24 hours deliveries carry a signature with the
    previous secret as well, so receivers can switch without missing any."""
    position: int


@api.route(
    "POST",
    "/api/v1/webhooks/{webhook_id}/secret",
    tag="webhooks",
    response=NewSecret,
    scope="stream",
    limit="write",
    errors=(403, 404),
)
async def rotate_webhook_secret(call: Call) -> NewSecret:
    """Replace an endpoint's signing secret; the answer holds the new one, shown once."""
    endpoint_id = call.id_param("webhook_id")
    salt, results = await webhooks.rotate_secret(call.cx, call.actor, _token(call), endpoint_id)
    return NewSecret(
        secret=_secret(call, endpoint_id, salt), position=written(results).position or 0
    )


class DeliveryQuery(PageQuery, kw_only=True):
    status: Literal["pending", "delivered", "failed"] | None = None
    """Only deliveries with this status."""


@api.route(
    "GET",
    "/api/v1/webhooks/{webhook_id}/deliveries",
    tag="webhooks",
    query=DeliveryQuery,
    response=Page[DeliveryView],
    scope="stream",
    errors=(400, 403, 404),
)
async def list_webhook_deliveries(call: Call) -> Page[DeliveryView]:
    """The endpoint's delivery log, newest event first: each delivery's status, attempts, next
    attempt and last answer."""
    endpoint = await _endpoint(call)
    query: DeliveryQuery = call.query
    async with call.db() as conn:
        return await webhook_queue.list_deliveries(
            conn, endpoint.id, query.status, query.cursor, query.limit
        )


@api.route(
    "GET",
    "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}",
    tag="webhooks",
    response=DeliveryDetail,
    scope="stream",
    errors=(403, 404),
)
async def get_webhook_delivery(call: Call) -> DeliveryDetail:
    """One delivery, with every attempt and what it was answered."""
    endpoint = await _endpoint(call)
    async with call.db() as conn:
        found = await webhook_queue.get_delivery(conn, endpoint.id, _delivery_id(call))
    if found is None:
        raise field_problem(404, "Not Found", "delivery_id", "no such delivery")
    return found


class Redelivery(msgspec.Struct, kw_only=True):
    id: str
    status: str
    """`pending`: it is sent again now, with a new retry window."""


@api.route(
    "POST",
    "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    tag="webhooks",
    response=Redelivery,
    status=202,
    scope="stream",
    limit="write",
    errors=(403, 404),
)
async def redeliver_webhook(call: Call) -> Redelivery:
    """Send a delivery again now, whatever its status (with the same `webhook-id`)."""
    endpoint = await _endpoint(call)
    delivery_id = _delivery_id(call)
    retry = call.request.app[OPTIONS].webhook_retry_seconds
    async with call.db() as conn:
        found = await webhook_queue.redeliver(conn, endpoint.id, delivery_id, retry)
    if not found:
        raise field_problem(404, "Not Found", "delivery_id", "no such delivery")
    call.request.app[WEBHOOK_SENDER].wake()
    return Redelivery(id=delivery_id, status="pending")


def _token(call: Call) -> str:
    assert call.credential is not None  # every route here needs a token
    return call.credential.token_id


async def _endpoint(call: Call) -> EndpointView:
    endpoint_id = call.id_param("webhook_id")
    async with call.db() as conn:
        found = await webhooks_read.get_endpoint(conn, _token(call), endpoint_id)
    if found is None:
        raise field_problem(404, "Not Found", "webhook_id", "no such webhook")
    return found


def _delivery_id(call: Call) -> str:
    value = call.param("delivery_id")
    try:
        return msgspec.convert(value, Annotated[str, _DELIVERY_ID])
    except msgspec.ValidationError:
        raise field_problem(404, "Not Found", "delivery_id", "no such delivery") from None


def _types(patterns: list[str]) -> list[str]:
    """The patterns, stripped, each checked as an event stream checks them (422 naming
    `types`)."""
    cleaned = [p.strip() for p in patterns]
    for pattern in cleaned:
        if not pattern:
            raise field_problem(422, "Unprocessable Content", "types", "an empty event type")
        parse_types(pattern, "types", status=422)
    return cleaned


async def _reachable(call: Call, url: str) -> None:
    """422 naming `url` unless deliveries may go there (its form, then where it resolves)."""
    check_url(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allow = call.request.app[OPTIONS].webhook_allow_private_addresses
    try:
        await check_host(parts.hostname or "", port, allow)
    except Unreachable as exc:
        raise field_problem(422, "Unprocessable Content", "url", str(exc)) from None


def _secret(call: Call, endpoint_id: str, salt: str) -> str:
    key = call.request.app[OPTIONS].secret_key()
    return secret_text(endpoint_key(key, endpoint_id, salt))
