"""The member decider, without a database: registration policies, profile, follows, admin."""

from __future__ import annotations

import msgspec
import pytest

from server.domain import members
from server.domain.common import Actor
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.domain.members import RegistrationPolicy as Policy
from server.events.types.members import (
    MemberApproved,
    MemberFollowed,
    MemberRegistered,
    MemberSuspended,
    MemberUnfollowed,
    PasswordSet,
    ProfileUpdated,
)

ADA, BOB, ADMIN = (
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-0000000000ad",
)


def register(**changes: object) -> members.Register:
    command = members.Register(
        member_id=ADA,
        handle="Ada",
        display_name="Ada Lovelace",
        password_hash="scrypt$x",
        policy=Policy.OPEN,
        handle_taken=False,
    )
    return msgspec.structs.replace(command, **changes)


def fold(member_id: str, events: list) -> members.Member:
    state = members.initial(member_id)
    for event in events:
        state = members.evolve(state, event)
    return state


def active(member_id: str = ADA, handle: str = "ada") -> members.Member:
    return fold(member_id, [MemberRegistered(handle=handle, display_name=handle.title())])


def test_open_registration_lowercases_the_handle_and_sets_the_password() -> None:
    events = members.decide(members.initial(ADA), register())
    assert events == [
        MemberRegistered(handle="ada", display_name="Ada Lovelace"),
        PasswordSet(password_hash="scrypt$x"),
    ]
    state = fold(ADA, events)
    assert state.active and state.handle == "ada" and state.password_hash == "scrypt$x"


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"handle_taken": True}, Conflict, "handle"),
        ({"handle": "ada lovelace"}, Invalid, "handle"),
        ({"handle": "a" * 31}, Invalid, "handle"),
        ({"handle": "ädä"}, Invalid, "handle"),
        ({"display_name": "   "}, Invalid, "display_name"),
        ({"policy": Policy.CLOSED}, Forbidden, None),
        ({"policy": Policy.INVITE}, Forbidden, "invite_code"),
    ],
)
def test_registration_refusals(changes: dict, error: type, field: str | None) -> None:
    with pytest.raises(error) as refused:
        members.decide(members.initial(ADA), register(**changes))
    assert refused.value.field == field


def test_registering_twice_under_one_id_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        members.decide(active(), register())


def test_approval_policy_registers_a_pending_member_with_their_reason() -> None:
    events = members.decide(
        members.initial(ADA), register(policy=Policy.APPROVAL, reason="  I teach SQL ")
    )
    assert events[0] == MemberRegistered(
        handle="ada", display_name="Ada Lovelace", pending=True, reason="I teach SQL"
    )
    assert fold(ADA, events).status == "pending"


def test_invite_policy_accepts_a_valid_invitation() -> None:
    invite = "00000000-0000-4000-8000-0000000000ee"
    events = members.decide(
        members.initial(ADA), register(policy=Policy.INVITE, invite_valid=True, invite_id=invite)
    )
    assert events[0].invite_id == invite


def test_an_admin_created_by_the_command_line_skips_even_a_closed_policy() -> None:
    events = members.decide(members.initial(ADA), register(policy=Policy.CLOSED, admin=True))
    assert fold(ADA, events).admin


def test_profile_update_normalises_skills_and_ignores_no_change() -> None:
    ada = active()
    command = members.UpdateProfile(actor=Actor(ADA), skills=[" SQL ", "sql", "Data  Modelling"])
    [event] = members.decide(ada, command)
    assert isinstance(event, ProfileUpdated)
    assert event.skills == ["sql", "data modelling"]
    ada = members.evolve(ada, event)
    assert members.decide(ada, command) == []


def test_sharing_progress_is_kept_through_other_profile_changes() -> None:
    ada = active()
    assert ada.share_progress is True
    [private] = members.decide(ada, members.UpdateProfile(actor=Actor(ADA), share_progress=False))
    assert isinstance(private, ProfileUpdated) and private.share_progress is False
    ada = members.evolve(ada, private)
    assert ada.share_progress is False
    [renamed] = members.decide(ada, members.UpdateProfile(actor=Actor(ADA), headline="Learner"))
    assert renamed.share_progress is False  # a later edit does not switch it back on
    ada = members.evolve(ada, renamed)
    assert members.decide(ada, members.UpdateProfile(actor=Actor(ADA), share_progress=False)) == []


def test_only_the_member_edits_their_profile() -> None:
    with pytest.raises(Forbidden):
        members.decide(active(), members.UpdateProfile(actor=Actor(BOB), headline="x"))


def test_follow_and_unfollow() -> None:
    ada, bob = active(), active(BOB, "bob")
    [followed] = members.decide(ada, members.Follow(actor=Actor(ADA), target=bob))
    assert followed == MemberFollowed(member_id=BOB)
    ada = members.evolve(ada, followed)
    assert members.decide(ada, members.Follow(actor=Actor(ADA), target=bob)) == []
    [unfollowed] = members.decide(ada, members.Unfollow(actor=Actor(ADA), target_id=BOB))
    assert unfollowed == MemberUnfollowed(member_id=BOB)
    ada = members.evolve(ada, unfollowed)
    assert members.decide(ada, members.Unfollow(actor=Actor(ADA), target_id=BOB)) == []


@pytest.mark.parametrize(
    ("target", "error"),
    [
        (None, NotFound),
        (fold(BOB, [MemberRegistered(handle="bob", display_name="B", pending=True)]), NotFound),
        (active(), Invalid),
    ],
)
def test_follow_refusals(target: members.Member | None, error: type) -> None:
    with pytest.raises(error):
        members.decide(active(), members.Follow(actor=Actor(ADA), target=target))


def test_a_suspended_member_cannot_be_followed() -> None:
    bob = members.evolve(active(BOB, "bob"), MemberSuspended(by=ADMIN))
    with pytest.raises(NotFound):
        members.decide(active(), members.Follow(actor=Actor(ADA), target=bob))


def test_admins_approve_pending_members_and_nobody_else_does() -> None:
    pending = fold(ADA, [MemberRegistered(handle="ada", display_name="A", pending=True)])
    with pytest.raises(Forbidden):
        members.decide(pending, members.Approve(actor=Actor(BOB)))
    [approved] = members.decide(pending, members.Approve(actor=Actor(ADMIN, admin=True)))
    assert approved == MemberApproved(by=ADMIN)
    with pytest.raises(Conflict):
        members.decide(members.evolve(pending, approved), members.Approve(actor=Actor(ADMIN, True)))


def test_suspension_rules() -> None:
    admin = Actor(ADMIN, admin=True)
    with pytest.raises(Forbidden):
        members.decide(active(), members.Suspend(actor=Actor(BOB), reason="spam"))
    with pytest.raises(Invalid):
        members.decide(active(ADMIN, "root"), members.Suspend(actor=admin))
    [suspended] = members.decide(active(), members.Suspend(actor=admin, reason=" spam "))
    assert suspended == MemberSuspended(by=ADMIN, reason="spam")
    ada = members.evolve(active(), suspended)
    assert ada.status == "suspended"
    assert members.decide(ada, members.Suspend(actor=admin)) == []
    [lifted] = members.decide(ada, members.Unsuspend(actor=admin))
    assert members.evolve(ada, lifted).active


def test_commands_on_an_unknown_member_are_not_found() -> None:
    with pytest.raises(NotFound):
        members.decide(members.initial(ADA), members.UpdateProfile(actor=Actor(ADA), bio="x"))
