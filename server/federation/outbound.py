"""What the translators of our own content share: the `Create`, `Update` and `Delete` of an
object by its author, sent to the author's remote followers, and — for an object in a
community — the community's `Announce` to the community's remote followers (FEP-1b12: a group
announces what its members do in it).

The Announce of a `Create` holds the object itself, which is how Mastodon shows a community's
posts to its followers (as a boost); the Announce of an `Update` or a `Delete` holds the
activity, as Lemmy and other group-aware servers expect.

Callers pass only what anyone may read — objects found by the read models' anonymous queries,
and for a deleted object a `Place` checked with `public` — so nothing of a members-only
community, no draft and nothing of a suspended member comes here. Activity ids are made from
the object's id and the event's, so the same event always makes the same activities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from server.events import RecordedEvent
from server.federation import objects
from server.federation.outgoing import Outgoing, Recipient
from server.federation.urls import Urls
from server.projections.visibility import author_active, community_visible


@dataclass(frozen=True, slots=True)
class Place:
    """Whose an object is and where: its author, and its community (None: the author's
    profile)."""

    author_id: str
    community_id: str | None


async def public(conn: asyncpg.Connection, place: Place) -> bool:
    """Whether anyone may read what is at `place` now: its community (if any) is public and
    its author active — the rule the read models' anonymous queries apply, for an object they
    no longer hold."""
    return bool(
        await conn.fetchval(
            f"SELECT {community_visible('$1::uuid', 'NULL::uuid')} AND {author_active('$2::uuid')}",
            place.community_id,
            place.author_id,
        )
    )


async def created(
    conn: asyncpg.Connection,
    urls: Urls,
    event: RecordedEvent,
    place: Place,
    document: dict[str, Any],
    also: Sequence[Recipient] = (),
) -> list[Outgoing]:
    """The author's `Create` of `document` (an object as server/federation/objects.py makes
    it), also to `also`, and the community's Announce of the object."""
    create = _activity(
        urls, place, f"{document['id']}#create", "Create", document, document["published"]
    )
    return await _spread(conn, urls, event, place, create, document, also)


async def updated(
    conn: asyncpg.Connection,
    urls: Urls,
    event: RecordedEvent,
    place: Place,
    document: dict[str, Any],
    also: Sequence[Recipient] = (),
) -> list[Outgoing]:
    """The author's `Update` of `document` as it now reads, also to `also`, and the
    community's Announce of that Update."""
    update = _activity(
        urls,
        place,
        f"{document['id']}#updates/{event.id}",
        "Update",
        document,
        objects.timestamp(event.recorded_at),
    )
    return await _spread(conn, urls, event, place, update, update, also)


async def deleted(
    conn: asyncpg.Connection,
    urls: Urls,
    event: RecordedEvent,
    place: Place,
    object_id: str,
    former_type: str,
    also: Sequence[Recipient] = (),
) -> list[Outgoing]:
    """The author's `Delete` of object `object_id` — its `Tombstone` — and the community's
    Announce of that Delete. The Delete is the author's even when a moderator removed the
    object: Mastodon takes a status's Delete from its author only."""
    tombstone = objects.tombstone(object_id, former_type)
    delete = _activity(
        urls,
        place,
        f"{object_id}#delete",
        "Delete",
        tombstone,
        objects.timestamp(event.recorded_at),
    )
    return await _spread(conn, urls, event, place, delete, delete, also)


def _activity(
    urls: Urls, place: Place, activity_id: str, kind: str, document: dict[str, Any], published: str
) -> dict[str, Any]:
    author = urls.member(place.author_id)
    return {
        "@context": objects.CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": author.id,
        "published": published,
        **objects.addressing(urls, author.followers, place.community_id),
        "object": _embedded(document),
    }


async def _spread(
    conn: asyncpg.Connection,
    urls: Urls,
    event: RecordedEvent,
    place: Place,
    activity: dict[str, Any],
    announced: dict[str, Any],
    also: Sequence[Recipient],
) -> list[Outgoing]:
    """`activity` to the author's remote followers and to `also`; in a community, the
    community's Announce of `announced` to the community's."""
    sent = []
    if recipients := [*await followers(conn, place.author_id), *also]:
        author = urls.member(place.author_id)
        sent.append(Outgoing(activity, place.author_id, author.main_key, recipients))
    if place.community_id is not None and (members := await followers(conn, place.community_id)):
        community = urls.community(place.community_id)
        announce = {
            "@context": objects.CONTEXT,
            "id": f"{community.id}#announces/{event.id}",
            "type": "Announce",
            "actor": community.id,
            "published": activity["published"],
            "to": activity["to"],
            "cc": [*activity["cc"], community.followers],
            "audience": community.id,
            "object": _embedded(announced),
        }
        sent.append(Outgoing(announce, place.community_id, community.main_key, members))
    return sent


def _embedded(document: dict[str, Any]) -> dict[str, Any]:
    """`document` inside an activity, whose `@context` covers it."""
    return {name: value for name, value in document.items() if name != "@context"}


async def followers(conn: asyncpg.Connection, target_id: str) -> list[Recipient]:
    """The remote actors whose follow of `target_id` stands, with their shared inboxes (what
    they get is public, so any actor of their server may read it)."""
    rows = await conn.fetch(
        "SELECT inbox, shared_inbox FROM remote_followers"
        " WHERE target_id = $1 AND status = 'accepted'",
        target_id,
    )
    return [Recipient(r[0], r[1]) for r in rows]
