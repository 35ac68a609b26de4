"""The community decider, without a database: creation, settings, joining under each policy,
roles, moderation, the knowledge library, members-only visibility and `access()`."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import communities as c
from server.domain.common import Actor
from server.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.communities import (
    CommunityCreated,
    CommunityUpdated,
    InvitationRevoked,
    JoinApproved,
    JoinRejected,
    JoinRequested,
    JoinWithdrawn,
    MemberBanned,
    MemberInvited,
    MemberJoined,
    MemberLeft,
    MemberRemoved,
    MemberUnbanned,
    ResourceAdded,
    ResourceRemoved,
    RoleChanged,
)
from server.events.types.members import MemberFollowed


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


COMMUNITY = _id(0xC0)
OWNER, MOD, MEM, MEM2, OUT, BANNED, INVITED, REQUESTER, ADMIN = (
    _id(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 0xAD)
)
RESOURCE, RESOURCE2 = _id(0xE1), _id(0xE2)

A = {
    "owner": Actor(OWNER),
    "mod": Actor(MOD),
    "mem": Actor(MEM),
    "out": Actor(OUT),
    "banned": Actor(BANNED),
    "invited": Actor(INVITED),
    "requester": Actor(REQUESTER),
    "admin": Actor(ADMIN, admin=True),
}


def decide(state: c.Community, command: Any) -> list[Event]:
    """`c.decide`, also checking that every event it returns could be stored."""
    events = c.decide(state, command)
    for event in events:
        REGISTRY.encode(event)
    return events


def fold(events: list[Event], state: c.Community | None = None) -> c.Community:
    state = c.initial(COMMUNITY) if state is None else state
    for event in events:
        state = c.evolve(state, event)
    return state


def community(
    visibility: str = "public", join_policy: str = "open", *, resource: bool = True
) -> c.Community:
    """A community with an owner, a moderator, two members, a banned outsider, an invited one,
    a pending request and (optionally) one library resource."""
    events: list[Event] = [
        CommunityCreated(
            slug="sql",
            name="SQL",
            by=OWNER,
            visibility=visibility,
            join_policy=join_policy,
        ),
        MemberJoined(member_id=MOD),
        RoleChanged(member_id=MOD, role="moderator", previous="member", by=OWNER),
        MemberJoined(member_id=MEM),
        MemberJoined(member_id=MEM2),
        MemberBanned(member_id=BANNED, by=OWNER),
        MemberInvited(member_id=INVITED, by=MOD),
        JoinRequested(member_id=REQUESTER, message="hi"),
    ]
    if resource:
        events.append(ResourceAdded(resource_id=RESOURCE, url="https://x.org", title="X", by=MOD))
    return fold(events)


def refused(state: c.Community, command: Any, error: type[DomainError], field: str | None):
    with pytest.raises(error) as caught:
        c.decide(state, command)
    assert type(caught.value) is error
    assert caught.value.field == field


# -- streams and creation ---------------------------------------------------------------------


def test_stream_names() -> None:
    assert c.stream(COMMUNITY) == f"community-{COMMUNITY}"
    assert c.slug_stream("sql-club") == "slug-sql-club"
    assert c.normalise_slug("  SQL-Club ") == "sql-club"


def create(**changes: Any) -> c.Create:
    command = c.Create(
        actor=A["owner"], community_id=COMMUNITY, slug="SQL-Club", name="SQL club", slug_taken=False
    )
    return msgspec.structs.replace(command, **changes)


def test_creation_normalises_and_makes_the_creator_owner() -> None:
    events = decide(
        c.initial(COMMUNITY),
        create(
            name="  SQL club ",
            description=" Queries ",
            skills=[" SQL ", "sql", "Query  Plans"],
            visibility="members_only",
            join_policy="approval",
        ),
    )
    assert events == [
        CommunityCreated(
            slug="sql-club",
            name="SQL club",
            by=OWNER,
            description="Queries",
            skills=["sql", "query plans"],
            visibility="members_only",
            join_policy="approval",
        )
    ]
    state = fold(events)
    assert state.active and state.slug == "sql-club" and state.skills == ("sql", "query plans")
    assert state.members == {OWNER: "owner"} and state.owners == {OWNER}


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"slug_taken": True}, Conflict, "slug"),
        ({"slug": "sql club"}, Invalid, "slug"),
        ({"slug": "-sql"}, Invalid, "slug"),
        ({"slug": "sql-"}, Invalid, "slug"),
        ({"slug": "a" * 65}, Invalid, "slug"),
        ({"slug": "ädä"}, Invalid, "slug"),
        ({"slug": ""}, Invalid, "slug"),
        ({"name": "   "}, Invalid, "name"),
        ({"name": "n" * 201}, Invalid, "name"),
        ({"description": "d" * 2001}, Invalid, "description"),
        ({"skills": ["sql", "  "]}, Invalid, "skills"),
        ({"skills": [f"s{i}" for i in range(31)]}, Invalid, "skills"),
        ({"skills": ["s" * 51]}, Invalid, "skills"),
        ({"visibility": "secret"}, Invalid, "visibility"),
        ({"join_policy": "closed"}, Invalid, "join_policy"),
    ],
)
def test_creation_refusals(changes: dict, error: type[DomainError], field: str) -> None:
    refused(c.initial(COMMUNITY), create(**changes), error, field)


def test_creating_twice_under_one_id_is_a_conflict() -> None:
    refused(community(), create(), Conflict, "community_id")


def test_a_slug_of_64_characters_with_inner_hyphens_is_fine() -> None:
    [event] = decide(c.initial(COMMUNITY), create(slug="a-" * 31 + "bc"))
    assert isinstance(event, CommunityCreated) and len(event.slug) == 64


@pytest.mark.parametrize(
    "command",
    [
        c.Update(actor=A["owner"], name="x"),
        c.Join(actor=A["out"]),
        c.RequestMembership(actor=A["out"]),
        c.Leave(actor=A["owner"]),
        c.ApproveRequest(actor=A["admin"], member_id=MEM),
        c.RejectRequest(actor=A["admin"], member_id=MEM),
        c.Invite(actor=A["admin"], member_id=MEM),
        c.ChangeRole(actor=A["admin"], member_id=MEM, role="owner"),
        c.Remove(actor=A["admin"], member_id=MEM),
        c.Ban(actor=A["admin"], member_id=MEM),
        c.Unban(actor=A["admin"], member_id=MEM),
        c.AddResource(actor=A["admin"], resource_id=RESOURCE, url="https://x.org", title="X"),
        c.RemoveResource(actor=A["admin"], resource_id=RESOURCE),
    ],
)
def test_every_command_on_an_unknown_community_is_not_found(command: Any) -> None:
    refused(c.initial(COMMUNITY), command, NotFound, None)


def test_evolve_ignores_events_of_other_areas() -> None:
    state = community()
    assert c.evolve(state, MemberFollowed(member_id=MEM)) is state


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "changes"),
    [
        ("mod", {"name": " SQL people ", "description": "all things SQL", "skills": ["SQL"]}),
        ("owner", {"visibility": "members_only", "join_policy": "invite"}),
        ("owner", {"name": "SQL people", "join_policy": "approval"}),
        ("admin", {"visibility": "members_only"}),
        ("mod", {"visibility": "public", "join_policy": "open", "name": "SQL people"}),
    ],
)
def test_updates_within_each_role(actor: str, changes: dict) -> None:
    state = community()
    [event] = decide(state, c.Update(actor=A[actor], **changes))
    assert isinstance(event, CommunityUpdated) and event.by == A[actor].member_id
    after = fold([event], state)
    expected = {
        "name": "SQL",
        "description": "",
        "skills": (),
        "visibility": "public",
        "join_policy": "open",
    }
    expected |= {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
    if "skills" in changes:
        expected["skills"] = ("sql",)
    assert {k: getattr(after, k) for k in expected} == expected
    assert decide(after, c.Update(actor=A[actor], **changes)) == []


@pytest.mark.parametrize(
    ("visibility", "actor", "changes", "error", "field"),
    [
        ("public", "mod", {"visibility": "members_only"}, Forbidden, "visibility"),
        ("public", "mod", {"join_policy": "invite"}, Forbidden, "join_policy"),
        ("public", "mem", {"name": "mine"}, Forbidden, None),
        ("public", "out", {"name": "mine"}, Forbidden, None),
        ("public", "banned", {"name": "mine"}, Forbidden, None),
        ("members_only", "out", {"name": "mine"}, NotFound, None),
        ("members_only", "mem", {"name": "mine"}, Forbidden, None),
        ("public", "owner", {"name": " "}, Invalid, "name"),
        ("public", "owner", {"description": "d" * 2001}, Invalid, "description"),
        ("public", "owner", {"skills": [""]}, Invalid, "skills"),
        ("public", "owner", {"visibility": "hidden"}, Invalid, "visibility"),
        ("public", "owner", {"join_policy": "never"}, Invalid, "join_policy"),
    ],
)
def test_update_refusals(
    visibility: str, actor: str, changes: dict, error: type[DomainError], field: str | None
) -> None:
    refused(community(visibility), c.Update(actor=A[actor], **changes), error, field)


# -- joining ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "policy", "actor", "expected"),
    [
        ("public", "open", "out", [MemberJoined(member_id=OUT, via="open")]),
        ("public", "approval", "out", [JoinRequested(member_id=OUT)]),
        ("public", "approval", "requester", []),
        ("public", "invite", "invited", [MemberJoined(member_id=INVITED, via="invitation")]),
        ("public", "approval", "invited", [MemberJoined(member_id=INVITED, via="invitation")]),
        ("public", "open", "invited", [MemberJoined(member_id=INVITED, via="invitation")]),
        ("members_only", "invite", "invited", [MemberJoined(member_id=INVITED, via="invitation")]),
        ("members_only", "open", "invited", [MemberJoined(member_id=INVITED, via="invitation")]),
        ("public", "open", "mem", []),
        ("members_only", "invite", "mem", []),
        ("public", "invite", "owner", []),
    ],
)
def test_join(visibility: str, policy: str, actor: str, expected: list[Event]) -> None:
    state = community(visibility, policy)
    events = decide(state, c.Join(actor=A[actor]))
    assert events == expected
    after = fold(events, state)
    member_id = A[actor].member_id
    if any(isinstance(e, MemberJoined) for e in events):
        assert after.members[member_id] == "member"
        assert member_id not in after.invitations and member_id not in after.requests


@pytest.mark.parametrize(
    ("visibility", "policy", "actor", "error"),
    [
        ("public", "invite", "out", Forbidden),
        ("public", "open", "banned", Forbidden),
        ("public", "approval", "banned", Forbidden),
        ("members_only", "open", "out", NotFound),
        ("members_only", "approval", "out", NotFound),
        ("members_only", "approval", "requester", NotFound),
        ("members_only", "open", "banned", NotFound),
        ("members_only", "invite", "admin", Forbidden),  # admins see it, but join like anyone
    ],
)
def test_join_refusals(visibility: str, policy: str, actor: str, error: type) -> None:
    state = community(visibility, policy)
    refused(state, c.Join(actor=A[actor]), error, None)
    refused(state, c.RequestMembership(actor=A[actor], message="please"), error, None)


def test_request_membership_carries_a_message_for_the_moderators() -> None:
    state = community(join_policy="approval")
    [event] = decide(state, c.RequestMembership(actor=A["out"], message="  I write SQL daily "))
    assert event == JoinRequested(member_id=OUT, message="I write SQL daily")
    assert fold([event], state).requests[OUT] == "I write SQL daily"
    assert decide(community(), c.RequestMembership(actor=A["out"])) == [
        MemberJoined(member_id=OUT, via="open")
    ]
    long = c.RequestMembership(actor=A["out"], message="m" * 2001)
    refused(state, long, Invalid, "message")


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("mem", [MemberLeft(member_id=MEM)]),
        ("mod", [MemberLeft(member_id=MOD)]),
        ("out", []),
        ("requester", [JoinWithdrawn(member_id=REQUESTER)]),
    ],
)
def test_leave(actor: str, expected: list[Event]) -> None:
    state = community()
    events = decide(state, c.Leave(actor=A[actor]))
    assert events == expected
    after = fold(events, state)
    assert A[actor].member_id not in after.members
    assert A[actor].member_id not in after.requests  # leaving takes back a request
    assert decide(after, c.Leave(actor=A[actor])) == []


@pytest.mark.parametrize("actor", ["mod", "owner", "admin"])
def test_moderators_revoke_an_unused_invitation(actor: str) -> None:
    state = community("public", "invite")
    [revoked] = decide(state, c.RevokeInvitation(actor=A[actor], member_id=INVITED))
    assert revoked == InvitationRevoked(member_id=INVITED, by=A[actor].member_id)
    after = fold([revoked], state)
    assert INVITED not in after.invitations
    assert decide(after, c.RevokeInvitation(actor=A[actor], member_id=INVITED)) == []
    refused(after, c.Join(actor=A["invited"]), Forbidden, None)


def test_members_cannot_revoke_invitations() -> None:
    refused(community(), c.RevokeInvitation(actor=A["mem"], member_id=INVITED), Forbidden, None)


def test_the_last_owner_cannot_leave_but_one_of_two_can() -> None:
    state = community()
    refused(state, c.Leave(actor=A["owner"]), Conflict, None)
    refused(community("members_only"), c.Leave(actor=A["out"]), NotFound, None)
    state = fold([RoleChanged(member_id=MOD, role="owner", previous="moderator", by=OWNER)], state)
    [left] = decide(state, c.Leave(actor=A["owner"]))
    assert left == MemberLeft(member_id=OWNER)
    assert fold([left], state).owners == {MOD}


# -- requests and invitations -----------------------------------------------------------------


@pytest.mark.parametrize("actor", ["mod", "owner", "admin"])
def test_moderators_owners_and_admins_decide_requests(actor: str) -> None:
    state = community(join_policy="approval")
    by = A[actor].member_id
    approved = decide(state, c.ApproveRequest(actor=A[actor], member_id=REQUESTER))
    assert approved == [
        JoinApproved(member_id=REQUESTER, by=by),
        MemberJoined(member_id=REQUESTER, via="approval"),
    ]
    after = fold(approved, state)
    assert after.members[REQUESTER] == "member" and REQUESTER not in after.requests
    assert decide(after, c.ApproveRequest(actor=A[actor], member_id=REQUESTER)) == []
    [rejected] = decide(state, c.RejectRequest(actor=A[actor], member_id=REQUESTER))
    assert rejected == JoinRejected(member_id=REQUESTER, by=by)
    after = fold([rejected], state)
    assert REQUESTER not in after.requests and REQUESTER not in after.members


@pytest.mark.parametrize("command", [c.ApproveRequest, c.RejectRequest])
@pytest.mark.parametrize(
    ("visibility", "actor", "member_id", "error", "field"),
    [
        ("public", "mem", REQUESTER, Forbidden, None),
        ("public", "out", REQUESTER, Forbidden, None),
        ("public", "requester", REQUESTER, Forbidden, None),
        ("members_only", "out", REQUESTER, NotFound, None),
        ("public", "mod", OUT, NotFound, "member_id"),
        ("public", "mod", BANNED, NotFound, "member_id"),
    ],
)
def test_request_decision_refusals(
    command: type,
    visibility: str,
    actor: str,
    member_id: str,
    error: type[DomainError],
    field: str | None,
) -> None:
    state = community(visibility, "approval")
    refused(state, command(actor=A[actor], member_id=member_id), error, field)


def test_rejecting_a_member_s_request_after_approval_is_not_found() -> None:
    refused(community(), c.RejectRequest(actor=A["mod"], member_id=MEM), NotFound, "member_id")


@pytest.mark.parametrize("actor", ["mod", "owner", "admin"])
def test_invitations(actor: str) -> None:
    state = community("members_only", "invite")
    [invited] = decide(state, c.Invite(actor=A[actor], member_id=OUT))
    assert invited == MemberInvited(member_id=OUT, by=A[actor].member_id)
    after = fold([invited], state)
    assert after.invitations[OUT] == A[actor].member_id
    assert decide(after, c.Invite(actor=A[actor], member_id=OUT)) == []
    [joined] = decide(after, c.Join(actor=A["out"]))
    assert joined == MemberJoined(member_id=OUT, via="invitation")


@pytest.mark.parametrize(
    ("visibility", "actor", "member_id", "error", "field"),
    [
        ("public", "mod", MEM, Conflict, "member_id"),
        ("public", "owner", MOD, Conflict, "member_id"),
        ("public", "mod", BANNED, Conflict, "member_id"),
        ("public", "mem", OUT, Forbidden, None),
        ("public", "out", OUT, Forbidden, None),
        ("members_only", "out", OUT, NotFound, None),
        ("members_only", "invited", OUT, NotFound, None),
    ],
)
def test_invitation_refusals(
    visibility: str, actor: str, member_id: str, error: type[DomainError], field: str | None
) -> None:
    refused(community(visibility), c.Invite(actor=A[actor], member_id=member_id), error, field)


# -- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "member_id", "role", "previous"),
    [
        ("owner", MEM, "moderator", "member"),
        ("owner", MEM, "owner", "member"),
        ("owner", MOD, "member", "moderator"),
        ("admin", MEM, "owner", "member"),
        ("admin", MOD, "member", "moderator"),
    ],
)
def test_owners_and_admins_change_roles(
    actor: str, member_id: str, role: str, previous: str
) -> None:
    state = community()
    command = c.ChangeRole(actor=A[actor], member_id=member_id, role=role)
    [event] = decide(state, command)
    assert event == RoleChanged(
        member_id=member_id,
        role=role,
        previous=previous,
        by=A[actor].member_id,
    )
    after = fold([event], state)
    assert after.members[member_id] == role
    assert decide(after, command) == []


@pytest.mark.parametrize(
    ("visibility", "actor", "member_id", "role", "error", "field"),
    [
        ("public", "mod", MEM, "moderator", Forbidden, None),
        ("public", "mem", MEM, "owner", Forbidden, None),
        ("public", "out", MEM, "owner", Forbidden, None),
        ("members_only", "out", MEM, "owner", NotFound, None),
        ("public", "owner", OUT, "moderator", NotFound, "member_id"),
        ("public", "owner", BANNED, "member", NotFound, "member_id"),
        ("public", "owner", MEM, "admin", Invalid, "role"),
        ("public", "owner", OWNER, "moderator", Conflict, "role"),
        ("public", "owner", OWNER, "member", Conflict, "role"),
        ("public", "admin", OWNER, "member", Conflict, "role"),
    ],
)
def test_role_change_refusals(
    visibility: str,
    actor: str,
    member_id: str,
    role: str,
    error: type[DomainError],
    field: str | None,
) -> None:
    command = c.ChangeRole(actor=A[actor], member_id=member_id, role=role)
    refused(community(visibility), command, error, field)


def test_an_owner_may_step_down_once_there_is_another_owner() -> None:
    state = community()
    state = fold(decide(state, c.ChangeRole(actor=A["owner"], member_id=MOD, role="owner")), state)
    [down] = decide(state, c.ChangeRole(actor=A["owner"], member_id=OWNER, role="member"))
    state = fold([down], state)
    assert state.owners == {MOD}
    refused(state, c.ChangeRole(actor=A["mod"], member_id=MOD, role="member"), Conflict, "role")


# -- removal and bans -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "member_id"),
    [("mod", MEM), ("owner", MEM), ("owner", MOD), ("admin", MEM), ("admin", MOD)],
)
def test_removal(actor: str, member_id: str) -> None:
    state = community()
    command = c.Remove(actor=A[actor], member_id=member_id, reason=" spam ")
    [event] = decide(state, command)
    assert event == MemberRemoved(member_id=member_id, by=A[actor].member_id, reason="spam")
    after = fold([event], state)
    assert member_id not in after.members and member_id not in after.banned
    assert decide(after, command) == []


def test_an_owner_is_removed_by_another_owner() -> None:
    state = fold(
        [RoleChanged(member_id=MOD, role="owner", previous="moderator", by=OWNER)], community()
    )
    [event] = decide(state, c.Remove(actor=A["owner"], member_id=MOD))
    assert fold([event], state).owners == {OWNER}


@pytest.mark.parametrize(
    ("visibility", "actor", "member_id", "error", "field"),
    [
        ("public", "mem", MEM2, Forbidden, None),
        ("public", "out", MEM, Forbidden, None),
        ("members_only", "out", MEM, NotFound, None),
        ("public", "mod", OWNER, Forbidden, "member_id"),
        ("public", "mod", MOD, Invalid, "member_id"),
        ("public", "owner", OWNER, Invalid, "member_id"),
        ("public", "admin", OWNER, Conflict, "member_id"),
    ],
)
def test_removal_refusals(
    visibility: str, actor: str, member_id: str, error: type[DomainError], field: str | None
) -> None:
    state = community(visibility)
    refused(state, c.Remove(actor=A[actor], member_id=member_id), error, field)
    refused(state, c.Ban(actor=A[actor], member_id=member_id), error, field)


def test_a_moderator_cannot_remove_or_ban_another_moderator() -> None:
    state = fold(
        [
            MemberJoined(member_id=OUT),
            RoleChanged(member_id=OUT, role="moderator", previous="member", by=OWNER),
        ],
        community(),
    )
    refused(state, c.Remove(actor=A["mod"], member_id=OUT), Forbidden, "member_id")
    refused(state, c.Ban(actor=A["mod"], member_id=OUT), Forbidden, "member_id")


def test_removal_reason_is_bounded() -> None:
    command = c.Remove(actor=A["mod"], member_id=MEM, reason="r" * 2001)
    refused(community(), command, Invalid, "reason")
    refused(community(), c.Ban(actor=A["mod"], member_id=MEM, reason="r" * 2001), Invalid, "reason")


@pytest.mark.parametrize(
    ("actor", "member_id"),
    [
        ("mod", MEM),
        ("owner", MOD),
        ("admin", MOD),
        ("mod", OUT),  # a pre-emptive ban of an outsider
        ("mod", INVITED),
        ("mod", REQUESTER),
    ],
)
def test_ban_removes_membership_requests_and_invitations(actor: str, member_id: str) -> None:
    state = community(join_policy="approval")
    [event] = decide(state, c.Ban(actor=A[actor], member_id=member_id, reason="abuse"))
    assert event == MemberBanned(member_id=member_id, by=A[actor].member_id, reason="abuse")
    after = fold([event], state)
    assert member_id in after.banned
    assert member_id not in after.members
    assert member_id not in after.requests and member_id not in after.invitations
    assert decide(after, c.Ban(actor=A[actor], member_id=member_id)) == []
    refused(after, c.Join(actor=Actor(member_id)), Forbidden, None)
    refused(after, c.Invite(actor=A["owner"], member_id=member_id), Conflict, "member_id")


def test_unban() -> None:
    state = community()
    [event] = decide(state, c.Unban(actor=A["mod"], member_id=BANNED))
    assert event == MemberUnbanned(member_id=BANNED, by=MOD)
    after = fold([event], state)
    assert BANNED not in after.banned
    assert decide(after, c.Unban(actor=A["mod"], member_id=BANNED)) == []
    assert decide(after, c.Join(actor=A["banned"])) == [MemberJoined(member_id=BANNED)]


@pytest.mark.parametrize(
    ("visibility", "actor", "error"),
    [
        ("public", "mem", Forbidden),
        ("public", "banned", Forbidden),
        ("members_only", "banned", NotFound),
        ("members_only", "out", NotFound),
    ],
)
def test_unban_refusals(visibility: str, actor: str, error: type[DomainError]) -> None:
    refused(community(visibility), c.Unban(actor=A[actor], member_id=BANNED), error, None)


# -- the knowledge library --------------------------------------------------------------------


def add(actor: str = "mod", **changes: Any) -> c.AddResource:
    command = c.AddResource(
        actor=A[actor],
        resource_id=RESOURCE2,
        url=" https://use-the-index-luke.com/ ",
        title=" Use the index, Luke ",
        note=" indexes explained ",
        skills=["SQL", " Indexing "],
    )
    return msgspec.structs.replace(command, **changes)


@pytest.mark.parametrize("actor", ["mod", "owner", "admin"])
def test_moderators_owners_and_admins_keep_the_library(actor: str) -> None:
    state = community()
    [added] = decide(state, add(actor))
    assert added == ResourceAdded(
        resource_id=RESOURCE2,
        url="https://use-the-index-luke.com/",
        title="Use the index, Luke",
        by=A[actor].member_id,
        note="indexes explained",
        skills=["sql", "indexing"],
    )
    state = fold([added], state)
    assert state.resources[RESOURCE2] == c.Resource(
        id=RESOURCE2,
        url="https://use-the-index-luke.com/",
        title="Use the index, Luke",
        added_by=A[actor].member_id,
        note="indexes explained",
        skills=("sql", "indexing"),
    )
    command = c.RemoveResource(actor=A[actor], resource_id=RESOURCE2)
    [removed] = decide(state, command)
    assert removed == ResourceRemoved(resource_id=RESOURCE2, by=A[actor].member_id)
    state = fold([removed], state)
    assert RESOURCE2 not in state.resources and RESOURCE in state.resources
    assert decide(state, command) == []


@pytest.mark.parametrize(
    ("visibility", "actor", "changes", "error", "field"),
    [
        ("public", "mem", {}, Forbidden, None),
        ("public", "out", {}, Forbidden, None),
        ("members_only", "out", {}, NotFound, None),
        ("public", "mod", {"resource_id": RESOURCE}, Conflict, "resource_id"),
        ("public", "mod", {"url": "ftp://x.org/file"}, Invalid, "url"),
        ("public", "mod", {"url": "https://x.org/a b"}, Invalid, "url"),
        ("public", "mod", {"url": ""}, Invalid, "url"),
        ("public", "mod", {"url": "https://x.org/" + "p" * 2000}, Invalid, "url"),
        ("public", "mod", {"title": "  "}, Invalid, "title"),
        ("public", "mod", {"title": "t" * 201}, Invalid, "title"),
        ("public", "mod", {"note": "n" * 2001}, Invalid, "note"),
        ("public", "mod", {"skills": ["ok", ""]}, Invalid, "skills"),
    ],
)
def test_add_resource_refusals(
    visibility: str, actor: str, changes: dict, error: type[DomainError], field: str | None
) -> None:
    refused(community(visibility), add(actor, **changes), error, field)


@pytest.mark.parametrize(
    ("visibility", "actor", "error"),
    [("public", "mem", Forbidden), ("public", "out", Forbidden), ("members_only", "out", NotFound)],
)
def test_remove_resource_refusals(visibility: str, actor: str, error: type[DomainError]) -> None:
    command = c.RemoveResource(actor=A[actor], resource_id=RESOURCE)
    refused(community(visibility), command, error, None)


# -- members-only visibility and access() ------------------------------------------------------


OUTSIDER_COMMANDS = [
    c.Update(actor=A["out"], name="x"),
    c.Join(actor=A["out"]),
    c.RequestMembership(actor=A["out"], message="please"),
    c.Leave(actor=A["out"]),
    c.ApproveRequest(actor=A["out"], member_id=REQUESTER),
    c.RejectRequest(actor=A["out"], member_id=REQUESTER),
    c.Invite(actor=A["out"], member_id=OUT),
    c.ChangeRole(actor=A["out"], member_id=MEM, role="owner"),
    c.Remove(actor=A["out"], member_id=MEM),
    c.Ban(actor=A["out"], member_id=MEM),
    c.Unban(actor=A["out"], member_id=BANNED),
    c.AddResource(actor=A["out"], resource_id=RESOURCE2, url="https://x.org", title="X"),
    c.RemoveResource(actor=A["out"], resource_id=RESOURCE),
]


@pytest.mark.parametrize("command", OUTSIDER_COMMANDS)
@pytest.mark.parametrize("policy", ["open", "approval", "invite"])
def test_a_members_only_community_does_not_exist_for_outsiders(command: Any, policy: str) -> None:
    refused(community("members_only", policy), command, NotFound, None)


@pytest.mark.parametrize("command", OUTSIDER_COMMANDS)
def test_an_admin_sees_a_members_only_community(command: Any) -> None:
    command = msgspec.structs.replace(command, actor=A["admin"])
    try:
        c.decide(community("members_only", "invite"), command)
    except NotFound as error:
        assert error.field is not None  # a missing target, never the community itself
    except (Forbidden, Conflict, Invalid):
        pass


def test_access() -> None:
    state = community("members_only")
    assert c.access(c.initial(COMMUNITY), OWNER).exists is False
    assert not c.access(c.initial(COMMUNITY), OWNER).visible
    owner = c.access(state, OWNER)
    assert owner.community_id == COMMUNITY and owner.exists and owner.members_only
    assert (owner.is_member, owner.is_moderator, owner.is_owner, owner.banned) == (
        True,
        True,
        True,
        False,
    )
    assert owner.visible
    mod = c.access(state, MOD)
    assert (mod.is_member, mod.is_moderator, mod.is_owner) == (True, True, False)
    mem = c.access(state, MEM)
    assert (mem.is_member, mem.is_moderator, mem.is_owner, mem.visible) == (
        True,
        False,
        False,
        True,
    )
    banned = c.access(state, BANNED)
    assert banned.banned and not banned.is_member and not banned.visible
    assert not c.access(state, OUT).visible and not c.access(state, None).visible
    public = community()
    anonymous = c.access(public, None)
    assert anonymous.visible and not anonymous.is_member and not anonymous.banned
    assert c.access(public, OUT).visible


# -- the last-owner invariant -----------------------------------------------------------------

PEOPLE = [_id(n) for n in range(1, 6)]
actors = st.one_of(st.sampled_from(PEOPLE).map(Actor), st.just(Actor(ADMIN, admin=True)))
people = st.sampled_from(PEOPLE)
commands = st.one_of(
    st.builds(c.ChangeRole, actor=actors, member_id=people, role=st.sampled_from(c.ROLES)),
    st.builds(c.Leave, actor=actors),
    st.builds(c.Remove, actor=actors, member_id=people),
    st.builds(c.Ban, actor=actors, member_id=people),
    st.builds(c.Unban, actor=actors, member_id=people),
    st.builds(c.Join, actor=actors),
    st.builds(c.Invite, actor=actors, member_id=people),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["open", "approval", "invite"]), st.lists(commands, min_size=1, max_size=60))
def test_an_active_community_always_keeps_an_owner(policy: str, script: list[Any]) -> None:
    state = fold(
        [
            CommunityCreated(slug="s", name="S", by=PEOPLE[0], join_policy=policy),
            *(MemberJoined(member_id=p) for p in PEOPLE[1:]),
        ]
    )
    for command in script:
        try:
            events = decide(state, command)
        except DomainError:
            continue
        state = fold(events, state)
        assert state.active
        assert state.owners, f"no owner left after {command!r}"
        assert not state.banned & state.members.keys()
