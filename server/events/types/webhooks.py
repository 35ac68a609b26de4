"""Webhooks: a developer's endpoints, to which the instance POSTs the events their token may
see (docs/streams.md). Stream: `webhook-<endpoint_id>`.

These events are private: no event stream, webhook or other server ever carries them. The
signing secret is never in them, only a salt: the secret is derived from the instance's secret
key and the salt when it is shown or used (server/api/webhook_signing.py), so the log holds
nothing that signs a delivery.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id, ShortText, Url

TypePattern = Annotated[str, msgspec.Meta(pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$", max_length=100)]
"""An event type (`post.published`), an area (`post.*`) or `*`, as the endpoint was given it."""
TypePatterns = Annotated[list[TypePattern], msgspec.Meta(max_length=100)]
Salt = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
"""Random, public on its own: with the instance's secret key it makes the signing secret."""
Reason = Annotated[str, msgspec.Meta(max_length=500)]


class WebhookRegistered(Event, frozen=True, tag="webhook.registered"):
    """A token registered an endpoint. It gets the events after this one that match its filters
    and that the token's member may see."""

    endpoint_id: Id
    token_id: Id
    """The token that registered it: only it sees, changes or deletes the endpoint, and a
    revoked token's endpoints get nothing more."""
    member_id: Id
    """The token's member: deliveries carry what they may see."""
    url: Url
    secret_salt: Salt
    types: TypePatterns = msgspec.field(default_factory=list)
    """Patterns as given, not expanded, so `post.*` also covers post events added later; empty:
    every type."""
    community: Id | None = None
    """Only events naming this community."""
    member: Id | None = None
    """Only events naming this member."""
    path: Id | None = None
    """Only events naming this learning path."""
    description: ShortText = ""


class WebhookUpdated(Event, frozen=True, tag="webhook.updated"):
    """The endpoint's URL, filters and description as they now read (all of them, not a diff: a
    filter that was set and is now cleared reads as null)."""

    url: Url
    by: Id
    types: TypePatterns = msgspec.field(default_factory=list)
    community: Id | None = None
    member: Id | None = None
    path: Id | None = None
    description: ShortText = ""


class WebhookSecretRotated(Event, frozen=True, tag="webhook.secret_rotated"):
    """A new signing secret; deliveries carry a signature with the previous one as well for a
    day, so a receiver can switch without losing any."""

    secret_salt: Salt
    by: Id


class WebhookDisabled(Event, frozen=True, tag="webhook.disabled"):
    """Nothing is delivered to the endpoint until it is enabled again."""

    reason: Reason
    by: Id | None = None
    """The member who disabled it; None: the delivery worker, after failures (`reason` says
    which)."""


class WebhookEnabled(Event, frozen=True, tag="webhook.enabled"):
    """Deliveries resume: the events after this one, and those still pending."""

    by: Id


class WebhookDeleted(Event, frozen=True, tag="webhook.deleted"):
    by: Id


TYPES: list[type[Event]] = [
    WebhookRegistered,
    WebhookUpdated,
    WebhookSecretRotated,
    WebhookDisabled,
    WebhookEnabled,
    WebhookDeleted,
]
