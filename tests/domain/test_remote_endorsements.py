"""The deciders of endorsements across servers, without a database: a member's endorsement
of a remote person's skill, and a remote actor's `Endorse` of a member's skill."""

from __future__ import annotations

from typing import Any

import pytest

from server.domain import remote_endorsements as re_
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.endorsements import RemoteEndorsementReceived, RemoteEndorsementUndone
from server.events.types.remote import RemoteEndorsementGiven, RemoteEndorsementWithdrawn

ADA, BOB = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
ALICE = "https://elsewhere.example/users/alice"
ENDORSE_IDS = ("00000000-0000-4000-8000-0000000000e1", "00000000-0000-4000-8000-0000000000e2")


def run(state: Any, decide: Any, evolve: Any, command: Any) -> tuple[list[Event], Any]:
    events = decide(state, command)
    for event in events:
        REGISTRY.encode(event)  # constraints of the stored form hold
        state = evolve(state, event)
    return events, state


def give(state: re_.Given, command: Any) -> tuple[list[Event], re_.Given]:
    return run(state, re_.decide_given, re_.evolve_given, command)


def receive(state: re_.Received, command: Any) -> tuple[list[Event], re_.Received]:
    return run(state, re_.decide_received, re_.evolve_received, command)


def giving(n: int = 0, **changes: Any) -> re_.Give:
    facts = {"member_id": ADA, "actor_id": ALICE, "skill": "  SQL ", "endorse_id": ENDORSE_IDS[n],
             "actor_kind": "Person", "comment": " solid joins "}  # fmt: skip
    return re_.Give(**{**facts, **changes})


GIVEN = re_.initial_given(re_.given_key(ADA, ALICE, "sql"))


def test_a_member_endorses_a_remote_person_withdraws_and_endorses_anew() -> None:
    assert re_.given_key(ADA, ALICE, " SQL") == GIVEN.id  # every spelling: one stream
    events, state = give(GIVEN, giving())
    assert events == [
        RemoteEndorsementGiven(
            member_id=ADA, actor_id=ALICE, skill="sql", endorse_id=ENDORSE_IDS[0],
            comment="solid joins",
        )
    ]  # fmt: skip
    with pytest.raises(Conflict):
        give(state, giving(1))
    with pytest.raises(Forbidden):
        give(state, re_.Withdraw(member_id=BOB))
    events, state = give(state, re_.Withdraw(member_id=ADA))
    assert events == [RemoteEndorsementWithdrawn(member_id=ADA, actor_id=ALICE, skill="sql",
                                                 endorse_id=ENDORSE_IDS[0])]  # fmt: skip
    assert give(state, re_.Withdraw(member_id=ADA))[0] == []
    events, _ = give(state, giving(1))
    assert events[0].endorse_id == ENDORSE_IDS[1]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"actor_kind": None}, NotFound, "actor"),
        ({"actor_kind": "Group"}, Invalid, "actor"),
        ({"comment": "x" * 2_001}, Invalid, "comment"),
        ({"comment": "a\x00b"}, Invalid, "comment"),
    ],
)
def test_giving_refusals(changes: dict[str, Any], error: type, field: str) -> None:
    with pytest.raises(error) as caught:
        re_.decide_given(GIVEN, giving(**changes))
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_an_empty_or_long_skill_is_refused() -> None:
    for skill in ("   ", "x" * 51):
        state = re_.initial_given(re_.given_key(ADA, ALICE, skill))
        with pytest.raises(Invalid) as caught:
            re_.decide_given(state, giving(skill=skill))
        assert caught.value.field == "skill"


def test_withdrawing_what_was_never_given_is_not_found() -> None:
    with pytest.raises(NotFound):
        re_.decide_given(GIVEN, re_.Withdraw(member_id=ADA))


RECEIVED = re_.initial_received(re_.received_key(ALICE, ADA, "sql"))
ENDORSE = f"{ALICE}#endorse/1"


def receiving(**changes: Any) -> re_.Receive:
    facts = {"actor_id": ALICE, "member_id": ADA, "skill": "SQL", "endorse_id": ENDORSE,
             "comment": "  great\x00 work  ", "member_active": True}  # fmt: skip
    return re_.Receive(**{**facts, **changes})


def test_a_remote_endorsement_counts_once_and_an_undone_one_never_comes_back() -> None:
    events, state = receive(RECEIVED, receiving())
    assert events == [
        RemoteEndorsementReceived(
            actor_id=ALICE, member_id=ADA, skill="sql", endorse_id=ENDORSE, comment="great work"
        )
    ]
    assert receive(state, receiving())[0] == []  # delivered again
    assert receive(state, receiving(endorse_id=f"{ALICE}#endorse/2"))[0] == []  # one stands
    undo = re_.ReceiveUndo(actor_id=ALICE, member_id=ADA, skill="sql", endorse_id="other")
    assert receive(state, undo)[0] == []  # not the one that stands
    undo = re_.ReceiveUndo(actor_id=ALICE, member_id=ADA, skill="Sql", endorse_id=ENDORSE)
    events, state = receive(state, undo)
    assert events == [RemoteEndorsementUndone(actor_id=ALICE, member_id=ADA, skill="sql",
                                              endorse_id=ENDORSE)]  # fmt: skip
    assert receive(state, receiving())[0] == []  # a late copy of the undone Endorse
    assert len(receive(state, receiving(endorse_id=f"{ALICE}#endorse/3"))[0]) == 1


def test_a_remote_endorsement_needs_an_active_member_and_a_skill_and_cuts_the_comment() -> None:
    with pytest.raises(NotFound):
        re_.decide_received(RECEIVED, receiving(member_active=False))
    with pytest.raises(Invalid):
        re_.decide_received(RECEIVED, receiving(skill=" "))
    [event] = re_.decide_received(RECEIVED, receiving(comment="y" * 5_000))
    assert event.comment == "y" * 2_000  # type: ignore[attr-defined]
