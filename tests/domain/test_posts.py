"""The post decider, without a database: publishing, replies, edits, deletion, likes, removal."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import posts
from server.domain.common import Actor, CommunityAccess
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.posts import (
    PostDeleted,
    PostEdited,
    PostLiked,
    PostLikedRemotely,
    PostPublished,
    PostRemoved,
    PostUnliked,
    PostUnlikedRemotely,
)

ADA, BOB, CAROL, DAN, ADMIN = (
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-00000000000c",
    "00000000-0000-4000-8000-00000000000d",
    "00000000-0000-4000-8000-0000000000ad",
)
COMMUNITY = "00000000-0000-4000-8000-0000000000c1"
OTHER_COMMUNITY = "00000000-0000-4000-8000-0000000000c2"
POST, REPLY, NESTED = (
    "00000000-0000-4000-8000-000000000001",
    "00000000-0000-4000-8000-000000000002",
    "00000000-0000-4000-8000-000000000003",
)

ada, bob, carol = Actor(ADA), Actor(BOB), Actor(CAROL)
admin = Actor(ADMIN, admin=True)


def access(**facts: Any) -> CommunityAccess:
    """A member's access to COMMUNITY: by default a plain member of a public one."""
    return CommunityAccess(
        **{"community_id": COMMUNITY, "exists": True, "is_member": True, **facts}
    )


MEMBER = access()
OUTSIDER = access(is_member=False)
MODERATOR = access(is_moderator=True)
OWNER = access(is_moderator=True, is_owner=True)
PRIVATE_MEMBER = access(members_only=True)
PRIVATE_OUTSIDER = access(members_only=True, is_member=False)
BANNED = access(is_member=False, banned=True)
GONE = CommunityAccess(community_id=COMMUNITY, exists=False)


def run(state: posts.Post, command: posts.Command) -> tuple[list[Event], posts.Post]:
    """Decide, check every event can be stored, and fold the events in."""
    events = posts.decide(state, command)
    for event in events:
        REGISTRY.encode(event)  # constraints of the stored form hold
    for event in events:
        state = posts.evolve(state, event)
    return events, state


def fold(post_id: str, events: list[Event]) -> posts.Post:
    state = posts.initial(post_id)
    for event in events:
        state = posts.evolve(state, event)
    return state


def published(
    post_id: str = POST, author: str = ADA, community: str | None = None, **changes: Any
) -> posts.Post:
    event = PostPublished(
        author_id=author, body="Hello", thread_id=post_id, community_id=community, **changes
    )
    return fold(post_id, [event])


IN_COMMUNITY = published(community=COMMUNITY)


def refused(state: posts.Post, command: posts.Command, error: type, field: str | None) -> None:
    with pytest.raises(error) as caught:
        posts.decide(state, command)
    assert type(caught.value) is error
    assert caught.value.field == field


# -- publish --------------------------------------------------------------------------------


def test_a_post_on_the_profile_starts_its_own_thread() -> None:
    events, state = run(posts.initial(POST), posts.Publish(actor=ada, body="Hello *all*"))
    assert events == [
        PostPublished(author_id=ADA, body="Hello *all*", thread_id=POST, format="markdown")
    ]
    assert state.published and state.author_id == ADA and state.thread_id == POST
    assert state.community_id is None and state.in_reply_to is None and state.edits == 0


def test_a_member_posts_in_a_community_and_the_body_is_kept_as_written() -> None:
    body = "    indented code\n\ntrailing  \n"
    command = posts.Publish(actor=ada, body=body, format="plain", community=MEMBER)
    events, state = run(posts.initial(POST), command)
    assert events == [
        PostPublished(
            author_id=ADA, body=body, thread_id=POST, format="plain", community_id=COMMUNITY
        )
    ]
    assert state.body == body and state.community_id == COMMUNITY


