"""Actors' key pairs: made once per actor even when two processes ask at once, kept sealed in
the log (no private key in the clear; another instance key cannot open them), never streamed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization

from server.api.event_filters import STREAMED
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.federation.keys import KeyVault

KEY = b"k" * 32


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:
    opened = await EventStore.open(database_url, REGISTRY)
    yield opened
    await opened.close()


def _public(vault_keys) -> bytes:  # type: ignore[no-untyped-def]
    return vault_keys.rsa.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def test_two_processes_asking_at_once_make_one_pair(store: EventStore) -> None:
    first, second = KeyVault(store, lambda: KEY), KeyVault(store, lambda: KEY)
    actor = "7f9b6a3e-2d1c-4b8a-9e0f-1a2b3c4d5e6f"
    made = await asyncio.gather(*(v.keys(actor) for v in [first, second] * 4))
    assert len({_public(k) for k in made}) == 1
    assert len(await store.read_stream(f"actorkeys-{actor}")) == 1
    reopened = await KeyVault(store, lambda: KEY).keys(actor)  # a restart: the same keys
    assert _public(reopened) == _public(made[0])
    signature = reopened.ed25519.sign(b"x")
    made[0].ed25519_public.verify(signature, b"x")


async def test_private_keys_are_sealed_to_the_instance_key_and_the_actor(
    store: EventStore,
) -> None:
    actor = "0d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
    keys = await KeyVault(store, lambda: KEY).keys(actor)
    [event] = await store.read_stream(f"actorkeys-{actor}")
    der = keys.rsa.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert der.hex() not in repr(event.data) and b"PRIVATE" not in repr(event.data).encode()
    with pytest.raises(InvalidTag):
        await KeyVault(store, lambda: b"another key, also 32 bytes long").keys(actor)
    # A sealed key copied to another actor's stream does not open there.
    other = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    forged = msgspec.structs.replace(event.data, actor=other)
    await store.append(f"actorkeys-{other}", [forged])
    with pytest.raises(InvalidTag):
        await KeyVault(store, lambda: KEY).keys(other)


def test_key_events_are_never_streamed() -> None:
    assert "actor.keys_created" not in STREAMED
