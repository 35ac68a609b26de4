"""Other servers' actors' public keys, for verifying what they sign: found by fetching the
actor a key id names (signed, as the instance actor), kept in memory for `ttl` seconds, and
fetched again when a signature does not verify with the kept one (the actor may have rotated
its key: server/federation/signatures/common.py asks once more with `refresh=True`).

Two kinds: an actor's `publicKey` (PEM, HTTP signatures), and the Ed25519 Multikeys it lists
under `assertionMethod` (FEP-521a, integrity proofs). A key counts only if the document
fetched is the key's actor's own: its `id` is the URL fetched, on the key's host, and the
key's `owner` (a Multikey's `controller`) is that actor.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from server.federation.client import FetchFailed, SignedClient
from server.federation.keys import INSTANCE
from server.federation.multikey import from_public_key_multibase
from server.federation.signatures.common import PublicKey


class RemoteKeys:
    def __init__(
        self, client: SignedClient, instance_key_id: str, ttl: float = 3600, size: int = 10_000
    ) -> None:
        """`instance_key_id`: the instance actor's key id, which fetches are signed with."""
        self._client = client
        self._instance_key_id = instance_key_id
        self._ttl = ttl
        self._size = size
        self._kept: OrderedDict[str, tuple[float, PublicKey]] = OrderedDict()
        self._methods: OrderedDict[str, tuple[float, PublicKey]] = OrderedDict()

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKey | None:
        return await self._find(self._kept, key_id, refresh, _key)

    async def assertion_method(self, method_id: str, *, refresh: bool) -> PublicKey | None:
        """The Ed25519 key of the Multikey `method_id`, as its actor lists it under
        `assertionMethod`: what that actor's integrity proofs are signed with."""
        return await self._find(self._methods, method_id, refresh, _multikey)

    async def _find(
        self,
        kept: OrderedDict[str, tuple[float, PublicKey]],
        key_id: str,
        refresh: bool,
        read: Callable[[dict[str, Any], str, str], PublicKey | None],
    ) -> PublicKey | None:
        found = kept.get(key_id)
        if found is not None and not refresh and time.monotonic() - found[0] < self._ttl:
            return found[1]
        actor_url = urldefrag(key_id).url
        try:
            document = await self._client.get(
                actor_url, actor=INSTANCE, key_id=self._instance_key_id
            )
        except FetchFailed:
            return None
        key = read(document, key_id, actor_url) if _own(document, key_id, actor_url) else None
        if key is None:
            kept.pop(key_id, None)
            return None
        kept[key_id] = (time.monotonic(), key)
        kept.move_to_end(key_id)
        if len(kept) > self._size:
            kept.popitem(last=False)
        return key


def _own(document: dict[str, Any], key_id: str, actor_url: str) -> bool:
    """Whether `document`, fetched from `actor_url`, is that actor's, on the key's host."""
    actor = document.get("id")
    return actor == actor_url and urlsplit(actor).netloc == urlsplit(key_id).netloc


def _key(document: dict[str, Any], key_id: str, actor: str) -> PublicKey | None:
    """The key `key_id` as the actor's `document` publishes it under `publicKey`."""
    published = document.get("publicKey")
    entries = published if isinstance(published, list) else [published]
    for entry in entries:
        if (
            isinstance(entry, dict)
            and entry.get("id") == key_id
            and entry.get("owner") == actor
            and isinstance(pem := entry.get("publicKeyPem"), str)
        ):
            try:
                key = serialization.load_pem_public_key(pem.encode())
            except ValueError:
                return None
            if isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
                return PublicKey(key_id, actor, key)
    return None


def _multikey(document: dict[str, Any], method_id: str, actor: str) -> PublicKey | None:
    """The Multikey `method_id` as the actor's `document` lists it under `assertionMethod`."""
    listed = document.get("assertionMethod")
    entries = listed if isinstance(listed, list) else [listed]
    for entry in entries:
        if (
            isinstance(entry, dict)
            and entry.get("id") == method_id
            and entry.get("type") == "Multikey"
            and entry.get("controller") == actor
            and isinstance(encoded := entry.get("publicKeyMultibase"), str)
        ):
            try:
                return PublicKey(method_id, actor, from_public_key_multibase(encoded))
            except ValueError:
                return None
    return None
