"""Every translator the outbox asks what the log's events make federation send (see
`Translator` in server/federation/outgoing.py): the one list to extend when an event comes to
have an activity. Each module says what its events make:

- server/federation/outbound_follows.py: a remote follow that stands → `Accept`;
- server/federation/outbound_posts.py: posts → `Create`, `Update`, `Delete` of a `Note`,

from its author to the author's remote followers and, in a public community, announced by
the community to its own (server/federation/outbound.py). Only what anyone may read goes out.
"""

from __future__ import annotations

from server.federation.outbound_follows import AcceptFollows
from server.federation.outbound_posts import PostActivities
from server.federation.outgoing import Translator
from server.federation.urls import Urls


def all_translators(urls: Urls) -> list[Translator]:
    """The translators of an instance whose actors' ids start with `urls.base`."""
    return [AcceptFollows(urls), PostActivities(urls)]
