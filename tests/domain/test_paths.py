"""The learning path decider, without a database: creation, description, steps, publication,
archiving, and who may do each."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import paths
from server.domain.common import Actor, CommunityAccess
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.domain.paths import NewStep, Step
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.paths import (
    PathArchived,
    PathCreated,
    PathPublished,
    PathStep,
    PathStepAdded,
    PathStepRemoved,
    PathStepsReordered,
    PathStepUpdated,
    PathUpdated,
)

ADA, BOB, CAROL, ADMIN = (
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-00000000000c",
    "00000000-0000-4000-8000-0000000000ad",
)
COMMUNITY = "00000000-0000-4000-8000-0000000000c1"
PATH = "00000000-0000-4000-8000-0000000000e1"
ARTEFACT = "00000000-0000-4000-8000-0000000000a1"
POST = "00000000-0000-4000-8000-0000000000b1"


def sid(n: int) -> str:
    """The n-th step id."""
    return f"00000000-0000-4000-8000-{n:012x}"


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
PRIVATE_OUTSIDER = access(members_only=True, is_member=False)
BANNED = access(is_member=False, banned=True)
GONE = CommunityAccess(community_id=COMMUNITY, exists=False)


def text_step(n: int, **changes: Any) -> NewStep:
    step = NewStep(step_id=sid(n), kind="text", title=f"Step {n}", text=f"Read part {n}")
    return msgspec.structs.replace(step, **changes)


def run(state: paths.Path, command: paths.Command) -> tuple[list[Event], paths.Path]:
    """Decide, check every event can be stored, and fold the events in."""
    events = paths.decide(state, command)
    for event in events:
        REGISTRY.encode(event)
        state = paths.evolve(state, event)
    return events, state


def create(**changes: Any) -> paths.Create:
    command = paths.Create(
        actor=ada, community=MEMBER, title="SQL basics", steps=[text_step(1), text_step(2)]
    )
    return msgspec.structs.replace(command, **changes)


def created(**changes: Any) -> paths.Path:
    return run(paths.initial(PATH), create(**changes))[1]


def published(**changes: Any) -> paths.Path:
    return run(created(**changes), paths.Publish(actor=ada, community=MEMBER))[1]


# -- create ---------------------------------------------------------------------------------


def test_creation_normalises_and_starts_as_a_draft() -> None:
    events, state = run(
        paths.initial(PATH),
        create(
            title="  SQL basics ",
            summary=" From zero \n",
            skills=["  SQL", "Query   Plans", "sql"],
            steps=[
                NewStep(
                    step_id=sid(1),
                    kind="resource",
                    title=" The manual ",
                    url=" https://example.org/sql ",
                    estimated_minutes=30,
                ),
                NewStep(
                    step_id=sid(2),
                    kind="artefact",
                    title="A sample",
                    ref_id=ARTEFACT,
                    ref_exists=True,
                    text="  \n",
                ),
                NewStep(
                    step_id=sid(3),
                    kind="post",
                    title="The thread",
                    ref_id=POST,
                    ref_exists=True,
                    text="Read the replies too",
                ),
                NewStep(step_id=sid(4), kind="text", title="Reflect", text="  # Why\n"),
            ],
        ),
    )
    assert events == [
        PathCreated(
            community_id=COMMUNITY,
            by=ADA,
            title="SQL basics",
            summary="From zero",
            skills=["sql", "query plans"],
            steps=[
                PathStep(
                    step_id=sid(1),
                    kind="resource",
                    title="The manual",
                    url="https://example.org/sql",
                    estimated_minutes=30,
                ),
                PathStep(step_id=sid(2), kind="artefact", title="A sample", ref_id=ARTEFACT),
                PathStep(
                    step_id=sid(3),
                    kind="post",
                    title="The thread",
                    ref_id=POST,
                    text="Read the replies too",
                ),
                PathStep(step_id=sid(4), kind="text", title="Reflect", text="  # Why\n"),
            ],
        )
    ]
    assert state.status == "draft" and state.creator_id == ADA
    assert state.community_id == COMMUNITY
    assert state.step_ids == (sid(1), sid(2), sid(3), sid(4))
    assert state.steps[0] == Step(
        step_id=sid(1),
        kind="resource",
        title="The manual",
        url="https://example.org/sql",
        estimated_minutes=30,
    )
    assert state.skills == ("sql", "query plans")


def test_a_path_may_start_without_steps() -> None:
    state = created(steps=[])
    assert state.steps == () and state.step_ids == ()


STEP_REFUSALS = [
    ({"step_id": "not-a-uuid"}, "step_id"),
    ({"step_id": sid(0xAB).upper()}, "step_id"),
    ({"kind": "video"}, "kind"),
    ({"title": ""}, "title"),
    ({"title": "  "}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": "a\x00"}, "title"),
    ({"text": ""}, "text"),  # a text step needs its text
    ({"text": " \n "}, "text"),
    ({"text": "x" * 5_001}, "text"),
    ({"text": "a\x00b"}, "text"),
    ({"estimated_minutes": 0}, "estimated_minutes"),
    ({"estimated_minutes": 10_001}, "estimated_minutes"),
    ({"estimated_minutes": -5}, "estimated_minutes"),
    ({"estimated_minutes": True}, "estimated_minutes"),
    ({"url": "https://example.org"}, "url"),  # only resource steps have one
    ({"ref_id": ARTEFACT, "ref_exists": True}, "ref_id"),  # only artefact / post steps
    ({"kind": "resource"}, "url"),
    ({"kind": "resource", "url": "  "}, "url"),
    ({"kind": "resource", "url": "ftp://example.org"}, "url"),
    ({"kind": "resource", "url": "example.org"}, "url"),
    ({"kind": "resource", "url": "javascript:alert(1)"}, "url"),
    ({"kind": "resource", "url": "https://exa mple.org"}, "url"),
    ({"kind": "resource", "url": "https://example.org/\x00"}, "url"),
    ({"kind": "resource", "url": "https://example.org/" + "x" * 2_000}, "url"),
    ({"kind": "resource", "url": "https://example.org", "ref_id": ARTEFACT}, "ref_id"),
    ({"kind": "artefact"}, "ref_id"),
    ({"kind": "post", "ref_id": " "}, "ref_id"),
    (
        {"kind": "artefact", "url": "https://example.org", "ref_id": ARTEFACT, "ref_exists": True},
        "url",
    ),
]


@pytest.mark.parametrize(("changes", "field"), STEP_REFUSALS)
def test_creation_refuses_a_bad_step_naming_it(changes: dict, field: str) -> None:
    bad = msgspec.structs.replace(text_step(2), **changes)
    with pytest.raises(Invalid) as refused:
        paths.decide(paths.initial(PATH), create(steps=[text_step(1), bad]))
    assert refused.value.field == f"steps[1].{field}"


@pytest.mark.parametrize(("changes", "field"), STEP_REFUSALS)
def test_adding_refuses_a_bad_step(changes: dict, field: str) -> None:
    bad = msgspec.structs.replace(text_step(3), **changes)
    with pytest.raises(Invalid) as refused:
        paths.decide(created(), paths.AddStep(actor=ada, community=MEMBER, step=bad))
    assert refused.value.field == field


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "artefact", "ref_id": ARTEFACT, "ref_exists": False},
        {"kind": "post", "ref_id": POST, "ref_exists": False},
        {"kind": "post", "ref_id": "not-a-uuid", "ref_exists": True},
    ],
)
def test_a_step_refers_only_to_what_exists(changes: dict) -> None:
    bad = msgspec.structs.replace(text_step(1), **changes)
    with pytest.raises(NotFound) as refused:
        paths.decide(paths.initial(PATH), create(steps=[bad]))
    assert refused.value.field == "steps[0].ref_id"


PATH_REFUSALS = [
    ({"title": ""}, "title"),
    ({"title": " "}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": "a\x00"}, "title"),
    ({"summary": "s" * 2_001}, "summary"),
    ({"summary": "\x00"}, "summary"),
    ({"skills": [" "]}, "skills"),
    ({"skills": ["s" * 51]}, "skills"),
    ({"skills": [f"skill {n}" for n in range(31)]}, "skills"),
]


@pytest.mark.parametrize(("changes", "field"), PATH_REFUSALS)
def test_creation_refuses_a_bad_description(changes: dict, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        paths.decide(paths.initial(PATH), create(**changes))
    assert refused.value.field == field


def test_limits_are_inclusive() -> None:
    steps = [text_step(n, estimated_minutes=10_000) for n in range(1, 201)]
    steps[0] = msgspec.structs.replace(steps[0], title="t" * 200, text="x" * 5_000)
    state = created(
        title="t" * 200,
        summary="s" * 2_000,
        skills=[f"skill {n}" for n in range(30)],
        steps=steps,
    )
    assert len(state.steps) == 200
    one = NewStep(
        step_id=sid(999),
        kind="resource",
        title="r",
        estimated_minutes=1,
        url="https://example.org/" + "x" * (2_000 - 20),
    )
    assert len(created(steps=[one]).steps[0].url or "") == 2_000


def test_creation_refuses_too_many_or_repeated_steps() -> None:
    with pytest.raises(Invalid) as refused:
        paths.decide(paths.initial(PATH), create(steps=[text_step(n) for n in range(1, 202)]))
    assert refused.value.field == "steps"
    with pytest.raises(Invalid) as repeated:
        paths.decide(paths.initial(PATH), create(steps=[text_step(1), text_step(2), text_step(1)]))
    assert repeated.value.field == "steps[2].step_id"


@pytest.mark.parametrize(
    ("actor", "community", "error"),
    [
        (ada, GONE, NotFound),
        (ada, PRIVATE_OUTSIDER, NotFound),
        (ada, OUTSIDER, Forbidden),
        (ada, BANNED, Forbidden),
        (ada, access(banned=True), Forbidden),
        (admin, PRIVATE_OUTSIDER, Forbidden),
        (admin, GONE, NotFound),
    ],
)
def test_only_members_create_paths(actor: Actor, community: CommunityAccess, error: type) -> None:
    with pytest.raises(error) as refused:
        paths.decide(paths.initial(PATH), create(actor=actor, community=community))
    assert type(refused.value) is error and refused.value.field == "community_id"


def test_a_members_only_communitys_member_creates_paths() -> None:
    state = created(community=access(members_only=True))
    assert state.status == "draft"


def test_creating_under_a_used_id_is_a_conflict() -> None:
    with pytest.raises(Conflict) as refused:
        paths.decide(created(), create(actor=bob))
    assert refused.value.field == "path_id"


# -- who edits ------------------------------------------------------------------------------


def every_edit(actor: Actor, community: CommunityAccess) -> list[paths.Command]:
    """One command of each kind that would change a draft made by `created()`."""
    kw = {"actor": actor, "community": community}
    return [
        paths.Update(**kw, title="New title"),
        paths.AddStep(**kw, step=text_step(9)),
        paths.UpdateStep(**kw, step_id=sid(1), title="Renamed"),
        paths.RemoveStep(**kw, step_id=sid(1)),
        paths.ReorderSteps(**kw, step_ids=[sid(2), sid(1)]),
        paths.Publish(**kw),
        paths.Archive(**kw),
    ]


@pytest.mark.parametrize(
    ("actor", "community"),
    [
        (ada, MEMBER),  # the creator
        (ada, OUTSIDER),  # the creator, since gone from a public community
        (bob, MODERATOR),
        (bob, OWNER),
        (admin, OUTSIDER),
        (admin, PRIVATE_OUTSIDER),
    ],
    ids=["creator", "creator-left", "moderator", "owner", "admin", "admin-members-only"],
)
def test_editors_change_a_path(actor: Actor, community: CommunityAccess) -> None:
    state = created()
    for command in every_edit(actor, community):
        events, _ = run(state, command)
        assert len(events) == 1
        assert events[0].by == actor.member_id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("actor", "community", "error"),
    [
        (bob, MEMBER, Forbidden),
        (bob, OUTSIDER, Forbidden),
        (ada, access(banned=True, is_member=False), Forbidden),  # the creator, banned
        (bob, access(banned=True, is_moderator=True), Forbidden),
        (bob, access(members_only=True, is_member=False), NotFound),
        (ada, access(members_only=True, is_member=False), NotFound),
        (bob, GONE, NotFound),
    ],
)
def test_nobody_else_changes_a_path(actor: Actor, community: CommunityAccess, error: type) -> None:
    state = created(community=access(members_only=community.members_only))
    for command in every_edit(actor, community):
        with pytest.raises(error) as refused:
            paths.decide(state, command)
        assert type(refused.value) is error and refused.value.field is None


def test_editing_what_does_not_exist_is_not_found() -> None:
    for command in every_edit(ada, MEMBER):
        with pytest.raises(NotFound):
            paths.decide(paths.initial(PATH), command)


def test_a_command_for_another_community_is_a_caller_bug() -> None:
    other = CommunityAccess(community_id=sid(77), exists=True, is_member=True)
    with pytest.raises(ValueError):
        paths.decide(created(), paths.Update(actor=ada, community=other, title="x"))


# -- description ----------------------------------------------------------------------------


def test_update_carries_the_whole_description() -> None:
    state = created(summary="Old", skills=["sql"])
    events, state = run(
        state, paths.Update(actor=bob, community=MODERATOR, skills=["Postgres", "SQL"])
    )
    assert events == [
        PathUpdated(by=BOB, title="SQL basics", summary="Old", skills=["postgres", "sql"])
    ]
    assert state.skills == ("postgres", "sql") and state.creator_id == ADA


@pytest.mark.parametrize(
    "changes",
    [{}, {"title": " SQL basics "}, {"summary": "Old", "skills": ["SQL"]}],
)
def test_an_update_that_changes_nothing_records_nothing(changes: dict) -> None:
    state = created(summary="Old", skills=["sql"])
    assert paths.decide(state, paths.Update(actor=ada, community=MEMBER, **changes)) == []


@pytest.mark.parametrize(("changes", "field"), PATH_REFUSALS)
def test_update_refuses_a_bad_description(changes: dict, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        paths.decide(created(), paths.Update(actor=ada, community=MEMBER, **changes))
    assert refused.value.field == field


# -- steps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "order"),
    [
        (None, [1, 2, 9]),
        (0, [9, 1, 2]),
        (1, [1, 9, 2]),
        (2, [1, 2, 9]),
    ],
)
def test_a_step_goes_where_asked(position: int | None, order: list[int]) -> None:
    events, state = run(
        created(), paths.AddStep(actor=ada, community=MEMBER, step=text_step(9), position=position)
    )
    assert events == [
        PathStepAdded(
            by=ADA,
            position=order.index(9),
            step=PathStep(step_id=sid(9), kind="text", title="Step 9", text="Read part 9"),
        )
    ]
    assert state.step_ids == tuple(sid(n) for n in order)


@pytest.mark.parametrize("position", [-1, 3, 100, True])
def test_a_position_outside_the_path_is_refused(position: int) -> None:
    with pytest.raises(Invalid) as refused:
        paths.decide(
            created(),
            paths.AddStep(actor=ada, community=MEMBER, step=text_step(9), position=position),
        )
    assert refused.value.field == "position"


def test_adding_the_same_step_again_is_a_no_op_but_a_different_one_is_a_conflict() -> None:
    state = created()
    again = paths.AddStep(actor=ada, community=MEMBER, step=text_step(2))
    assert paths.decide(state, again) == []
    clash = paths.AddStep(actor=ada, community=MEMBER, step=text_step(2, text="Other"))
    with pytest.raises(Conflict) as refused:
        paths.decide(state, clash)
    assert refused.value.field == "step_id"


def test_a_removed_steps_id_is_never_used_again() -> None:
    _, state = run(created(), paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(1)))
    assert sid(1) in state.retired_step_ids
    with pytest.raises(Conflict) as refused:
        paths.decide(state, paths.AddStep(actor=ada, community=MEMBER, step=text_step(1)))
    assert refused.value.field == "step_id"


def test_a_path_holds_at_most_200_steps() -> None:
    state = created(steps=[text_step(n) for n in range(1, 201)])
    with pytest.raises(Conflict) as refused:
        paths.decide(state, paths.AddStep(actor=ada, community=MEMBER, step=text_step(201)))
    assert refused.value.field == "steps"
    _, state = run(state, paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(5)))
    _, state = run(
        state, paths.AddStep(actor=ada, community=MEMBER, step=text_step(201), position=0)
    )
    assert len(state.steps) == 200 and state.step_ids[0] == sid(201)


def test_update_step_changes_fields_and_keeps_its_place() -> None:
    state = created(steps=[text_step(1, estimated_minutes=5), text_step(2)])
    events, state = run(
        state,
        paths.UpdateStep(
            actor=ada, community=MEMBER, step_id=sid(1), title=" New ", text="New text"
        ),
    )
    assert events == [
        PathStepUpdated(
            by=ADA,
            step=PathStep(
                step_id=sid(1), kind="text", title="New", text="New text", estimated_minutes=5
            ),
        )
    ]
    assert state.step_ids == (sid(1), sid(2))
    # estimated_minutes: UNSET keeps it (above), None clears it
    events, state = run(
        state,
        paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), estimated_minutes=None),
    )
    assert state.steps[0].estimated_minutes is None
    assert state.steps[0].title == "New"


def test_changing_a_steps_kind_drops_what_the_new_kind_has_no_use_for() -> None:
    resource = NewStep(
        step_id=sid(1), kind="resource", title="Manual", url="https://example.org", text="A note"
    )
    state = created(steps=[resource])
    to_artefact = paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), kind="artefact")
    with pytest.raises(Invalid) as refused:
        paths.decide(state, to_artefact)  # an artefact step needs its artefact
    assert refused.value.field == "ref_id"
    _, state = run(state, msgspec.structs.replace(to_artefact, ref_id=ARTEFACT, ref_exists=True))
    assert state.steps[0] == Step(
        step_id=sid(1), kind="artefact", title="Manual", ref_id=ARTEFACT, text="A note"
    )
    # the artefact kept when only the title changes (not checked again)
    _, state = run(
        state, paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), title="Sample")
    )
    assert state.steps[0].ref_id == ARTEFACT
    # to a post: the artefact is not a post, so a post id is required
    with pytest.raises(Invalid) as refused:
        paths.decide(
            state, paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), kind="post")
        )
    assert refused.value.field == "ref_id"
    with pytest.raises(NotFound):
        paths.decide(
            state,
            paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), kind="post", ref_id=POST),
        )
    # to text: the note becomes the text, the reference goes
    _, state = run(
        state, paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), kind="text")
    )
    assert state.steps[0] == Step(step_id=sid(1), kind="text", title="Sample", text="A note")
    # to a resource: a url is required
    with pytest.raises(Invalid) as refused:
        paths.decide(
            state, paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), kind="resource")
        )
    assert refused.value.field == "url"


@pytest.mark.parametrize(("changes", "field"), STEP_REFUSALS[2:])
def test_update_step_refuses_bad_fields(changes: dict, field: str) -> None:
    if "ref_id" in changes and changes.get("ref_exists") is None:
        changes = {**changes, "ref_exists": False}
    with pytest.raises(Invalid) as refused:
        paths.decide(
            created(), paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(1), **changes)
        )
    assert refused.value.field == field


def test_an_update_step_that_changes_nothing_records_nothing() -> None:
    state = created()
    same = paths.UpdateStep(
        actor=ada, community=MEMBER, step_id=sid(1), title=" Step 1 ", kind="text"
    )
    assert paths.decide(state, same) == []


@pytest.mark.parametrize(
    "command",
    [
        paths.UpdateStep(actor=ada, community=MEMBER, step_id=sid(9), title="x"),
        paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(9)),
    ],
)
def test_an_unknown_step_is_not_found(command: paths.Command) -> None:
    with pytest.raises(NotFound) as refused:
        paths.decide(created(), command)
    assert refused.value.field == "step_id"


def test_removing_a_step_and_removing_it_again() -> None:
    events, state = run(created(), paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(1)))
    assert events == [PathStepRemoved(by=ADA, step_id=sid(1))]
    assert state.step_ids == (sid(2),)
    assert paths.decide(state, paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(1))) == []


def test_a_published_path_keeps_at_least_one_step() -> None:
    state = published(steps=[text_step(1), text_step(2)])
    _, state = run(state, paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(1)))
    with pytest.raises(Conflict) as refused:
        paths.decide(state, paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(2)))
    assert refused.value.field == "step_id"
    # a draft may be emptied
    _, draft = run(
        created(steps=[text_step(1)]), paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(1))
    )
    assert draft.steps == ()


def test_reordering_records_the_full_order() -> None:
    state = created(steps=[text_step(1), text_step(2), text_step(3)])
    before = {step.step_id: step for step in state.steps}
    order = [sid(3), sid(1), sid(2)]
    events, state = run(state, paths.ReorderSteps(actor=ada, community=MEMBER, step_ids=order))
    assert events == [PathStepsReordered(by=ADA, step_ids=order)]
    assert state.step_ids == tuple(order)
    assert all(before[step.step_id] == step for step in state.steps)
    assert (
        paths.decide(state, paths.ReorderSteps(actor=ada, community=MEMBER, step_ids=order)) == []
    )


@pytest.mark.parametrize(
    "order",
    [
        [],
        [sid(1), sid(2)],
        [sid(1), sid(2), sid(3), sid(3)],
        [sid(1), sid(2), sid(2)],
        [sid(1), sid(2), sid(4)],
        [sid(1), sid(2), sid(3), sid(4)],
    ],
)
def test_reordering_takes_an_exact_permutation(order: list[str]) -> None:
    state = created(steps=[text_step(1), text_step(2), text_step(3)])
    with pytest.raises(Invalid) as refused:
        paths.decide(state, paths.ReorderSteps(actor=ada, community=MEMBER, step_ids=order))
    assert refused.value.field == "step_ids"


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(0, 30), st.integers(0, 30)),
            st.tuples(st.just("remove"), st.integers(0, 30)),
            st.tuples(st.just("reorder"), st.randoms(use_true_random=False)),
        ),
        max_size=25,
    )
)
def test_steps_stay_unique_and_removed_ids_stay_retired(operations: list[tuple]) -> None:
    state = created(steps=[text_step(1)])
    shadow = [sid(1)]
    for operation in operations:
        kw = {"actor": ada, "community": MEMBER}
        match operation:
            case ("add", n, position):
                command: paths.Command = paths.AddStep(
                    **kw, step=text_step(100 + n), position=min(position, len(state.steps))
                )
            case ("remove", n):
                if not state.steps:
                    continue
                command = paths.RemoveStep(**kw, step_id=state.step_ids[n % len(state.steps)])
            case ("reorder", rng):
                order = list(state.step_ids)
                rng.shuffle(order)
                command = paths.ReorderSteps(**kw, step_ids=order)
        try:
            events, state = run(state, command)
        except Conflict:
            assert isinstance(command, paths.AddStep)
            assert command.step.step_id in state.retired_step_ids
            continue
        for event in events:
            match event:
                case PathStepAdded():
                    shadow.insert(event.position, event.step.step_id)
                case PathStepRemoved():
                    shadow.remove(event.step_id)
                case PathStepsReordered():
                    shadow = list(event.step_ids)
        assert list(state.step_ids) == shadow
        assert len(set(state.step_ids)) == len(state.step_ids)
        assert not set(state.step_ids) & state.retired_step_ids


# -- publish and archive --------------------------------------------------------------------


def test_publishing_takes_a_step_and_happens_once() -> None:
    with pytest.raises(Conflict) as refused:
        paths.decide(created(steps=[]), paths.Publish(actor=ada, community=MEMBER))
    assert refused.value.field == "steps"
    events, state = run(created(), paths.Publish(actor=bob, community=MODERATOR))
    assert events == [PathPublished(by=BOB)] and state.published
    assert paths.decide(state, paths.Publish(actor=ada, community=MEMBER)) == []


def test_a_published_path_is_still_edited() -> None:
    state = published()
    events, state = run(state, paths.AddStep(actor=ada, community=MEMBER, step=text_step(3)))
    assert len(events) == 1 and state.published and len(state.steps) == 3


@pytest.mark.parametrize("make", [created, published], ids=["draft", "published"])
def test_an_archived_path_is_never_changed_again(make: Any) -> None:
    events, state = run(make(), paths.Archive(actor=ada, community=MEMBER))
    assert events == [PathArchived(by=ADA)] and state.archived
    assert paths.decide(state, paths.Archive(actor=bob, community=MODERATOR)) == []
    for command in every_edit(ada, MEMBER)[:-1]:
        with pytest.raises(Conflict) as refused:
            paths.decide(state, command)
        assert refused.value.field == "status"


def test_archiving_still_takes_an_editor() -> None:
    _, state = run(created(), paths.Archive(actor=ada, community=MEMBER))
    with pytest.raises(Forbidden):
        paths.decide(state, paths.Archive(actor=bob, community=MEMBER))


def test_the_stream_is_named_after_the_path() -> None:
    assert paths.stream(PATH) == f"path-{PATH}"
    assert paths.initial(PATH) == paths.Path(id=PATH)