@pytest.mark.parametrize(
    "community", [MEMBER, MODERATOR, OWNER, PRIVATE_MEMBER], ids=["member", "mod", "owner", "priv"]
)
def test_every_member_may_post(community: CommunityAccess) -> None:
    events = posts.decide(
        posts.initial(POST), posts.Publish(actor=ada, body="x", community=community)
    )
    assert len(events) == 1


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"body": ""}, Invalid, "body"),
        ({"body": " \n\t "}, Invalid, "body"),
        ({"body": "x" * 100_001}, Invalid, "body"),
        ({"body": "a\x00b"}, Invalid, "body"),
        ({"format": "html"}, Invalid, "format"),
        ({"format": "Markdown"}, Invalid, "format"),
        ({"community": GONE}, NotFound, "community_id"),
        ({"community": PRIVATE_OUTSIDER}, NotFound, "community_id"),
        ({"community": access(members_only=True, is_member=False, banned=True)}, NotFound,
         "community_id"),
        ({"community": OUTSIDER}, Forbidden, "community_id"),
        ({"community": BANNED}, Forbidden, "community_id"),
        ({"actor": admin, "community": PRIVATE_OUTSIDER}, Forbidden, "community_id"),
        ({"actor": admin, "community": OUTSIDER}, Forbidden, "community_id"),
    ],
)  # fmt: skip
def test_publishing_refusals(changes: dict, error: type, field: str | None) -> None:
    command = msgspec.structs.replace(posts.Publish(actor=ada, body="Hello"), **changes)
    refused(posts.initial(POST), command, error, field)


def test_publishing_under_a_used_id_is_a_conflict() -> None:
    refused(published(), posts.Publish(actor=bob, body="again"), Conflict, "post_id")
    command = posts.Reply(actor=bob, body="again", parent=published(REPLY))
    refused(published(), command, Conflict, "post_id")


# -- reply ----------------------------------------------------------------------------------


def test_a_reply_names_its_parent_and_joins_the_thread() -> None:
    parent = published()
    events, reply = run(posts.initial(REPLY), posts.Reply(actor=bob, body="Hi", parent=parent))
    assert events == [PostPublished(author_id=BOB, body="Hi", thread_id=POST, in_reply_to=POST)]
    events, nested = run(
        posts.initial(NESTED), posts.Reply(actor=ada, body="Hi", format="plain", parent=reply)
    )
    assert events == [
        PostPublished(author_id=ADA, body="Hi", format="plain", thread_id=POST, in_reply_to=REPLY)
    ]
    assert nested.thread_id == POST and nested.in_reply_to == REPLY


def test_a_reply_is_in_its_parents_community() -> None:
    command = posts.Reply(actor=bob, body="Hi", parent=IN_COMMUNITY, community=MEMBER)
    events, reply = run(posts.initial(REPLY), command)
    assert events == [
        PostPublished(
            author_id=BOB, body="Hi", thread_id=POST, in_reply_to=POST, community_id=COMMUNITY
        )
    ]
    assert reply.community_id == COMMUNITY


def test_anyone_may_reply_to_a_post_on_a_profile() -> None:
    events = posts.decide(
        posts.initial(REPLY), posts.Reply(actor=carol, body="x", parent=published())
    )
    assert events[0].in_reply_to == POST


GONE_PARENTS = {
    "none": None,
    "unpublished": posts.initial(POST),
    "deleted": fold(POST, [PostPublished(author_id=ADA, body="x", thread_id=POST), PostDeleted()]),
    "removed": fold(
        POST, [PostPublished(author_id=ADA, body="x", thread_id=POST), PostRemoved(by=ADMIN)]
    ),
}


@pytest.mark.parametrize(
    ("parent", "community", "error", "field"),
    [
        *[pytest.param(p, None, NotFound, "in_reply_to", id=k) for k, p in GONE_PARENTS.items()],
        (IN_COMMUNITY, GONE, NotFound, "in_reply_to"),
        (IN_COMMUNITY, PRIVATE_OUTSIDER, NotFound, "in_reply_to"),
        (IN_COMMUNITY, OUTSIDER, Forbidden, "in_reply_to"),
        (IN_COMMUNITY, BANNED, Forbidden, "in_reply_to"),
    ],
)
def test_reply_refusals(
    parent: posts.Post | None, community: CommunityAccess | None, error: type, field: str
) -> None:
    command = posts.Reply(actor=bob, body="Hi", parent=parent, community=community)
    refused(posts.initial(REPLY), command, error, field)


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [({"body": " "}, Invalid, "body"), ({"format": "rst"}, Invalid, "format")],
)
def test_a_reply_checks_its_body_like_a_post(changes: dict, error: type, field: str) -> None:
    command = msgspec.structs.replace(
        posts.Reply(actor=bob, body="x", parent=published()), **changes
    )
    refused(posts.initial(REPLY), command, error, field)


@pytest.mark.parametrize(
    "community", [None, access(community_id=OTHER_COMMUNITY)], ids=["missing", "other"]
)
def test_a_reply_without_the_parents_community_access_is_a_caller_bug(
    community: CommunityAccess | None,
) -> None:
    command = posts.Reply(actor=bob, body="x", parent=IN_COMMUNITY, community=community)
    with pytest.raises(ValueError, match=COMMUNITY):
        posts.decide(posts.initial(REPLY), command)


