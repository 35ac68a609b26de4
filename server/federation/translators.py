"""Every translator the outbox asks what the log's events make federation send (see
`Translator` in server/federation/outgoing.py): the one list to extend when an event comes to
have an activity.

- A remote follow accepted → an `Accept` of the `Follow`, from the followed actor to the
  follower's own inbox.
- A post anyone may read published → a `Create` of its `Note` from its author to the author's
  remote followers; in a community, also an `Announce` of the `Note` by the community (FEP-1b12)
  to the community's remote followers, which is how Mastodon accounts following a community
  see its posts.

Activity ids are made from the event's id, so the same event always makes the same activity
(a page handled again enqueues nothing new).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from server.events import RecordedEvent
from server.events.types.federation import RemoteFollowAccepted
from server.events.types.posts import PostPublished
from server.federation import objects
from server.federation.outgoing import Outgoing, Recipient, Translator
from server.federation.translate_interactions import (
    FollowRemoteActors,
    LikeRemoteObjects,
    RejectFollows,
)
from server.federation.urls import Actor, Urls
from server.projections.posts import get_post
from server.projections.remote_actors import inboxes
from server.projections.runner import tags


def all_translators(urls: Urls) -> list[Translator]:
    """The translators of an instance whose actors' ids start with `urls.base`."""
    return [
        AcceptFollows(urls),
        PublishPosts(urls),
        FollowRemoteActors(urls),
        LikeRemoteObjects(urls),
        RejectFollows(urls),
    ]


AS = "https://www.w3.org/ns/activitystreams"


class AcceptFollows:
    types = tags(RemoteFollowAccepted)
    read_models = ("remote_followers",)

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            row = await conn.fetchrow(
                "SELECT target_kind, target_id::text, follower, inbox FROM remote_followers"
                " WHERE follow_key = $1",
                event.stream_id.removeprefix("remotefollow-"),
            )
            if row is None:
                continue  # undone since
            kind, target_id, follower, inbox = row
            urls = self._urls
            actor = urls.member(target_id) if kind == "member" else urls.community(target_id)
            follow = event.data.follow_id  # type: ignore[attr-defined]
            activity = {
                "@context": AS,
                "id": f"{actor.id}#accepts/{event.id}",
                "type": "Accept",
                "actor": actor.id,
                "object": {"id": follow, "type": "Follow", "actor": follower, "object": actor.id},
            }
            sent.append(Outgoing(activity, target_id, actor.main_key, [Recipient(inbox)]))
        return sent


class PublishPosts:
    types = tags(PostPublished)
    read_models = (
        "posts",
        "communities",
        "members",
        "remote_followers",
        "remote_objects",
        "remote_actors",
    )

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            post = await get_post(conn, event.stream_id.removeprefix("post-"), None)
            if post is None or post.status != "published":
                continue  # not for everyone to read (a members-only community), or gone
            note = objects.note(self._urls, post)
            author = self._urls.member(post.author.id)
            recipients = await _followers(conn, post.author.id)
            if post.in_reply_to_remote is not None:
                recipients += await _replied_to(conn, post.in_reply_to_remote, note)
            if recipients:
                create = _activity(author, f"{note['id']}#create", "Create", note)
                sent.append(Outgoing(create, post.author.id, author.main_key, recipients))
            if post.community_id is not None:
                community = self._urls.community(post.community_id)
                members = await _followers(conn, post.community_id)
                if members:
                    announce = _activity(
                        community, f"{community.id}#announces/{event.id}", "Announce", note
                    )
                    sent.append(Outgoing(announce, post.community_id, community.main_key, members))
        return sent


def _activity(actor: Actor, activity_id: str, kind: str, note: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": objects.CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor.id,
        "published": note["published"],
        "to": note["to"],
        "cc": [*note["cc"], actor.followers] if kind == "Announce" else note["cc"],
        "object": note,
    }


async def _replied_to(
    conn: asyncpg.Connection, object_id: str, note: dict[str, Any]
) -> list[Recipient]:
    """The author of the remote object a reply answers, and the group it is in (which passes
    the reply on to its followers, FEP-1b12): `note` is addressed to them too."""
    row = await conn.fetchrow(
        "SELECT author, audience FROM remote_objects WHERE object_id = $1", object_id
    )
    if row is None:
        return []
    author, audience = row
    note["cc"] = [*note["cc"], author]
    if audience is not None:
        note["to"] = [*note["to"], audience]
        note["audience"] = audience
    found = []
    for actor_id in (author, audience):
        known = await inboxes(conn, actor_id) if actor_id else None
        if known is not None:
            found.append(Recipient(known.inbox, known.shared_inbox))
    return found


async def _followers(conn: asyncpg.Connection, target_id: str) -> list[Recipient]:
    """The remote actors whose follow of `target_id` stands, with their shared inboxes (what
    they get is public, so any actor of their server may read it)."""
    rows = await conn.fetch(
        "SELECT inbox, shared_inbox FROM remote_followers"
        " WHERE target_id = $1 AND status = 'accepted'",
        target_id,
    )
    return [Recipient(r[0], r[1]) for r in rows]
