"""A remote actor as we know it: how its document last described it. Stream
`remoteactor-<key>`, `key(actor_id)`.

Pure: the federation layer reads the actor's document (verified: fetched from the actor's own
id) into a `RemoteActorDescribed`; `decide` writes it when it says something new, so looking
at an actor again changes nothing until the actor changes.
"""

from __future__ import annotations

import hashlib

import msgspec

from server.events import Event
from server.events.types.remote import RemoteActorDescribed


class RemoteActor(msgspec.Struct, frozen=True):
    id: str
    described: RemoteActorDescribed | None = None


def key(actor_id: str) -> str:
    return hashlib.sha256(actor_id.encode()).hexdigest()[:32]


def initial(actor_key: str) -> RemoteActor:
    return RemoteActor(id=actor_key)


def evolve(state: RemoteActor, event: Event) -> RemoteActor:
    if isinstance(event, RemoteActorDescribed):
        return msgspec.structs.replace(state, described=event)
    return state


class Describe(msgspec.Struct, frozen=True, kw_only=True):
    description: RemoteActorDescribed


def decide(state: RemoteActor, command: Describe) -> list[Event]:
    if command.description == state.described:
        return []
    return [command.description]
