"""A translator for delivery tests: a published post whose body is one of `audiences` becomes a
Create of a Note by its author, for that audience's recipients. Like a real translator it only
reads the event, so the same events always make the same activities. Each activity made is
noted in `made` (shared by the translators of all a test's apps)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from server.events import RecordedEvent
from server.events.types.posts import PostPublished
from server.federation.actors import CONTEXT
from server.federation.outgoing import Outgoing, Recipient
from server.federation.urls import Urls


class Audience:
    types = ("post.published",)
    read_models = ()

    def __init__(
        self, base_url: str, audiences: dict[str, list[Recipient]], made: list[str]
    ) -> None:
        self.urls = Urls(base_url)
        self.audiences = audiences
        self.made = made

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        made = []
        for event in events:
            post = event.data
            assert isinstance(post, PostPublished)
            recipients = self.audiences.get(post.body)
            if recipients is None:
                continue
            actor = self.urls.member(post.author_id)
            note = f"{self.urls.base}/ap/posts/{event.stream_id.removeprefix('post-')}"
            activity = {
                "@context": CONTEXT,
                "id": f"{note}/create",
                "type": "Create",
                "actor": actor.id,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": {"id": note, "type": "Note", "attributedTo": actor.id,
                           "content": post.body},
            }  # fmt: skip
            made.append(Outgoing(activity, post.author_id, actor.main_key, recipients))
            self.made.append(activity["id"])
        return made
