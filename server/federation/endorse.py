"""Learnwork's `Endorse` activity: a member vouching for a remote person's skill.

    {"type": "Endorse", "id": "<member>#endorsements/<uuid>", "actor": "<member>",
     "object": "<endorsed actor>", "skill": "sql", "comment": "…",
     "summary": "Ada endorses alice@example.org for sql",
     "content": "<p>Ada (@ada@learn.example) endorses alice@example.org for <strong>sql</strong>…",
     "to": ["<endorsed actor>"], "cc": [Public]}

`Endorse`, `skill` and `comment` are our terms (`objects.CONTEXT`); `summary` and `content`
say the same in plain words, for servers that know only ActivityStreams. Withdrawing sends an
`Undo` of it. Both go to the endorsed actor's own inbox, signed by the member.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from server.domain import remote_actors
from server.events import RecordedEvent
from server.events.types.remote import RemoteEndorsementGiven, RemoteEndorsementWithdrawn
from server.federation import objects
from server.federation.outgoing import Outgoing, Recipient
from server.federation.urls import Urls
from server.projections.members import MemberView, get_member
from server.projections.remote_actors import RemoteActorView, get_remote_actor, inboxes
from server.projections.runner import tags


class SendEndorsements:
    """A member's endorsement of a remote actor given → `Endorse`; withdrawn → its `Undo`."""

    types = tags(RemoteEndorsementGiven, RemoteEndorsementWithdrawn)
    read_models = ("members", "remote_actors")

    def __init__(self, urls: Urls) -> None:
        self._urls = urls

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        sent = []
        for event in events:
            data: RemoteEndorsementGiven | RemoteEndorsementWithdrawn = event.data  # type: ignore[assignment]
            member = await get_member(conn, data.member_id)
            local = str(uuid.UUID(remote_actors.key(data.actor_id)))
            endorsed = await get_remote_actor(conn, local)
            to = await inboxes(conn, data.actor_id)
            if member is None or endorsed is None or to is None:
                continue  # the member was suspended since, or the actor is unknown here
            actor = self._urls.member(member.id)
            endorse = {
                "@context": objects.CONTEXT,
                "id": f"{actor.id}#endorsements/{data.endorse_id}",
                "type": "Endorse",
                "actor": actor.id,
                "object": data.actor_id,
                "skill": data.skill,
                "to": [data.actor_id],
                "cc": [objects.PUBLIC],
            }
            if isinstance(data, RemoteEndorsementGiven):
                activity = {**endorse, **_readable(self._urls, member, endorsed, data)}
            else:
                activity = objects.undo(f"{endorse['id']}/undo", actor.id, endorse, objects.CONTEXT)
            sent.append(Outgoing(activity, member.id, actor.main_key, [Recipient(to.inbox)]))
        return sent


def _readable(
    urls: Urls, member: MemberView, endorsed: RemoteActorView, given: RemoteEndorsementGiven
) -> dict[str, Any]:
    """The endorsement in plain words (`summary`) and as HTML (`content`), with the comment."""
    who = html.escape(f"{member.display_name} (@{member.handle}@{urls.host})")
    whom = html.escape(f"{endorsed.display_name} ({endorsed.name})")
    content = f"<p>{who} endorses {whom} for <strong>{html.escape(given.skill)}</strong>.</p>"
    said = {
        "summary": f"{member.display_name} endorses {endorsed.name} for {given.skill}",
        "content": content,
        "mediaType": "text/html",
    }
    if given.comment:
        said["comment"] = given.comment
        said["content"] += f"<blockquote><p>{html.escape(given.comment)}</p></blockquote>"
    return said