# -- edit -----------------------------------------------------------------------------------


def test_a_reply_to_a_remote_object_is_on_the_profile_in_a_thread_of_its_own() -> None:
    remote = "https://b.example/ap/posts/1"
    command = posts.ReplyRemote(actor=ada, body="Agreed", object_id=remote, object_stands=True)
    events, state = run(posts.initial(REPLY), command)
    assert events == [
        PostPublished(author_id=ADA, body="Agreed", thread_id=REPLY, in_reply_to_remote=remote)
    ]
    assert state.in_reply_to_remote == remote and state.community_id is None
    gone = msgspec.structs.replace(command, object_stands=False)
    refused(posts.initial(REPLY), gone, NotFound, "in_reply_to")


def test_a_post_in_a_group_elsewhere_takes_a_follow_that_stands() -> None:
    group = "https://b.example/ap/communities/c"
    command = posts.PublishInGroup(actor=ada, body="Hi all", group=group, follows_group=True)
    events, state = run(posts.initial(POST), command)
    assert events == [
        PostPublished(author_id=ADA, body="Hi all", thread_id=POST, group_remote=group)
    ]
    assert state.group_remote == group and state.community_id is None
    outsider = msgspec.structs.replace(command, follows_group=False)
    refused(posts.initial(POST), outsider, Forbidden, "group")


def test_the_author_edits_and_each_edit_is_counted() -> None:
    events, state = run(published(), posts.Edit(actor=ada, body="Hello, world"))
    assert events == [PostEdited(body="Hello, world", format="markdown")]
    assert state.body == "Hello, world" and state.edits == 1
    events, state = run(state, posts.Edit(actor=ada, body="Hello, world", format="plain"))
    assert events == [PostEdited(body="Hello, world", format="plain")]
    assert state.format == "plain" and state.edits == 2


@pytest.mark.parametrize(
    "command",
    [posts.Edit(actor=ada, body="Hello"), posts.Edit(actor=ada, body="Hello", format="markdown")],
)
def test_an_edit_that_changes_nothing_records_nothing(command: posts.Edit) -> None:
    assert posts.decide(published(), command) == []


DELETED = fold(POST, [PostPublished(author_id=ADA, body="x", thread_id=POST), PostDeleted()])
REMOVED = fold(
    POST,
    [
        PostPublished(author_id=ADA, body="x", thread_id=POST, community_id=COMMUNITY),
        PostRemoved(by=BOB, reason="spam"),
    ],
)


@pytest.mark.parametrize(
    ("state", "command", "error", "field"),
    [
        (posts.initial(POST), posts.Edit(actor=ada, body="x"), NotFound, None),
        (published(), posts.Edit(actor=bob, body="x"), Forbidden, None),
        (published(), posts.Edit(actor=admin, body="x"), Forbidden, None),
        (DELETED, posts.Edit(actor=ada, body="x"), Conflict, "status"),
        (REMOVED, posts.Edit(actor=ada, body="x"), Conflict, "status"),
        (published(), posts.Edit(actor=ada, body="  "), Invalid, "body"),
        (published(), posts.Edit(actor=ada, body="x" * 100_001), Invalid, "body"),
        (published(), posts.Edit(actor=ada, body="x", format="html"), Invalid, "format"),
    ],
)
def test_edit_refusals(state: posts.Post, command: posts.Edit, error: type, field: str) -> None:
    refused(state, command, error, field)


# -- delete ---------------------------------------------------------------------------------


def test_the_author_deletes_and_the_body_is_no_longer_held() -> None:
    events, state = run(published(), posts.Delete(actor=ada))
    assert events == [PostDeleted()]
    assert state.status == "deleted" and state.body == ""
    assert posts.decide(state, posts.Delete(actor=ada)) == []  # idempotent


def test_deleting_a_removed_post_records_nothing() -> None:
    assert posts.decide(REMOVED, posts.Delete(actor=ada)) == []


@pytest.mark.parametrize(
    ("state", "actor", "error"),
    [
        (posts.initial(POST), ada, NotFound),
        (published(), bob, Forbidden),
        (published(), admin, Forbidden),  # admins remove; only the author deletes
        (DELETED, bob, Forbidden),
    ],
)
def test_delete_refusals(state: posts.Post, actor: Actor, error: type) -> None:
    refused(state, posts.Delete(actor=actor), error, None)


