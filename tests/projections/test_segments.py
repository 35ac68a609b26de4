"""Read models that write a batch a segment at a time (posts, members, artefacts, paths,
communities, search) end up exactly
as if each event had been applied on its own: the same history, applied with batches of 1,000
and of 1, gives the same tables. The history mixes what segments reorder (publications, likes,
follows, revisions) with what closes them (unlikes, deletions, unfollows), repeats and all."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from server.events.store import EventStore
from server.events.types import REGISTRY
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted, ArtefactRevised
from server.events.types.communities import (
    CommunityCreated,
    JoinRequested,
    MemberInvited,
    MemberJoined,
    MemberLeft,
)
from server.events.types.members import MemberFollowed, MemberRegistered, MemberUnfollowed
from server.events.types.paths import Enrolled, EnrollmentLeft, PathCompleted, StepCompleted
from server.events.types.posts import (
    PostDeleted,
    PostLiked,
    PostPublished,
    PostRemoved,
    PostUnliked,
)
from server.projections.artefacts import ArtefactsProjection
from server.projections.communities import CommunitiesProjection
from server.projections.members import MembersProjection
from server.projections.paths import PathsProjection
from server.projections.posts import PostsProjection
from server.projections.runner import ProjectionRunner
from server.projections.search import SearchProjection

TABLES = {
    "members": "SELECT id, followers_count, following_count FROM members ORDER BY id",
    "member_follows": "SELECT follower, followee, position FROM member_follows ORDER BY 1, 2",
    "posts": "SELECT id, status, html, likes_count, replies_count FROM posts ORDER BY id",
    "post_likes": "SELECT post_id, member_id, position FROM post_likes ORDER BY 1, 2",
    "artefacts": "SELECT id, revision, title, html, revised_at FROM artefacts ORDER BY id",
    "enrollments": "SELECT path_id, member_id, status, enrolled_at, left_at, path_completed_at,"
    " first_enrolled_at, last_active_at, position FROM enrollments ORDER BY 1, 2",
    "enrollment_steps": "SELECT path_id, member_id, step_id, completed_at FROM enrollment_steps"
    " ORDER BY 1, 2, 3",
    "communities": "SELECT id, members_count FROM communities ORDER BY id",
    "community_members": "SELECT community_id, member_id, role, position FROM community_members"
    " ORDER BY 1, 2",
    "community_invitations": "SELECT community_id, member_id FROM community_invitations"
    " ORDER BY 1, 2",
    "community_requests": "SELECT community_id, member_id FROM community_requests ORDER BY 1, 2",
    "artefact_revisions": "SELECT artefact_id, revision, title, html, position"
    " FROM artefact_revisions ORDER BY 1, 2",
    "search_documents": "SELECT kind, id, community_id, author_id, title, keywords, body, listed,"
    " position, author_active, members_only, document FROM search_documents ORDER BY 1, 2",
    "search_communities": "SELECT id, members_only FROM search_communities ORDER BY id",
}


@pytest.fixture
async def real_store(database_url: str) -> AsyncIterator[EventStore]:
    store = await EventStore.open(database_url, REGISTRY, pool_size=4)
    yield store
    await store.close()


async def write_history(store: EventStore, rng: random.Random) -> None:
    members = [str(uuid.uuid4()) for _ in range(12)]
    for i, member in enumerate(members):
        await store.append(f"member-{member}", [MemberRegistered(handle=f"m{i}", display_name="M")])
    posts: list[str] = []
    artefacts: dict[str, int] = {}  # id → last revision
    paths = [str(uuid.uuid4()) for _ in range(3)]
    learners: Learners = {}
    communities = [str(uuid.uuid4()) for _ in range(3)]
    for i, community in enumerate(communities):
        visibility = "members_only" if i == 0 else "public"
        founded = CommunityCreated(slug=f"c{i}", name="C", by=members[i], visibility=visibility)
        await store.append(f"community-{community}", [founded])
    for _ in range(2000):
        member, other = rng.sample(members, 2)
        choice = rng.random()
        if choice < 0.3 or not posts:
            post = str(uuid.uuid4())
            parent = rng.choice(posts) if posts and rng.random() < 0.4 else None
            data = PostPublished(
                author_id=member,
                body=f"*post* {len(posts)}",
                thread_id=parent or post,
                in_reply_to=parent,
                community_id=None if parent else rng.choice([None, *communities]),
            )
            await store.append(f"post-{post}", [data])
            posts.append(post)
        elif choice < 0.6:
            await store.append(f"post-{rng.choice(posts)}", [PostLiked(member_id=member)])
        elif choice < 0.65:
            await store.append(f"post-{rng.choice(posts)}", [PostUnliked(member_id=member)])
        elif choice < 0.68 and len(posts) > 1:  # as the domain does: a tombstone is final
            gone = posts.pop(rng.randrange(len(posts)))
            await store.append(f"post-{gone}", [rng.choice([PostDeleted(), PostRemoved(by=other)])])
        elif choice < 0.73 or not artefacts:
            artefact = str(uuid.uuid4())
            created = ArtefactCreated(
                author_id=member, title="a", body="**v1**", community_id=rng.choice(communities)
            )
            await store.append(f"artefact-{artefact}", [created])
            artefacts[artefact] = 1
        elif choice < 0.8:
            artefact = rng.choice(list(artefacts))
            artefacts[artefact] += 1
            revision = artefacts[artefact]
            revised = ArtefactRevised(revision=revision, title=f"a{revision}", body=f"v{revision}")
            await store.append(f"artefact-{artefact}", [revised])
        elif choice < 0.81:
            artefact = rng.choice(list(artefacts))
            await store.append(f"artefact-{artefact}", [ArtefactDeleted()])
            del artefacts[artefact]
        elif choice < 0.88:
            await learn(store, rng, paths, member, learners)
        elif choice < 0.92:
            stream = f"community-{rng.choice(communities)}"
            change = rng.choice(
                [MemberJoined(member_id=member)] * 3
                + [MemberLeft(member_id=member), JoinRequested(member_id=member)]
                + [MemberInvited(member_id=member, by=other)]
            )
            await store.append(stream, [change])
        elif choice < 0.98:
            await store.append(f"member-{member}", [MemberFollowed(member_id=other)])
        else:
            await store.append(f"member-{member}", [MemberUnfollowed(member_id=other)])


STEPS = [str(uuid.uuid4()) for _ in range(4)]
Learners = dict[tuple[str, str], list[str]]
"""Per path and member enrolled, the steps done (kept when they leave, as the domain does)."""


async def learn(
    store: EventStore, rng: random.Random, paths: list[str], member: str, learners: Learners
) -> None:
    """One step of a learner's way through a path: enroll, complete the next step, complete
    the path, leave, enroll again."""
    path = rng.choice(paths)
    stream = f"enrollment-{path}-{member}"
    ids = {"path_id": path, "member_id": member}
    done = learners.get((path, member))
    if done is None or done[-1:] == ["left"]:
        learners[(path, member)] = done = [s for s in done or [] if s != "left"]
        await store.append(stream, [Enrolled(**ids)])
    elif rng.random() < 0.1:
        done.append("left")
        await store.append(stream, [EnrollmentLeft(**ids)])
    elif len(done) < len(STEPS):
        step = STEPS[len(done)]
        done.append(step)
        events: list[Any] = [StepCompleted(**ids, step_id=step)]
        if len(done) == len(STEPS):
            events.append(PathCompleted(**ids))
        await store.append(stream, events)


async def tables(conn: asyncpg.Connection) -> dict[str, list[asyncpg.Record]]:
    return {name: await conn.fetch(query) for name, query in TABLES.items()}


async def test_segments_write_what_one_event_at_a_time_writes(
    real_store: EventStore, database_url: str, db: asyncpg.Connection
) -> None:
    await write_history(real_store, random.Random(3))
    projections = [
        MembersProjection(),
        PostsProjection(),
        ArtefactsProjection(),
        PathsProjection(),
        CommunitiesProjection(),
        SearchProjection(),
    ]

    await ProjectionRunner(real_store, database_url, projections, batch_size=1000).catch_up()
    batched = await tables(db)
    await db.execute(f"TRUNCATE {', '.join(TABLES)}")
    await db.execute("DELETE FROM projection_checkpoints")
    await ProjectionRunner(real_store, database_url, projections, batch_size=1).catch_up()
    one_by_one = await tables(db)

    assert batched == one_by_one
    counts = await db.fetchrow(
        "SELECT (SELECT sum(likes_count) FROM posts), (SELECT count(*) FROM post_likes),"
        " (SELECT sum(followers_count) FROM members), (SELECT count(*) FROM member_follows)"
    )
    assert counts[0] == counts[1] > 100 and counts[2] == counts[3] > 20
    assert len(batched["artefact_revisions"]) > len(batched["artefacts"]) > 20
    assert len(batched["enrollment_steps"]) > 20
    assert any(e["path_completed_at"] for e in batched["enrollments"])
    assert any(e["left_at"] for e in batched["enrollments"])
    assert len(batched["community_members"]) > 10
    members_only = [d for d in batched["search_documents"] if d["members_only"]]
    assert len(batched["search_documents"]) > len(members_only) > 20
    assert not await db.fetch(
        "SELECT c.id FROM communities c WHERE c.members_count <>"
        " (SELECT count(*) FROM community_members m WHERE m.community_id = c.id)"
    )
