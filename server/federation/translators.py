"""Every translator the outbox asks what the log's events make federation send (see
`Translator` in server/federation/outgoing.py): the one list to extend when an event comes to
have an activity."""

from __future__ import annotations

from server.federation.outgoing import Translator
from server.federation.urls import Urls


def all_translators(urls: Urls) -> list[Translator]:
    """The translators of an instance whose actors' ids start with `urls.base`."""
    return []