# -- like / unlike --------------------------------------------------------------------------


def test_a_like_is_recorded_once_and_taken_back_once() -> None:
    events, state = run(published(), posts.Like(actor=bob))
    assert events == [PostLiked(member_id=BOB)] and state.likers == {BOB}
    assert posts.decide(state, posts.Like(actor=bob)) == []
    events, state = run(state, posts.Unlike(actor=bob))
    assert events == [PostUnliked(member_id=BOB)] and state.likers == frozenset()
    assert posts.decide(state, posts.Unlike(actor=bob)) == []


@pytest.mark.parametrize(
    ("actor", "community"),
    [
        (bob, MEMBER),
        (bob, OUTSIDER),  # a public community's posts are seen, so liked, by anyone
        (bob, MODERATOR),
        (bob, PRIVATE_MEMBER),
        (admin, PRIVATE_OUTSIDER),
    ],
)
def test_whoever_sees_a_post_in_a_community_may_like_it(
    actor: Actor, community: CommunityAccess
) -> None:
    events = posts.decide(IN_COMMUNITY, posts.Like(actor=actor, community=community))
    assert events == [PostLiked(member_id=actor.member_id)]


@pytest.mark.parametrize(
    ("state", "command", "error", "field"),
    [
        (posts.initial(POST), posts.Like(actor=bob), NotFound, None),
        (DELETED, posts.Like(actor=bob), NotFound, None),
        (REMOVED, posts.Like(actor=bob, community=MEMBER), NotFound, None),
        (published(), posts.Like(actor=ada), Invalid, "post_id"),
        (IN_COMMUNITY, posts.Like(actor=ada, community=MEMBER), Invalid, "post_id"),
        (IN_COMMUNITY, posts.Like(actor=bob, community=PRIVATE_OUTSIDER), NotFound, None),
        (IN_COMMUNITY, posts.Like(actor=bob, community=GONE), NotFound, None),
        (IN_COMMUNITY, posts.Like(actor=bob, community=BANNED), Forbidden, "post_id"),
        (posts.initial(POST), posts.Unlike(actor=bob), NotFound, None),
        (IN_COMMUNITY, posts.Unlike(actor=bob, community=PRIVATE_OUTSIDER), NotFound, None),
    ],
)
def test_like_refusals(state: posts.Post, command: Any, error: type, field: str | None) -> None:
    refused(state, command, error, field)


def test_a_like_can_be_taken_back_after_losing_sight_of_the_post() -> None:
    """Bob liked it as a member of a members-only community, then left it."""
    state = posts.evolve(IN_COMMUNITY, PostLiked(member_id=BOB))
    command = posts.Unlike(actor=bob, community=PRIVATE_OUTSIDER)
    assert posts.decide(state, command) == [PostUnliked(member_id=BOB)]


def test_liking_a_post_in_a_community_needs_the_access_to_it() -> None:
    with pytest.raises(ValueError, match=COMMUNITY):
        posts.decide(IN_COMMUNITY, posts.Like(actor=bob))


MEMBERS = [bob, carol, Actor(DAN)]


@given(st.lists(st.tuples(st.sampled_from(MEMBERS), st.booleans()), max_size=40))
def test_likers_are_the_members_whose_last_action_was_a_like(
    actions: list[tuple[Actor, bool]],
) -> None:
    state = published()
    last: dict[str, bool] = {}
    for actor, like in actions:
        command = posts.Like(actor=actor) if like else posts.Unlike(actor=actor)
        before = state.likers
        events, state = run(state, command)
        # an event is recorded exactly when something changed
        assert (len(events) == 1) == (before != state.likers)
        last[actor.member_id] = like
    assert state.likers == {member for member, liked in last.items() if liked}


# -- likes from other servers ------------------------------------------------------------

ALICE = "https://elsewhere.example/users/alice"
LIKE = f"{ALICE}#likes/1"
ANONYMOUS = access(is_member=False)
"""An anonymous reader's access to a public COMMUNITY."""


