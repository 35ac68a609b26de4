"""Other servers' actors' public keys, for verifying what they sign: found by fetching the
actor a key id names (signed, as the instance actor), kept in memory for `ttl` seconds, and
fetched again when a signature does not verify with the kept one (the actor may have rotated
its key: server/federation/signatures/common.py asks once more with `refresh=True`).

A key counts only if the document fetched is the key's actor's own: its `id` is the URL
fetched, on the key's host, and the key's `owner` is that actor.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urldefrag, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from server.federation.client import FetchFailed, SignedClient
from server.federation.keys import INSTANCE
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

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKey | None:
        kept = self._kept.get(key_id)
        if kept is not None and not refresh and time.monotonic() - kept[0] < self._ttl:
            return kept[1]
        actor_url = urldefrag(key_id).url
        try:
            document = await self._client.get(
                actor_url, actor=INSTANCE, key_id=self._instance_key_id
            )
        except FetchFailed:
            return None
        found = _key(document, key_id, actor_url)
        if found is None:
            self._kept.pop(key_id, None)
            return None
        self._kept[key_id] = (time.monotonic(), found)
        self._kept.move_to_end(key_id)
        if len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return found


def _key(document: dict[str, Any], key_id: str, actor_url: str) -> PublicKey | None:
    """The key `key_id` as `document` (fetched from `actor_url`) publishes it, if it is the
    actor's own."""
    actor = document.get("id")
    if actor != actor_url or urlsplit(actor).netloc != urlsplit(key_id).netloc:
        return None
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
