"""Actors' key pairs: an RSA key for HTTP signatures (`publicKey`) and an Ed25519 key for object
integrity proofs (`assertionMethod`, FEP-521a), one pair each per actor.

A pair is made the first time an actor is presented to other servers, and kept in the log
(`actor.keys_created`) with its private halves sealed: AES-256-GCM under a key derived (HKDF)
from the instance's secret key, with the actor as associated data — so a sealed key moved to
another actor does not open. Whoever reads the log or a backup without the instance key cannot
sign for anyone. Two processes making an actor's first pair at once: the log takes one (the
stream must not exist yet), and both use that one.

Opened pairs are kept in memory (they never change); a process holds at most `cache_size`.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.events import NO_STREAM, WrongExpectedVersion
from server.events.store import EventStore
from server.events.types.federation import ActorKeysCreated

INSTANCE = "instance"
"""The instance actor's name in `actorkeys-` streams."""
RSA_BITS = 2048
"""What Mastodon and most of the fediverse use and accept."""
_HKDF_INFO = b"learnwork-actor-keys-v1"
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class ActorKeys:
    rsa: rsa.RSAPrivateKey
    rsa_public_pem: str
    ed25519: ed25519.Ed25519PrivateKey

    @property
    def ed25519_public(self) -> ed25519.Ed25519PublicKey:
        return self.ed25519.public_key()


class KeyVault:
    def __init__(
        self, store: EventStore, instance_key: Callable[[], bytes], cache_size: int = 10_000
    ) -> None:
        """`instance_key` gives the instance's secret key (server/secret_key.py)."""
        self._store = store
        self._instance_key = instance_key
        self._cache_size = cache_size
        self._opened: OrderedDict[str, ActorKeys] = OrderedDict()
        self._making: dict[str, asyncio.Task[ActorKeys]] = {}

    async def keys(self, actor: str) -> ActorKeys:
        """`actor`'s key pairs (a member's or community's id, or INSTANCE), made if it has none."""
        if (found := self._opened.get(actor)) is not None:
            self._opened.move_to_end(actor)
            return found
        task = self._making.get(actor)
        if task is None:  # one lookup (and at most one new pair) per actor at a time
            task = self._making[actor] = asyncio.create_task(self._load_or_make(actor))
            task.add_done_callback(lambda _: self._making.pop(actor, None))
        keys = await asyncio.shield(task)
        self._opened[actor] = keys
        if len(self._opened) > self._cache_size:
            self._opened.popitem(last=False)
        return keys

    async def _load_or_make(self, actor: str) -> ActorKeys:
        stream = f"actorkeys-{actor}"
        if found := await self._store.read_stream(stream, limit=1):
            return self._open(found[0].data)  # type: ignore[arg-type]
        made = await asyncio.to_thread(self._make, actor)
        try:
            await self._store.append(stream, [made], expected_version=NO_STREAM)
        except WrongExpectedVersion:  # another process made a pair first: that one holds
            return self._open((await self._store.read_stream(stream, limit=1))[0].data)  # type: ignore[arg-type]
        return self._open(made)

    def _make(self, actor: str) -> ActorKeysCreated:
        signing = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        proving = ed25519.Ed25519PrivateKey.generate()
        rsa_der = signing.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        raw = serialization.Encoding.Raw
        return ActorKeysCreated(
            actor=actor,
            rsa_public_pem=_public_pem(signing.public_key()),
            rsa_private=self._seal(actor, rsa_der),
            ed25519_public=_b64(
                proving.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
            ),
            ed25519_private=self._seal(
                actor,
                proving.private_bytes(
                    raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
                ),
            ),
        )

    def _open(self, created: ActorKeysCreated) -> ActorKeys:
        signing = serialization.load_der_private_key(
            self._unseal(created.actor, created.rsa_private), password=None
        )
        assert isinstance(signing, rsa.RSAPrivateKey)
        proving = ed25519.Ed25519PrivateKey.from_private_bytes(
            self._unseal(created.actor, created.ed25519_private)
        )
        return ActorKeys(signing, created.rsa_public_pem, proving)

    def _cipher(self) -> AESGCM:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            self._instance_key()
        )
        return AESGCM(key)

    def _seal(self, actor: str, secret: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        return _b64(nonce + self._cipher().encrypt(nonce, secret, actor.encode()))

    def _unseal(self, actor: str, sealed: str) -> bytes:
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        return self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], actor.encode())


def _public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
