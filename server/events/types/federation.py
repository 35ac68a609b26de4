"""Federation: the key pairs an actor signs with. Stream: `actorkeys-<actor>`, where the actor is
a member's or a community's id, or `instance` for the instance actor.

The private keys are stored encrypted (AES-256-GCM) with a key derived from the instance's
secret key and bound to the actor (server/federation/keys.py): the log holds nothing that signs
for anyone without that key. These events are private: never streamed to developers nor
federated.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.events.registry import Event

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


TYPES: list[type[Event]] = [ActorKeysCreated]
