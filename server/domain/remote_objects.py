"""A remote object that concerns us: a post, artefact or path from another server. Stream
`remoteobject-<key>`, `key(object_id)`.

Pure: the federation layer verifies where an activity comes from and reads its object into a
command; `decide` keeps the rules of what may change it. The activity's id makes each command
idempotent: the same `Create`, `Announce`, `Update` or `Delete` again changes nothing.

Rules:
- an object arrives once; a share (`Announce`) of it by each actor is recorded once;
- only its author updates it; its author or an actor of its own server (moderation there)
  deletes it; a deleted object is a tombstone for good: it is not brought back nor changed;
- a member of ours likes it at most once, and only while it stands; unliking what one did not
  like changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

import msgspec

from server.domain.errors import NotFound
from server.events import Event
from server.events.types.remote import (
    RemoteContent,
    RemoteObjectDeleted,
    RemoteObjectLiked,
    RemoteObjectReceived,
    RemoteObjectShared,
    RemoteObjectUnliked,
    RemoteObjectUpdated,
)

Status = Literal["none", "present", "deleted"]


class RemoteObject(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    object_id: str = ""
    author: str = ""
    content: RemoteContent | None = None
    sharers: frozenset[str] = frozenset()
    likes: tuple[tuple[str, str], ...] = ()
    """(member id, the `Like`'s id) of each member of ours who likes it."""

    def like_of(self, member_id: str) -> str | None:
        return next((like for member, like in self.likes if member == member_id), None)


def key(object_id: str) -> str:
    return hashlib.sha256(object_id.encode()).hexdigest()[:32]


def initial(object_key: str) -> RemoteObject:
    return RemoteObject(id=object_key)


class Receive(msgspec.Struct, frozen=True, kw_only=True):
    """The object, as a `Create` or an `Announce` brought it (`shared_by`: the announcer)."""

    received: RemoteObjectReceived
    shared_by: str | None = None


class Update(msgspec.Struct, frozen=True, kw_only=True):
    actor: str
    activity_id: str
    content: RemoteContent
    updated: datetime


class Delete(msgspec.Struct, frozen=True, kw_only=True):
    actor: str
    activity_id: str


class Like(msgspec.Struct, frozen=True, kw_only=True):
    member_id: str
    like_id: str
    """The id the new `Like` activity will have."""


class Unlike(msgspec.Struct, frozen=True, kw_only=True):
    member_id: str


Command = Receive | Update | Delete | Like | Unlike


def evolve(state: RemoteObject, event: Event) -> RemoteObject:
    replace = msgspec.structs.replace
    match event:
        case RemoteObjectReceived():
            return replace(
                state,
                status="present",
                object_id=event.object_id,
                author=event.author,
                content=event.content,
            )
        case RemoteObjectUpdated():
            return replace(state, content=event.content)
        case RemoteObjectDeleted():
            return replace(state, status="deleted", content=None)
        case RemoteObjectShared():
            return replace(state, sharers=state.sharers | {event.by})
        case RemoteObjectLiked():
            return replace(state, likes=(*state.likes, (event.member_id, event.like_id)))
        case RemoteObjectUnliked():
            likes = tuple(like for like in state.likes if like[0] != event.member_id)
            return replace(state, likes=likes)
    return state


def decide(state: RemoteObject, command: Command) -> list[Event]:
    match command:
        case Receive():
            return _receive(state, command)
        case Update():
            if state.status != "present" or command.actor != state.author:
                return []
            if command.content == state.content:
                return []
            return [
                RemoteObjectUpdated(
                    activity_id=command.activity_id,
                    content=command.content,
                    updated=command.updated,
                )
            ]
        case Delete():
            if state.status != "present":
                return []
            if command.actor != state.author and _host(command.actor) != _host(state.object_id):
                return []
            return [RemoteObjectDeleted(activity_id=command.activity_id)]
        case Like():
            if state.status != "present":
                raise NotFound("no such remote object")
            if state.like_of(command.member_id) is not None:
                return []
            return [RemoteObjectLiked(member_id=command.member_id, like_id=command.like_id)]
        case Unlike():
            like_id = state.like_of(command.member_id)
            if like_id is None:
                return []
            return [RemoteObjectUnliked(member_id=command.member_id, like_id=like_id)]


def _receive(state: RemoteObject, command: Receive) -> list[Event]:
    if state.status == "deleted":
        return []
    events: list[Event] = []
    if state.status == "none":
        events.append(command.received)
    by = command.shared_by
    if by is not None and by not in state.sharers:
        events.append(RemoteObjectShared(by=by, activity_id=command.received.activity_id))
    return events


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()
