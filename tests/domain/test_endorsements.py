"""The endorsement decider, without a database: endorsing a member's skill or an artefact,
refusals, one active endorsement per key, withdrawal."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import endorsements
from server.domain.common import Actor
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.endorsements import EndorsementGiven, EndorsementWithdrawn

ADA, BOB, CAROL = (
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-00000000000c",
)
ARTEFACT = "00000000-0000-4000-8000-0000000000a1"

ada, bob, carol = Actor(ADA), Actor(BOB), Actor(CAROL)


def run(
    state: endorsements.Endorsement, command: endorsements.Command
) -> tuple[list[Event], endorsements.Endorsement]:
    """Decide, check every event can be stored, and fold the events in."""
    events = endorsements.decide(state, command)
    for event in events:
        REGISTRY.encode(event)
        state = endorsements.evolve(state, event)
    return events, state


def of_member(**changes: Any) -> endorsements.Endorse:
    """Ada endorses Bob's SQL."""
    command = endorsements.Endorse(
        actor=ada, kind="member", target_id=BOB, skill="SQL", target_exists=True
    )
    return msgspec.structs.replace(command, **changes)


def of_artefact(**changes: Any) -> endorsements.Endorse:
    """Ada endorses Bob's artefact as a whole."""
    command = endorsements.Endorse(
        actor=ada, kind="artefact", target_id=ARTEFACT, target_exists=True, target_author_id=BOB
    )
    return msgspec.structs.replace(command, **changes)


def state_for(command: endorsements.Endorse) -> endorsements.Endorsement:
    """The empty state of the stream `command` belongs to (as the service would load it)."""
    return endorsements.initial(
        endorsements.key(command.actor.member_id, command.kind, command.target_id, command.skill)
    )


def given_(command: endorsements.Endorse) -> tuple[list[Event], endorsements.Endorsement]:
    return run(state_for(command), command)


# -- the key --------------------------------------------------------------------------------


def test_the_key_hashes_endorser_kind_target_and_normalised_skill() -> None:
    expected = hashlib.sha256(f"{ADA}\nmember\n{BOB}\nincident review".encode()).hexdigest()
    assert endorsements.key(ADA, "member", BOB, "incident review") == expected[:32]
    assert endorsements.key(ADA, "member", BOB, "  Incident   Review ") == expected[:32]
    assert endorsements.stream(expected[:32]) == f"endorsement-{expected[:32]}"


@pytest.mark.parametrize(
    "other",
    [
        (BOB, "member", BOB, "sql"),
        (ADA, "artefact", BOB, "sql"),
        (ADA, "member", CAROL, "sql"),
        (ADA, "member", BOB, "go"),
        (ADA, "member", BOB, ""),
    ],
)
def test_the_key_tells_endorsements_apart(other: tuple[str, str, str, str]) -> None:
    assert endorsements.key(*other) != endorsements.key(ADA, "member", BOB, "sql")


# -- endorse --------------------------------------------------------------------------------


def test_endorsing_a_members_skill() -> None:
    events, state = given_(of_member(skill="  Incident  Review ", comment=" Led ours well \n"))
    assert events == [
        EndorsementGiven(
            endorser_id=ADA,
            kind="member",
            target_id=BOB,
            skill="incident review",
            comment="Led ours well",
        )
    ]
    assert state.active and state.endorser_id == ADA and state.skill == "incident review"


@pytest.mark.parametrize(
    ("skill", "stored"), [("", ""), ("  ", ""), ("Data Modelling", "data modelling")]
)
def test_endorsing_an_artefact_with_or_without_a_skill(skill: str, stored: str) -> None:
    events, state = given_(of_artefact(skill=skill))
    assert events == [
        EndorsementGiven(endorser_id=ADA, kind="artefact", target_id=ARTEFACT, skill=stored)
    ]
    assert state.kind == "artefact" and state.target_id == ARTEFACT


