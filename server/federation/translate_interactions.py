"""Translators for what our members do to actors and objects on other servers: a `Follow`
(and its `Undo`) to the actor followed, a `Like` (and its `Undo`) to the author of the object
liked — and, for an object in a group, to the group, which passes it on (FEP-1b12); and a
moderator's `Reject` of a remote follow. Each goes to the actor's own inbox: it is meant for
that actor, not for its whole server."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.types.federation import RemoteFollowRejected
from server.events.types.remote import (
    FollowingRequested,
    FollowingUndone,
    RemoteObjectLiked,
    RemoteObjectUnliked,
)
from server.federation import objects
from server.federation.jsonld import ACTIVITYSTREAMS
from server.federation.outgoing import Outgoing, Recipient
from server.federation.urls import Urls
from server.projections.remote_actors import inboxes
from server.projections.runner import tags


class FollowRemoteActors:
    types = tags(FollowingRequested, FollowingUndone)
    read_models = ("remote_actors",)

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            requested: FollowingRequested | FollowingUndone = event.data  # type: ignore[assignment]
            recipient = await inboxes(conn, requested.actor_id)
            if recipient is None:
                continue
            member = self._urls.member(requested.member_id)
            follow = {
                "id": requested.follow_id,
                "type": "Follow",
                "actor": member.id,
                "object": requested.actor_id,
            }
            activity = (
                {"@context": ACTIVITYSTREAMS, **follow}
                if isinstance(event.data, FollowingRequested)
                else objects.undo(f"{requested.follow_id}#undo", member.id, follow)
            )
            sent.append(
                Outgoing(
                    activity, requested.member_id, member.main_key, [Recipient(recipient.inbox)]
                )
            )
        return sent


class RejectFollows:
    types = tags(RemoteFollowRejected)
    read_models = ()

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            data: RemoteFollowRejected = event.data  # type: ignore[assignment]
            community = self._urls.community(data.target_id)
            follow = {"id": data.follow_id, "type": "Follow", "actor": data.follower,
                      "object": community.id}  # fmt: skip
            activity = {
                "@context": ACTIVITYSTREAMS,
                "id": f"{community.id}#rejects/{event.id}",
                "type": "Reject",
                "actor": community.id,
                "object": follow,
            }
            recipients = [Recipient(data.inbox)]
            sent.append(Outgoing(activity, data.target_id, community.main_key, recipients))
        return sent


class LikeRemoteObjects:
    types = tags(RemoteObjectLiked, RemoteObjectUnliked)
    read_models = ("remote_objects", "remote_actors")

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            data: RemoteObjectLiked | RemoteObjectUnliked = event.data  # type: ignore[assignment]
            row = await conn.fetchrow(
                "SELECT object_id, author, audience FROM remote_objects WHERE object_key = $1",
                event.stream_id.removeprefix("remoteobject-"),
            )
            if row is None:
                continue
            object_id, author, audience = row
            recipients = []
            for actor_id in (author, audience):
                found = await inboxes(conn, actor_id) if actor_id else None
                if found is not None:
                    recipients.append(Recipient(found.inbox))
            if not recipients:
                continue
            member = self._urls.member(data.member_id)
            like = {"id": data.like_id, "type": "Like", "actor": member.id, "object": object_id}
            activity = (
                {"@context": ACTIVITYSTREAMS, **like}
                if isinstance(data, RemoteObjectLiked)
                else objects.undo(f"{data.like_id}#undo", member.id, like)
            )
            sent.append(Outgoing(activity, data.member_id, member.main_key, recipients))
        return sent
