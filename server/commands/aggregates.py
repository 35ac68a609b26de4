"""Every aggregate the commands load: its stream prefix and how its state folds."""

from __future__ import annotations

from server.commands.repository import Aggregate
from server.domain import (
    artefacts,
    communities,
    credentials,
    domain_blocks,
    endorsements,
    enrollments,
    following,
    members,
    paths,
    posts,
    remote_actors,
    remote_endorsements,
    remote_follows,
    remote_objects,
    webhooks,
)

MEMBERS = Aggregate("member", members.initial, members.evolve)
APPS = Aggregate("app", credentials.initial_app, credentials.evolve_app)
CODES = Aggregate("oauthcode", credentials.initial_code, credentials.evolve_code)
TOKENS = Aggregate("token", credentials.initial_token, credentials.evolve_token)
INVITES = Aggregate("invite", credentials.initial_invite, credentials.evolve_invite)
COMMUNITIES = Aggregate("community", communities.initial, communities.evolve)
POSTS = Aggregate("post", posts.initial, posts.evolve)
ARTEFACTS = Aggregate("artefact", artefacts.initial, artefacts.evolve)
PATHS = Aggregate("path", paths.initial, paths.evolve)
ENROLLMENTS = Aggregate("enrollment", enrollments.initial, enrollments.evolve)
ENDORSEMENTS = Aggregate("endorsement", endorsements.initial, endorsements.evolve)
WEBHOOKS = Aggregate("webhook", webhooks.initial, webhooks.evolve)
DOMAIN_BLOCKS = Aggregate("domainblock", domain_blocks.initial, domain_blocks.evolve)
REMOTE_FOLLOWS = Aggregate("remotefollow", remote_follows.initial, remote_follows.evolve)
REMOTE_ACTORS = Aggregate("remoteactor", remote_actors.initial, remote_actors.evolve)
FOLLOWING = Aggregate("following", following.initial, following.evolve)
REMOTE_OBJECTS = Aggregate("remoteobject", remote_objects.initial, remote_objects.evolve)
REMOTE_ENDORSEMENTS = Aggregate(
    "remoteendorsement", remote_endorsements.initial_given, remote_endorsements.evolve_given
)
RECEIVED_ENDORSEMENTS = Aggregate(
    "receivedendorsement", remote_endorsements.initial_received, remote_endorsements.evolve_received
)
