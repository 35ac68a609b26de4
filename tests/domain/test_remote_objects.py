"""Remote objects that concern us (server/domain/remote_objects.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.domain import remote_objects
from server.domain.errors import NotFound
from server.domain.remote_objects import Delete, Like, Receive, Unlike, Update
from server.events.types.remote import (
    RemoteContent,
    RemoteObjectDeleted,
    RemoteObjectLiked,
    RemoteObjectReceived,
    RemoteObjectShared,
    RemoteObjectUnliked,
    RemoteObjectUpdated,
)

OBJECT = "https://b.example/ap/posts/1"
AUTHOR = "https://b.example/ap/members/m"
GROUP = "https://b.example/ap/communities/c"
MEMBER = "11111111-1111-4111-8111-111111111111"
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _received(activity_id: str = f"{OBJECT}#create") -> RemoteObjectReceived:
    return RemoteObjectReceived(
        object_id=OBJECT,
        author=AUTHOR,
        activity_id=activity_id,
        content=RemoteContent(type="Note", content="<p>hello</p>"),
        published=NOW,
    )


def _run(*commands: remote_objects.Command) -> tuple[remote_objects.RemoteObject, list[list]]:
    state = remote_objects.initial(remote_objects.key(OBJECT))
    made = []
    for command in commands:
        events = remote_objects.decide(state, command)
        made.append(events)
        for event in events:
            state = remote_objects.evolve(state, event)
    return state, made


def test_an_object_arrives_once_and_each_share_is_recorded_once() -> None:
    announce = Receive(received=_received(f"{GROUP}#announce/1"), shared_by=GROUP)
    state, made = _run(Receive(received=_received()), announce, announce)
    assert made[0] == [_received()]
    assert made[1] == [RemoteObjectShared(by=GROUP, activity_id=f"{GROUP}#announce/1")]
    assert made[2] == []
    assert state.sharers == {GROUP}


def test_only_the_author_updates_it() -> None:
    changed = RemoteContent(type="Note", content="<p>hello again</p>")
    state, made = _run(
        Receive(received=_received()),
        Update(actor=GROUP, activity_id="https://b.example/u1", content=changed, updated=NOW),
        Update(actor=AUTHOR, activity_id="https://b.example/u2", content=changed, updated=NOW),
        Update(actor=AUTHOR, activity_id="https://b.example/u3", content=changed, updated=NOW),
    )
    assert made[1] == []
    assert made[2] == [
        RemoteObjectUpdated(activity_id="https://b.example/u2", content=changed, updated=NOW)
    ]
    assert made[3] == []  # the same content again
    assert state.content == changed


def test_a_tombstone_is_for_good() -> None:
    state, made = _run(
        Receive(received=_received()),
        Delete(actor="https://elsewhere.example/x", activity_id="https://elsewhere.example/d"),
        Delete(actor=AUTHOR, activity_id=f"{OBJECT}#delete"),
        Receive(received=_received("https://b.example/again")),
    )
    assert made[1] == []  # another server cannot delete it
    assert made[2] == [RemoteObjectDeleted(activity_id=f"{OBJECT}#delete")]
    assert made[3] == []
    assert state.status == "deleted" and state.content is None


def test_its_server_may_delete_it() -> None:
    _, made = _run(
        Receive(received=_received()), Delete(actor=GROUP, activity_id=f"{GROUP}#delete")
    )
    assert made[1] == [RemoteObjectDeleted(activity_id=f"{GROUP}#delete")]


def test_a_member_likes_it_once_and_unlikes_their_own_like() -> None:
    state, made = _run(
        Receive(received=_received()),
        Like(member_id=MEMBER, like_id="https://a.example/l1"),
        Like(member_id=MEMBER, like_id="https://a.example/l2"),
        Unlike(member_id=MEMBER),
        Unlike(member_id=MEMBER),
    )
    assert made[1:] == [
        [RemoteObjectLiked(member_id=MEMBER, like_id="https://a.example/l1")],
        [],
        [RemoteObjectUnliked(member_id=MEMBER, like_id="https://a.example/l1")],
        [],
    ]
    assert state.likes == ()


def test_nothing_unknown_is_liked() -> None:
    with pytest.raises(NotFound):
        _run(Like(member_id=MEMBER, like_id="https://a.example/l1"))