def test_a_remote_like_counts_once_per_actor_and_its_undo_takes_it_back() -> None:
    like = posts.LikeRemotely(actor_id=ALICE, like_id=LIKE)
    events, state = run(published(), like)
    assert events == [PostLikedRemotely(actor_id=ALICE, like_id=LIKE)]
    assert state.remote_like_of(ALICE) == LIKE
    assert run(state, like)[0] == []  # the same Like delivered again
    assert run(state, posts.LikeRemotely(actor_id=ALICE, like_id=f"{ALICE}#likes/2"))[0] == []
    assert run(state, posts.UnlikeRemotely(actor_id=ALICE, like_id=f"{ALICE}#likes/2"))[0] == []
    other = "https://elsewhere.example/users/bob"
    assert run(state, posts.UnlikeRemotely(actor_id=other, like_id=LIKE))[0] == []
    events, state = run(state, posts.UnlikeRemotely(actor_id=ALICE, like_id=LIKE))
    assert events == [PostUnlikedRemotely(actor_id=ALICE, like_id=LIKE)]
    assert state.remote_like_of(ALICE) is None
    assert run(state, posts.UnlikeRemotely(actor_id=ALICE, like_id=LIKE))[0] == []


def test_only_what_anyone_may_read_is_liked_from_elsewhere() -> None:
    in_public = posts.LikeRemotely(actor_id=ALICE, like_id=LIKE, community=ANONYMOUS)
    assert run(IN_COMMUNITY, in_public)[0] == [PostLikedRemotely(actor_id=ALICE, like_id=LIKE)]
    hidden = posts.LikeRemotely(
        actor_id=ALICE, like_id=LIKE, community=access(is_member=False, members_only=True)
    )
    refused(IN_COMMUNITY, hidden, NotFound, None)
    deleted = fold(POST, [*_published_events(), PostDeleted()])
    refused(deleted, posts.LikeRemotely(actor_id=ALICE, like_id=LIKE), NotFound, None)
    refused(posts.initial(POST), posts.LikeRemotely(actor_id=ALICE, like_id=LIKE), NotFound, None)


def _published_events() -> list[Event]:
    return [PostPublished(author_id=ADA, body="Hello", thread_id=POST)]


# -- remove ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "actor", "community"),
    [
        (IN_COMMUNITY, bob, MODERATOR),
        (IN_COMMUNITY, bob, OWNER),
        (IN_COMMUNITY, admin, OUTSIDER),
        (IN_COMMUNITY, admin, PRIVATE_OUTSIDER),
        (published(), admin, None),
    ],
)
def test_moderators_and_admins_remove_posts(
    state: posts.Post, actor: Actor, community: CommunityAccess | None
) -> None:
    command = posts.Remove(actor=actor, reason="  off topic ", community=community)
    events, state = run(state, command)
    assert events == [PostRemoved(by=actor.member_id, reason="off topic")]
    assert state.status == "removed" and state.body == ""
    assert posts.decide(state, command) == []  # idempotent


def test_removing_a_deleted_post_records_nothing() -> None:
    assert posts.decide(DELETED, posts.Remove(actor=admin, reason="spam")) == []


@pytest.mark.parametrize(
    ("state", "command", "error", "field"),
    [
        (posts.initial(POST), posts.Remove(actor=admin, reason="x"), NotFound, None),
        (IN_COMMUNITY, posts.Remove(actor=bob, reason="x", community=MEMBER), Forbidden, None),
        (IN_COMMUNITY, posts.Remove(actor=ada, reason="x", community=MEMBER), Forbidden, None),
        (IN_COMMUNITY, posts.Remove(actor=bob, reason="x", community=OUTSIDER), Forbidden, None),
        (
            IN_COMMUNITY,
            posts.Remove(actor=bob, reason="x", community=PRIVATE_OUTSIDER),
            NotFound,
            None,
        ),
        (published(), posts.Remove(actor=ada, reason="x"), Forbidden, None),
        (published(), posts.Remove(actor=bob, reason="x", community=MODERATOR), Forbidden, None),
        (IN_COMMUNITY, posts.Remove(actor=bob, reason=" ", community=MODERATOR), Invalid, "reason"),
        (published(), posts.Remove(actor=admin, reason="x" * 2_001), Invalid, "reason"),
        (published(), posts.Remove(actor=admin, reason="a\x00"), Invalid, "reason"),
    ],
)
def test_remove_refusals(state: posts.Post, command: Any, error: type, field: str | None) -> None:
    refused(state, command, error, field)


# -- state ----------------------------------------------------------------------------------


def test_unknown_events_leave_the_state_alone() -> None:
    from server.events.types.members import MemberFollowed

    assert posts.evolve(published(), MemberFollowed(member_id=BOB)) == published()


def test_the_stream_is_named_after_the_post() -> None:
    assert posts.stream(POST) == f"post-{POST}"
