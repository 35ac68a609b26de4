"""Every translator the outbox asks what the log's events make federation send (see
`Translator` in server/federation/outgoing.py): the one list to extend when an event comes to
have an activity. Each module says what its events make:

- server/federation/outbound_follows.py: a remote follow that stands → `Accept`;
- server/federation/outbound_posts.py: posts → `Create`, `Update`, `Delete` of a `Note`;
- server/federation/outbound_artefacts.py: artefacts → `Create`, `Update`, `Delete` of an
  `Article`;
- server/federation/outbound_paths.py: published learning paths → `Create`, `Update` of an
  `Article`;
- server/federation/outbound_contributions.py: a remote member's post in one of our
  communities → the community's `Announce` of it;
- server/federation/translate_interactions.py: our members' follows and likes of remote actors
  and objects → `Follow`, `Like` (and their `Undo`s); a moderator's refusal of a remote follow
  → `Reject`;
- server/federation/endorse.py: our members' endorsements of remote people → `Endorse` (and
  its `Undo`), to the endorsed actor;

each from its author to the author's remote followers and, in a public community, announced by
the community to its own (server/federation/outbound.py). Only what anyone may read goes out.
"""

from __future__ import annotations

from server.events.store import EventStore
from server.federation.endorse import SendEndorsements
from server.federation.outbound_artefacts import ArtefactActivities
from server.federation.outbound_contributions import AnnounceContributions
from server.federation.outbound_follows import AcceptFollows
from server.federation.outbound_paths import PathActivities
from server.federation.outbound_posts import PostActivities
from server.federation.outgoing import Translator
from server.federation.translate_interactions import (
    FollowRemoteActors,
    LikeRemoteObjects,
    RejectFollows,
)
from server.federation.urls import Urls


def all_translators(urls: Urls, store: EventStore) -> list[Translator]:
    """The translators of an instance whose actors' ids start with `urls.base`, reading the
    log through `store` where the read models no longer tell."""
    return [
        AcceptFollows(urls),
        PostActivities(urls),
        ArtefactActivities(urls, store),
        PathActivities(urls),
        AnnounceContributions(urls),
        FollowRemoteActors(urls),
        LikeRemoteObjects(urls),
        RejectFollows(urls),
        SendEndorsements(urls),
    ]