@pytest.mark.parametrize(
    ("command", "error", "field"),
    [
        (of_member(kind="skill"), Invalid, "kind"),
        (of_member(target_exists=False), NotFound, "member_id"),
        (of_member(target_id="bob"), NotFound, "member_id"),
        (of_member(actor=bob), Invalid, "member_id"),  # own skill
        (of_member(skill=""), Invalid, "skill"),
        (of_member(skill=" \t"), Invalid, "skill"),
        (of_member(skill="s" * 51), Invalid, "skill"),
        (of_member(skill="a\x00"), Invalid, "skill"),
        (of_member(comment="c" * 2_001), Invalid, "comment"),
        (of_member(comment="a\x00"), Invalid, "comment"),
        (of_artefact(target_exists=False), NotFound, "artefact_id"),
        (of_artefact(target_visible=False), NotFound, "artefact_id"),
        (of_artefact(target_author_id=ADA), Invalid, "artefact_id"),  # own artefact
        (of_artefact(skill="s" * 51), Invalid, "skill"),
    ],
)
def test_endorsing_is_refused(command: endorsements.Endorse, error: type, field: str) -> None:
    with pytest.raises(error) as refused:
        endorsements.decide(state_for(command), command)
    assert type(refused.value) is error and refused.value.field == field


def test_limits_are_inclusive() -> None:
    events, _ = given_(of_member(skill="s" * 50, comment="c" * 2_000))
    assert len(events) == 1


def test_a_command_for_another_stream_is_a_caller_bug() -> None:
    with pytest.raises(ValueError):
        endorsements.decide(state_for(of_member(skill="go")), of_member(skill="sql"))
    with pytest.raises(ValueError):
        endorsements.decide(state_for(of_member()), of_member(actor=carol))


def test_endorsing_again_while_active_is_a_conflict_and_after_withdrawing_is_fine() -> None:
    _, state = given_(of_member())
    with pytest.raises(Conflict) as refused:
        endorsements.decide(state, of_member(skill="sql", comment="Again"))
    assert refused.value.field == "skill"
    _, state = run(state, endorsements.Withdraw(actor=ada))
    events, state = run(state, of_member(comment="Still great"))
    assert events == [
        EndorsementGiven(
            endorser_id=ADA, kind="member", target_id=BOB, skill="sql", comment="Still great"
        )
    ]
    assert state.active and state.comment == "Still great"


# -- withdraw -------------------------------------------------------------------------------


def test_the_endorser_withdraws() -> None:
    _, state = given_(of_member())
    with pytest.raises(Forbidden):
        endorsements.decide(state, endorsements.Withdraw(actor=bob))
    events, state = run(state, endorsements.Withdraw(actor=ada))
    assert events == [
        EndorsementWithdrawn(endorser_id=ADA, kind="member", target_id=BOB, skill="sql")
    ]
    assert state.status == "withdrawn"
    assert endorsements.decide(state, endorsements.Withdraw(actor=ada)) == []
    with pytest.raises(Forbidden):
        endorsements.decide(state, endorsements.Withdraw(actor=bob))


def test_withdrawing_what_was_never_given_changes_nothing() -> None:
    state = state_for(of_member())
    assert endorsements.decide(state, endorsements.Withdraw(actor=ada)) == []


@given(st.lists(st.sampled_from(["endorse", "withdraw"]), max_size=20))
def test_given_and_withdrawn_alternate(commands: list[str]) -> None:
    state = state_for(of_artefact(skill="SQL"))
    log: list[Event] = []
    for name in commands:
        command: endorsements.Command = (
            of_artefact(skill="SQL") if name == "endorse" else endorsements.Withdraw(actor=ada)
        )
        try:
            events, state = run(state, command)
        except Conflict:
            assert name == "endorse" and state.active
            continue
        log += events
    kinds = [type(event) for event in log]
    assert kinds == [
        EndorsementGiven if n % 2 == 0 else EndorsementWithdrawn for n in range(len(kinds))
    ]
    assert state.active == (bool(kinds) and kinds[-1] is EndorsementGiven)
