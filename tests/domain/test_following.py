"""A member of ours following a remote actor (server/domain/following.py)."""

from __future__ import annotations

from server.domain import following
from server.domain.following import Follow, ReceiveAnswer, Unfollow
from server.events.types.remote import (
    FollowingAccepted,
    FollowingRejected,
    FollowingRequested,
    FollowingUndone,
)

MEMBER = "11111111-1111-4111-8111-111111111111"
ACTOR = "https://b.example/ap/communities/c"
FOLLOW = "https://a.example/ap/members/m#follows/1"


def _run(*commands: following.Command) -> tuple[following.Following, list[list[object]]]:
    state = following.initial(following.key(MEMBER, ACTOR))
    made = []
    for command in commands:
        events = following.decide(state, command)
        made.append(events)
        for event in events:
            state = following.evolve(state, event)
    return state, made


def _follow(follow_id: str = FOLLOW) -> Follow:
    return Follow(member_id=MEMBER, actor_id=ACTOR, follow_id=follow_id)


def test_a_follow_waits_for_the_actors_accept() -> None:
    state, made = _run(_follow(), ReceiveAnswer(actor_id=ACTOR, follow_id=FOLLOW, accepted=True))
    assert made == [
        [FollowingRequested(member_id=MEMBER, actor_id=ACTOR, follow_id=FOLLOW)],
        [FollowingAccepted(follow_id=FOLLOW)],
    ]
    assert state.status == "accepted"


def test_following_again_changes_nothing() -> None:
    _, made = _run(_follow(), _follow("https://a.example/other"))
    assert made[1] == []


def test_an_answer_counts_only_from_the_actor_for_its_own_follow() -> None:
    state, made = _run(
        _follow(),
        ReceiveAnswer(actor_id="https://evil.example/x", follow_id=FOLLOW, accepted=True),
        ReceiveAnswer(actor_id=ACTOR, follow_id="https://a.example/else", accepted=True),
    )
    assert made[1:] == [[], []]
    assert state.status == "pending"


def test_a_rejected_follow_may_be_asked_again() -> None:
    state, made = _run(
        _follow(),
        ReceiveAnswer(actor_id=ACTOR, follow_id=FOLLOW, accepted=False),
        _follow("https://a.example/again"),
    )
    assert made[1] == [FollowingRejected(follow_id=FOLLOW)]
    assert state.status == "pending" and state.follow_id == "https://a.example/again"


def test_unfollow_undoes_the_follow_that_stands() -> None:
    state, made = _run(_follow(), Unfollow(member_id=MEMBER), Unfollow(member_id=MEMBER))
    assert made[1:] == [[FollowingUndone(member_id=MEMBER, actor_id=ACTOR, follow_id=FOLLOW)], []]
    assert state.status == "undone"
