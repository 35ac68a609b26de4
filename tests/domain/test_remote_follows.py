"""Remote follows, decided without a database."""

from __future__ import annotations

from functools import reduce

import pytest

from server.domain import remote_follows as rf
from server.domain.errors import Forbidden, NotFound
from server.events import Event
from server.events.types.federation import (
    RemoteFollowAccepted,
    RemoteFollowRejected,
    RemoteFollowRequested,
    RemoteFollowUndone,
)

TARGET = "5c7e2a1b-9d3f-4e8a-b6c4-1f2e3d4c5b6a"
ALICE = "https://social.example/users/alice"


def follow(follow_id: str = ALICE + "#follow/1", **facts: object) -> rf.ReceiveFollow:
    base: dict[str, object] = dict(
        target_kind="member", target_id=TARGET, follower=ALICE, inbox=ALICE + "/inbox",
        shared_inbox="https://social.example/inbox", follow_id=follow_id, target_exists=True,
    )  # fmt: skip
    return rf.ReceiveFollow(**{**base, **facts})  # type: ignore[arg-type]


def after(*events: Event) -> rf.RemoteFollow:
    return reduce(rf.evolve, events, rf.initial(rf.key(TARGET, ALICE)))


def run(state: rf.RemoteFollow, command: rf.Command) -> tuple[rf.RemoteFollow, list[Event]]:
    events = rf.decide(state, command)
    return reduce(rf.evolve, events, state), events


def test_a_member_accepts_at_once_and_the_same_follow_again_changes_nothing() -> None:
    state, events = run(after(), follow())
    assert [type(e) for e in events] == [RemoteFollowRequested, RemoteFollowAccepted]
    assert state.status == "accepted" and state.follow_id == ALICE + "#follow/1"
    assert rf.decide(state, follow()) == []


def test_a_new_follow_while_following_is_accepted_again() -> None:
    state, _ = run(after(), follow())
    state, events = run(state, follow(ALICE + "#follow/2"))
    assert events == [RemoteFollowAccepted(follow_id=ALICE + "#follow/2")]
    assert state.follow_id == ALICE + "#follow/2"


def test_a_community_that_approves_leaves_it_pending() -> None:
    state, events = run(after(), follow(target_kind="community", approves_by_hand=True))
    assert [type(e) for e in events] == [RemoteFollowRequested] and state.status == "pending"


def test_an_unknown_target_is_refused() -> None:
    with pytest.raises(NotFound) as refused:
        rf.decide(after(), follow(target_exists=False))
    assert refused.value.field == "object"


def test_only_the_follower_undoes_only_the_follow_that_stands() -> None:
    state, _ = run(after(), follow())
    assert rf.decide(state, rf.ReceiveUndo(follower="https://x.example/u/mallory",
                                           follow_id=state.follow_id)) == []  # fmt: skip
    assert rf.decide(state, rf.ReceiveUndo(follower=ALICE, follow_id=ALICE + "#old")) == []
    state, events = run(state, rf.ReceiveUndo(follower=ALICE, follow_id=state.follow_id))
    assert events == [RemoteFollowUndone(follow_id=ALICE + "#follow/1")]
    assert state.status == "undone"
    assert rf.decide(state, rf.ReceiveUndo(follower=ALICE, follow_id=state.follow_id)) == []
    # Following again after undoing starts anew.
    state, events = run(state, follow(ALICE + "#follow/3"))
    assert [type(e) for e in events] == [RemoteFollowRequested, RemoteFollowAccepted]


MODERATOR = "00000000-0000-4000-8000-00000000000d"


def test_a_moderator_approves_or_rejects_a_follow_that_waits_once() -> None:
    waiting, _ = run(after(), follow(target_kind="community", approves_by_hand=True))
    approve = rf.Answer(by=MODERATOR, moderates=True, approve=True)
    state, events = run(waiting, approve)
    assert events == [RemoteFollowAccepted(follow_id=ALICE + "#follow/1")]
    assert rf.decide(state, approve) == []  # answered already
    state, events = run(waiting, rf.Answer(by=MODERATOR, moderates=True, approve=False))
    assert events == [
        RemoteFollowRejected(
            follow_id=ALICE + "#follow/1",
            target_id=TARGET,
            follower=ALICE,
            inbox=ALICE + "/inbox",
            by=MODERATOR,
        )
    ]
    assert state.status == "rejected"


def test_only_moderators_answer_and_only_what_exists() -> None:
    waiting, _ = run(after(), follow(target_kind="community", approves_by_hand=True))
    with pytest.raises(Forbidden):
        rf.decide(waiting, rf.Answer(by=MODERATOR, moderates=False, approve=True))
    with pytest.raises(NotFound):
        rf.decide(after(), rf.Answer(by=MODERATOR, moderates=True, approve=True))
