"""Community commands: creation with its slug, membership, roles, moderation, the library; and
`access_for`, which the commands of other aggregates use to learn what a member may do in a
community (from the log, never from a read model)."""

from __future__ import annotations

from server.commands.aggregates import COMMUNITIES, MEMBERS
from server.commands.context import Commands, new_id
from server.domain import communities
from server.domain.common import Actor, CommunityAccess, is_id
from server.domain.errors import NotFound
from server.events import NO_STREAM, AppendResult, StreamAppend
from server.events.types.communities import SlugClaimed


async def create(
    cx: Commands,
    actor: Actor,
    *,
    slug: str,
    name: str,
    description: str = "",
    skills: list[str] | None = None,
    visibility: str = "public",
    join_policy: str = "open",
) -> tuple[str, list[AppendResult]]:
    """A new community owned by `actor`. The slug's own stream makes a racing creation with the
    same slug fail as a whole."""
    community_id = new_id()
    normalised = communities.normalise_slug(slug)

    async def decide() -> list[StreamAppend]:
        loaded = cx.repo.new(COMMUNITIES, community_id)
        events = communities.decide(
            loaded.state,
            communities.Create(
                actor=actor,
                community_id=community_id,
                slug=slug,
                name=name,
                slug_taken=await cx.repo.exists(communities.slug_stream(normalised)),
                description=description,
                skills=skills or [],
                visibility=visibility,
                join_policy=join_policy,
            ),
        )
        return [
            StreamAppend(COMMUNITIES.stream(community_id), events, loaded.expected),
            StreamAppend(
                communities.slug_stream(normalised),
                [SlugClaimed(community_id=community_id)],
                NO_STREAM,
            ),
        ]

    return community_id, await cx.run(decide, actor=actor.member_id)


async def community_id_for(cx: Commands, key: str) -> str | None:
    """The id of the community `key` names: its id, or its slug (any case)."""
    if is_id(key):
        return key
    slug = communities.normalise_slug(key)
    if not communities.SLUG.match(slug):
        return None
    claimed = await cx.store.read_stream(communities.slug_stream(slug), 1, limit=1)
    return claimed[0].data.community_id if claimed else None  # type: ignore[attr-defined]


async def act(
    cx: Commands, actor: Actor, community_id: str, command: communities.Command
) -> list[AppendResult]:
    """Decide `command` on the community's current state and append what it decides."""

    async def decide() -> list[StreamAppend]:
        loaded = await cx.repo.load(COMMUNITIES, community_id)
        events = communities.decide(loaded.state, command)
        return [StreamAppend(COMMUNITIES.stream(community_id), events, loaded.expected)]

    return await cx.run(decide, actor=actor.member_id)


async def act_on_member(
    cx: Commands, actor: Actor, community_id: str, command: communities.Command, member_id: str
) -> list[AppendResult]:
    """As `act`, for a command about another member, who must exist (invitations name only
    active members)."""
    member = await cx.repo.load(MEMBERS, member_id)
    if not member.state.active:
        raise NotFound("no such member", "member_id")
    return await act(cx, actor, community_id, command)


async def access_for(cx: Commands, community_id: str, member_id: str | None) -> CommunityAccess:
    """What `member_id` may do in the community, as other aggregates' deciders take it."""
    loaded = await cx.repo.load(COMMUNITIES, community_id)
    return communities.access(loaded.state, member_id)
