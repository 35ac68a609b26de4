"""What federation sends, as translators say it: an activity, the actor who signs it, and its
recipients — and the inboxes that makes, one per shared inbox.

Translators (server/federation/translators.py lists them) turn events of the log into
`Outgoing`s; the outbox (server/federation/outbox.py) asks them page by page and enqueues the
deliveries. A translator only reads: what it returns for the same events is the same, so a
page handled again after a crash enqueues nothing new (a delivery is unique per activity id
and inbox).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import asyncpg

from server.events import RecordedEvent


@dataclass(frozen=True, slots=True)
class Recipient:
    """An actor an activity is for: its own inbox, and the shared inbox its server publishes
    (`endpoints.sharedInbox`), if any. Give `shared_inbox` only for activities any of that
    server's actors may read (to followers, to the public); leave it None for one meant for
    this actor alone (a Follow, an Accept), which goes to its own inbox."""

    inbox: str
    shared_inbox: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An activity to deliver. `activity` is complete as it will be sent (`@context`, `id`,
    `actor`) but for its integrity proof, which the outbox adds when it enqueues it
    (server/federation/outbound_proofs.py); its JSON is fixed then and every retry sends the
    same bytes. `actor` is the signer's name in the key vault (a member's or community's id, or
    `INSTANCE`), `key_id` the id of its key that other servers fetch."""

    activity: dict[str, Any]
    actor: str
    key_id: str
    recipients: Sequence[Recipient]

    def __post_init__(self) -> None:
        if not isinstance(self.activity.get("id"), str) or not self.activity["id"]:
            raise ValueError("an outgoing activity needs its id")

    @property
    def id(self) -> str:
        return self.activity["id"]


class Translator(Protocol):
    """Says what the log's events make federation send."""

    @property
    def types(self) -> Collection[str]:
        """The event types it translates: the outbox reads only these, and gives each
        translator only events of its own types."""
        ...

    @property
    def read_models(self) -> Collection[str]:
        """Projections `translate` reads (a community's followers, say): the outbox waits until
        they show the events before asking."""
        ...

    async def translate(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> list[Outgoing]:
        """The activities `events` make, with their recipients; [] for none."""
        ...


def inboxes(recipients: Iterable[Recipient]) -> list[str]:
    """Where an activity goes: each recipient's shared inbox if it has one, else its own inbox —
    so that the followers on one server who share an inbox get one delivery there — each inbox
    once, in the order first named. What is not an http(s) URL with a host is left out."""
    found: dict[str, None] = {}
    for recipient in recipients:
        target = recipient.shared_inbox or recipient.inbox
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.hostname:
            found.setdefault(target)
    return list(found)


def host_of(inbox: str) -> str:
    """The server an inbox is on, as concurrency and unreachability are counted: the host with
    its port, if the URL names one (as the signed client remembers signature schemes)."""
    return urlsplit(inbox).netloc.rpartition("@")[2].lower()
