"""Remote actors as we know them: fetched (signed, as the instance) from their own ids, read
into a `RemoteActorDescribed`, and written to the log when that says something new. Each
process keeps what it read for `ttl` seconds, so an actor sending many activities is fetched
about once an hour."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

import msgspec

from server.commands import remote
from server.commands.context import Commands
from server.domain.rendering import sanitise
from server.events.types.remote import RemoteActorDescribed
from server.federation.client import FetchFailed, SignedClient
from server.federation.keys import INSTANCE

KINDS = ("Person", "Group", "Organization", "Service", "Application")


class NotAnActor(Exception):
    """The document at an actor's id is not one we can follow or deliver to."""


class RemoteActors:
    def __init__(
        self,
        client: SignedClient,
        commands: Commands,
        instance_key_id: str,
        *,
        ttl: float = 3600.0,
        size: int = 10_000,
    ) -> None:
        self._client = client
        self._commands = commands
        self._instance_key_id = instance_key_id
        self._ttl = ttl
        self._size = size
        self._kept: OrderedDict[str, tuple[float, RemoteActorDescribed]] = OrderedDict()

    async def get(self, actor_id: str) -> RemoteActorDescribed:
        """`actor_id` described from its document; raises `NotAnActor` (with why) if it
        cannot be fetched or is not an actor of its own host."""
        kept = self._kept.get(actor_id)
        if kept is not None and time.monotonic() - kept[0] < self._ttl:
            return kept[1]
        try:
            document = await self._client.get(
                actor_id, actor=INSTANCE, key_id=self._instance_key_id
            )
        except FetchFailed as failed:
            raise NotAnActor(f"{actor_id} could not be fetched: {failed}") from None
        described = describe(actor_id, document)
        await remote.describe_actor(self._commands, described)
        self._kept[actor_id] = (time.monotonic(), described)
        self._kept.move_to_end(actor_id)
        if len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return described


def describe(actor_id: str, document: dict[str, Any]) -> RemoteActorDescribed:
    """What the actor document at `actor_id` says of it; its inboxes must be on its own host."""
    host = urlsplit(actor_id).netloc
    kind = document.get("type")
    if document.get("id") != actor_id:
        raise NotAnActor(f"the document at {actor_id} is not its own")
    if kind not in KINDS:
        raise NotAnActor(f"{actor_id} is no actor (its type is {kind!r})")
    inbox = document.get("inbox")
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    if not _on(host, inbox):
        raise NotAnActor(f"{actor_id} has no inbox of its own")
    username = document.get("preferredUsername")
    try:
        return RemoteActorDescribed(
            actor_id=actor_id,
            kind=kind,  # type: ignore[arg-type]
            username=username if isinstance(username, str) else "",
            host=host,
            inbox=inbox,  # type: ignore[arg-type]
            name=_text(document.get("name"), 200),
            summary=sanitise(_text(document.get("summary"), 20_000)),
            url=_link(document.get("url")),
            icon=_link(document.get("icon")),
            shared_inbox=shared if _on(host, shared) else None,
        )
    except msgspec.ValidationError as invalid:
        raise NotAnActor(f"{actor_id}'s document: {invalid}") from None


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _link(value: object) -> str | None:
    """An http(s) URL from a link, a `Link` or an `Image` (the first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href") or value.get("url")
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value if len(value) <= 2_000 else None
    return None


def _on(host: str, url: object) -> bool:
    return (
        isinstance(url, str)
        and urlsplit(url).scheme in ("http", "https")
        and urlsplit(url).netloc == host
    )
