"""Federation: the key pairs our actors sign with, and remote actors following ours.

Keys — stream `actorkeys-<actor>`, where the actor is a member's or a community's id, or
`instance` for the instance actor. The private keys are stored encrypted (AES-256-GCM) with a
key derived from the instance's secret key and bound to the actor (server/federation/keys.py):
the log holds nothing that signs for anyone without that key. These events are private: never
streamed to developers nor federated.

Domain blocks — stream `domainblock-<domain>`: what an admin keeps out.

Remote follows — stream `remotefollow-<key>` (server/domain/remote_follows.py), one per
follower and followed actor: a verified `Follow` from another server, and what became of it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id

Actor = Annotated[str, msgspec.Meta(pattern=r"^([0-9a-f-]{36}|instance)$")]
Sealed = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]+$", max_length=8_000)]
"""A nonce and an AES-GCM ciphertext, base64url without padding."""


class ActorKeysCreated(Event, frozen=True, tag="actor.keys_created"):
    """An actor's RSA key (HTTP signatures, `publicKey`) and Ed25519 key (object integrity
    proofs, `assertionMethod`), made when the actor is first presented to other servers."""

    actor: Actor
    rsa_public_pem: Annotated[str, msgspec.Meta(max_length=4_000)]
    rsa_private: Sealed
    """The RSA private key (PKCS#8 DER), sealed."""
    ed25519_public: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{43}$")]
    """The raw 32-byte public key, base64url without padding."""
    ed25519_private: Sealed
    """The raw 32-byte private key, sealed."""


ActivityId = Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$", max_length=2_000)]
"""An ActivityPub id: an http(s) URL."""


class RemoteFollowRequested(Event, frozen=True, tag="remote.follow_requested"):
    """A remote actor asked to follow one of ours (a member, or a public community)."""

    target_kind: Literal["member", "community"]
    target_id: Id
    follower: ActivityId
    """The remote actor's id."""
    inbox: ActivityId
    follow_id: ActivityId
    """The `Follow` activity's id: what an `Accept` or `Reject` names, and an `Undo` undoes."""
    shared_inbox: ActivityId | None = None


class RemoteFollowAccepted(Event, frozen=True, tag="remote.follow_accepted"):
    """The follow stands: the follower gets what the followed actor publishes. An `Accept` of
    `follow_id` goes to the follower."""

    follow_id: ActivityId


class RemoteFollowRejected(Event, frozen=True, tag="remote.follow_rejected"):
    """A moderator turned the pending follow down: a `Reject` of `follow_id` goes to the
    follower's inbox."""

    follow_id: ActivityId
    target_id: Id
    """The community followed."""
    follower: ActivityId
    inbox: ActivityId
    by: Id
    """The moderator (or instance admin) who decided."""


class RemoteFollowUndone(Event, frozen=True, tag="remote.follow_undone"):
    """The follower undid its follow (`Undo` of `follow_id`)."""

    follow_id: ActivityId


Domain = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9.-]{1,253}(:[0-9]{1,5})?$")]
"""A host name in lower case (IDNA for non-ASCII names), perhaps with a port."""


class DomainBlocked(Event, frozen=True, tag="domain.blocked"):
    """An admin blocked a remote domain and everything under it: nothing is taken from it and
    nothing is sent to it. Stream: `domainblock-<domain>`."""

    domain: Domain
    by: Id
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class DomainUnblocked(Event, frozen=True, tag="domain.unblocked"):
    by: Id


TYPES: list[type[Event]] = [
    ActorKeysCreated,
    DomainBlocked,
    DomainUnblocked,
    RemoteFollowRequested,
    RemoteFollowAccepted,
    RemoteFollowRejected,
    RemoteFollowUndone,
]
