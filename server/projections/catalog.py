"""Every read model the server keeps, in one list (the app runs them; rebuild tools find them
here)."""

from __future__ import annotations

from server.projections.activities import ActivitiesProjection
from server.projections.artefacts import ArtefactsProjection
from server.projections.communities import CommunitiesProjection
from server.projections.domain_blocks import DomainBlocksProjection
from server.projections.endorsements import EndorsementsProjection
from server.projections.journey import JourneyProjection
from server.projections.members import MembersProjection
from server.projections.paths import PathsProjection
from server.projections.posts import PostsProjection
from server.projections.remote_actors import RemoteActorsProjection
from server.projections.remote_followers import RemoteFollowersProjection
from server.projections.remote_following import RemoteFollowingProjection
from server.projections.remote_objects import RemoteObjectsProjection
from server.projections.runner import Projection
from server.projections.search import SearchProjection
from server.projections.webhooks import WebhooksProjection


def all_projections() -> list[Projection]:
    return [
        MembersProjection(),
        CommunitiesProjection(),
        ArtefactsProjection(),
        PostsProjection(),
        PathsProjection(),
        EndorsementsProjection(),
        JourneyProjection(),
        SearchProjection(),
        ActivitiesProjection(),
        WebhooksProjection(),
        RemoteFollowersProjection(),
        RemoteActorsProjection(),
        RemoteFollowingProjection(),
        RemoteObjectsProjection(),
        DomainBlocksProjection(),
    ]
