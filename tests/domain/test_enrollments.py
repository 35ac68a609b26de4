"""The enrollment decider, without a database: enrolling, completing steps, completing the path,
leaving, and progress on a path edited after people enrolled."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.commands.repository import Aggregate
from server.domain import enrollments, paths
from server.domain.common import Actor, CommunityAccess
from server.domain.enrollments import Progress
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.domain.paths import NewStep
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.paths import (
    Enrolled,
    EnrollmentLeft,
    PathCompleted,
    StepCompleted,
)

ADA, BOB, ADMIN = (
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-0000000000ad",
)
COMMUNITY = "00000000-0000-4000-8000-0000000000c1"
PATH = "00000000-0000-4000-8000-0000000000e1"
ARTEFACT = "00000000-0000-4000-8000-0000000000a1"
KEY = enrollments.enrollment_id(PATH, BOB)

ada, bob = Actor(ADA), Actor(BOB)
admin = Actor(ADMIN, admin=True)


def sid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


def access(**facts: Any) -> CommunityAccess:
    """A member's access to COMMUNITY: by default a plain member of a public one."""
    return CommunityAccess(
        **{"community_id": COMMUNITY, "exists": True, "is_member": True, **facts}
    )


MEMBER = access()
OUTSIDER = access(is_member=False)
PRIVATE_MEMBER = access(members_only=True)
PRIVATE_OUTSIDER = access(members_only=True, is_member=False)
BANNED = access(is_member=False, banned=True)
GONE = CommunityAccess(community_id=COMMUNITY, exists=False)


def step(n: int) -> NewStep:
    return NewStep(step_id=sid(n), kind="text", title=f"Step {n}", text="Read")


def edit(path: paths.Path, command: paths.Command) -> paths.Path:
    for event in paths.decide(path, command):
        path = paths.evolve(path, event)
    return path


def a_path(steps: int = 3, *, publish: bool = True, **create: Any) -> paths.Path:
    """A path by Ada with steps 1..`steps`, published unless told otherwise."""
    command = paths.Create(
        actor=ada, community=MEMBER, title="SQL", steps=[step(n) for n in range(1, steps + 1)]
    )
    path = edit(paths.initial(PATH), msgspec.structs.replace(command, **create))
    return edit(path, paths.Publish(actor=ada, community=MEMBER)) if publish else path


def run(
    state: enrollments.Enrollment, command: enrollments.Command
) -> tuple[list[Event], enrollments.Enrollment]:
    """Decide, check every event can be stored, and fold the events in."""
    events = enrollments.decide(state, command)
    for event in events:
        REGISTRY.encode(event)
        state = enrollments.evolve(state, event)
    return events, state


def enrolled(path: paths.Path, community: CommunityAccess = OUTSIDER) -> enrollments.Enrollment:
    """Bob enrolled in `path` (by default as a reader of a public community)."""
    return run(
        enrollments.initial(KEY), enrollments.Enroll(actor=bob, path=path, community=community)
    )[1]


def complete(path: paths.Path, n: int, **changes: Any) -> enrollments.CompleteStep:
    return enrollments.CompleteStep(
        actor=bob, path=path, community=OUTSIDER, step_id=sid(n), **changes
    )


# -- identity -------------------------------------------------------------------------------


def test_the_id_and_stream_name_path_and_member() -> None:
    assert KEY == f"{PATH}-{BOB}"
    assert enrollments.stream(PATH, BOB) == f"enrollment-{PATH}-{BOB}"
    assert enrollments.parse_id(KEY) == (PATH, BOB)
    state = enrollments.initial(KEY)
    assert (state.path_id, state.member_id, state.status) == (PATH, BOB, "none")


def test_a_generic_aggregate_names_the_same_stream() -> None:
    aggregate = Aggregate("enrollment", enrollments.initial, enrollments.evolve)
    assert aggregate.stream(KEY) == enrollments.stream(PATH, BOB)
    assert aggregate.initial(KEY).path_id == PATH


@pytest.mark.parametrize("key", ["", PATH, f"{PATH}{BOB}", f"{PATH}-{BOB}-x", f"{PATH}_{BOB}"])
def test_a_malformed_id_is_refused(key: str) -> None:
    with pytest.raises(ValueError):
        enrollments.initial(key)


# -- enroll ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "community"),
    [(bob, OUTSIDER), (bob, MEMBER), (bob, PRIVATE_MEMBER)],
    ids=["public-reader", "member", "members-only-member"],
)
def test_a_learner_enrolls_in_a_published_path(actor: Actor, community: CommunityAccess) -> None:
    path = a_path()
    events, state = run(
        enrollments.initial(KEY), enrollments.Enroll(actor=actor, path=path, community=community)
    )
    assert events == [Enrolled(path_id=PATH, member_id=BOB)]
    assert state.enrolled and state.completed == frozenset()
    assert (
        enrollments.decide(state, enrollments.Enroll(actor=bob, path=path, community=community))
        == []
    )


@pytest.mark.parametrize(
    ("path", "community", "error"),
    [
        (None, OUTSIDER, NotFound),
        (paths.initial(PATH), OUTSIDER, NotFound),
        (a_path(), PRIVATE_OUTSIDER, NotFound),
        (a_path(), GONE, NotFound),
        (a_path(), BANNED, Forbidden),
        (a_path(), access(banned=True), Forbidden),
        (a_path(publish=False), OUTSIDER, Conflict),
        (edit(a_path(), paths.Archive(actor=ada, community=MEMBER)), OUTSIDER, Conflict),
        (edit(a_path(publish=False), paths.Archive(actor=ada, community=MEMBER)), MEMBER, Conflict),
    ],
    ids=[
        "none",
        "not-created",
        "members-only",
        "community-gone",
        "banned",
        "banned-member",
        "draft",
        "archived",
        "archived-draft",
    ],
)
def test_enrolling_is_refused(
    path: paths.Path | None, community: CommunityAccess, error: type
) -> None:
    with pytest.raises(error) as refused:
        enrollments.decide(
            enrollments.initial(KEY),
            enrollments.Enroll(actor=bob, path=path, community=community),
        )
    assert type(refused.value) is error and refused.value.field == "path_id"


def test_an_admin_outside_a_members_only_community_sees_but_does_not_enroll() -> None:
    key = enrollments.enrollment_id(PATH, ADMIN)
    command = enrollments.Enroll(actor=admin, path=a_path(), community=PRIVATE_OUTSIDER)
    with pytest.raises(Forbidden) as refused:
        enrollments.decide(enrollments.initial(key), command)
    assert refused.value.field == "path_id"


def test_a_member_enrolls_only_themselves() -> None:
    for command in [
        enrollments.Enroll(actor=ada, path=a_path(), community=MEMBER),
        enrollments.CompleteStep(actor=ada, path=a_path(), community=MEMBER, step_id=sid(1)),
        enrollments.Leave(actor=ada),
    ]:
        with pytest.raises(Forbidden):
            enrollments.decide(enrolled(a_path()), command)


def test_a_command_for_another_path_or_community_is_a_caller_bug() -> None:
    other_path = msgspec.structs.replace(a_path(), id=sid(77))
    with pytest.raises(ValueError):
        enrollments.decide(
            enrollments.initial(KEY),
            enrollments.Enroll(actor=bob, path=other_path, community=OUTSIDER),
        )
    other_community = CommunityAccess(community_id=sid(78), exists=True)
    with pytest.raises(ValueError):
        enrollments.decide(
            enrollments.initial(KEY),
            enrollments.Enroll(actor=bob, path=a_path(), community=other_community),
        )
    with pytest.raises(ValueError):
        enrollments.decide(
            enrollments.initial(KEY), enrollments.Enroll(actor=bob, path=a_path(), community=None)
        )


def test_still_enrolled_in_an_archived_path_is_a_no_op() -> None:
    path = a_path()
    state = enrolled(path)
    archived = edit(path, paths.Archive(actor=ada, community=MEMBER))
    command = enrollments.Enroll(actor=bob, path=archived, community=OUTSIDER)
    assert enrollments.decide(state, command) == []


# -- complete steps -------------------------------------------------------------------------


def test_completing_steps_and_then_the_path() -> None:
    path = a_path(steps=2)
    state = enrolled(path)
    events, state = run(
        state,
        complete(
            path,
            2,
            evidence_artefact_id=ARTEFACT,
            evidence_is_own=True,
            reflection="  Learned joins\n",
        ),
    )
    assert events == [
        StepCompleted(
            path_id=PATH,
            member_id=BOB,
            step_id=sid(2),
            evidence_artefact_id=ARTEFACT,
            reflection="  Learned joins\n",
        )
    ]
    assert enrollments.progress(state, path) == Progress(
        completed=1, total=2, percent=50, completed_step_ids=(sid(2),)
    )
    assert enrollments.decide(state, complete(path, 2)) == []  # once per step
    events, state = run(state, complete(path, 1, reflection=" \n"))
    assert events == [
        StepCompleted(path_id=PATH, member_id=BOB, step_id=sid(1)),
        PathCompleted(path_id=PATH, member_id=BOB),
    ]
    assert state.path_completed
    assert enrollments.progress(state, path) == Progress(
        completed=2,
        total=2,
        percent=100,
        completed_step_ids=(sid(1), sid(2)),
        path_completed=True,
    )


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"step_id": sid(9)}, NotFound, "step_id"),
        ({"evidence_artefact_id": ARTEFACT}, Invalid, "evidence_artefact_id"),
        (
            {"evidence_artefact_id": "nope", "evidence_is_own": True},
            Invalid,
            "evidence_artefact_id",
        ),
        ({"reflection": "r" * 5_001}, Invalid, "reflection"),
        ({"reflection": "a\x00"}, Invalid, "reflection"),
        ({"community": BANNED}, Forbidden, "path_id"),
        ({"community": GONE}, NotFound, "path_id"),
        ({"path": None}, NotFound, "path_id"),
    ],
)
def test_completing_a_step_is_refused(changes: dict, error: type, field: str) -> None:
    path = a_path()
    command = msgspec.structs.replace(complete(path, 1), **changes)
    with pytest.raises(error) as refused:
        enrollments.decide(enrolled(path), command)
    assert type(refused.value) is error and refused.value.field == field


def test_a_reflection_may_be_5000_characters() -> None:
    path = a_path()
    events, _ = run(enrolled(path), complete(path, 1, reflection="r" * 5_000))
    assert len(events) == 1


def test_completing_takes_an_enrollment() -> None:
    path = a_path()
    for state in [enrollments.initial(KEY), run(enrolled(path), enrollments.Leave(actor=bob))[1]]:
        with pytest.raises(Conflict) as refused:
            enrollments.decide(state, complete(path, 1))
        assert "enroll" in refused.value.detail and refused.value.field == "path_id"


def test_a_learner_goes_on_in_an_archived_path() -> None:
    path = a_path(steps=1)
    state = enrolled(path)
    archived = edit(path, paths.Archive(actor=ada, community=MEMBER))
    events, _ = run(state, complete(archived, 1))
    assert [type(e) for e in events] == [StepCompleted, PathCompleted]


# -- leave ----------------------------------------------------------------------------------


def test_leaving_keeps_the_progress_for_enrolling_again() -> None:
    path = a_path()
    _, state = run(enrolled(path), complete(path, 1))
    events, state = run(state, enrollments.Leave(actor=bob))
    assert events == [EnrollmentLeft(path_id=PATH, member_id=BOB)]
    assert state.status == "left" and state.completed == {sid(1)}
    assert enrollments.decide(state, enrollments.Leave(actor=bob)) == []
    events, state = run(state, enrollments.Enroll(actor=bob, path=path, community=OUTSIDER))
    assert events == [Enrolled(path_id=PATH, member_id=BOB)]
    assert enrollments.progress(state, path).completed_step_ids == (sid(1),)


def test_leaving_takes_an_enrollment() -> None:
    with pytest.raises(Conflict) as refused:
        enrollments.decide(enrollments.initial(KEY), enrollments.Leave(actor=bob))
    assert refused.value.field == "path_id"


def test_enrolling_again_completes_a_path_that_lost_its_last_open_step() -> None:
    path = a_path(steps=2)
    _, state = run(enrolled(path), complete(path, 1))
    _, state = run(state, enrollments.Leave(actor=bob))
    path = edit(path, paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(2)))
    assert enrollments.decide(state, enrollments.Reconcile(path=path)) == []  # not enrolled
    events, state = run(state, enrollments.Enroll(actor=bob, path=path, community=OUTSIDER))
    assert events == [
        Enrolled(path_id=PATH, member_id=BOB),
        PathCompleted(path_id=PATH, member_id=BOB),
    ]


# -- edited paths: the progress rule --------------------------------------------------------


def test_progress_follows_the_path_as_it_reads_now() -> None:
    path = a_path(steps=3)
    _, state = run(enrolled(path), complete(path, 3))
    _, state = run(state, complete(path, 1))
    assert enrollments.progress(state, path) == Progress(
        completed=2, total=3, percent=66, completed_step_ids=(sid(1), sid(3))
    )
    reordered = edit(
        path, paths.ReorderSteps(actor=ada, community=MEMBER, step_ids=[sid(3), sid(2), sid(1)])
    )
    assert enrollments.progress(state, reordered) == Progress(
        completed=2, total=3, percent=66, completed_step_ids=(sid(3), sid(1))
    )
    added = edit(path, paths.AddStep(actor=ada, community=MEMBER, step=step(4)))
    assert enrollments.progress(state, added) == Progress(
        completed=2, total=4, percent=50, completed_step_ids=(sid(1), sid(3))
    )
    removed_done = edit(added, paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(1)))
    assert enrollments.progress(state, removed_done) == Progress(
        completed=1, total=3, percent=33, completed_step_ids=(sid(3),)
    )


def test_removing_the_last_open_step_completes_the_path_on_reconcile() -> None:
    path = a_path(steps=2)
    _, state = run(enrolled(path), complete(path, 1))
    assert enrollments.decide(state, enrollments.Reconcile(path=path)) == []
    path = edit(path, paths.RemoveStep(actor=ada, community=MEMBER, step_id=sid(2)))
    events, state = run(state, enrollments.Reconcile(path=path))
    assert events == [PathCompleted(path_id=PATH, member_id=BOB)]
    assert enrollments.decide(state, enrollments.Reconcile(path=path)) == []


def test_a_completed_path_stays_completed_when_steps_are_added() -> None:
    path = a_path(steps=1)
    _, state = run(enrolled(path), complete(path, 1))
    assert state.path_completed
    path = edit(path, paths.AddStep(actor=ada, community=MEMBER, step=step(2)))
    progress = enrollments.progress(state, path)
    assert (progress.completed, progress.total, progress.percent) == (1, 2, 50)
    assert progress.path_completed
    events, state = run(state, complete(path, 2))  # no second path_completed
    assert events == [StepCompleted(path_id=PATH, member_id=BOB, step_id=sid(2))]


def test_reconcile_ignores_what_has_nothing_to_reconcile() -> None:
    path = a_path(steps=1)
    assert enrollments.decide(enrollments.initial(KEY), enrollments.Reconcile(path=path)) == []
    assert enrollments.decide(enrolled(path), enrollments.Reconcile(path=None)) == []
    emptied = msgspec.structs.replace(path, steps=())  # never published so, but no completion
    assert enrollments.decide(enrolled(path), enrollments.Reconcile(path=emptied)) == []
    assert enrollments.progress(enrollments.initial(KEY), a_path(steps=0, publish=False)) == (
        Progress(completed=0, total=0, percent=0, completed_step_ids=())
    )


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("complete"), st.integers(0, 40)),
            st.tuples(st.just("add"), st.integers(0, 40)),
            st.tuples(st.just("remove"), st.integers(0, 40)),
            st.tuples(st.just("reorder"), st.randoms(use_true_random=False)),
            st.tuples(st.just("leave"), st.none()),
            st.tuples(st.just("enroll"), st.none()),
        ),
        max_size=40,
    )
)
def test_progress_stays_in_bounds_and_the_path_completes_once(operations: list[tuple]) -> None:
    path = a_path(steps=3)
    state = enrolled(path)
    log: list[Event] = []
    next_step = 100
    kw = {"actor": ada, "community": MEMBER}
    for operation, arg in operations:
        command: enrollments.Command | None = None
        match operation:
            case "complete":
                if path.steps:
                    command = complete(path, 0)
                    command = msgspec.structs.replace(
                        command, step_id=path.step_ids[arg % len(path.steps)]
                    )
            case "add":
                next_step += 1
                path = edit(
                    path,
                    paths.AddStep(**kw, step=step(next_step), position=arg % (len(path.steps) + 1)),
                )
            case "remove":
                if len(path.steps) > 1:
                    gone = path.step_ids[arg % len(path.steps)]
                    path = edit(path, paths.RemoveStep(**kw, step_id=gone))
                    command = enrollments.Reconcile(path=path)
            case "reorder":
                order = list(path.step_ids)
                arg.shuffle(order)
                path = edit(path, paths.ReorderSteps(**kw, step_ids=order))
            case "leave":
                if state.status == "enrolled":
                    command = enrollments.Leave(actor=bob)
            case "enroll":
                command = enrollments.Enroll(actor=bob, path=path, community=OUTSIDER)
        if command is not None:
            if isinstance(command, enrollments.CompleteStep) and not state.enrolled:
                with pytest.raises(Conflict):
                    enrollments.decide(state, command)
                continue
            events, state = run(state, command)
            log += events
        progress = enrollments.progress(state, path)
        assert 0 <= progress.completed <= progress.total == len(path.steps)
        assert progress.completed == len(progress.completed_step_ids)
        assert 0 <= progress.percent <= 100
        assert (progress.percent == 100) == (progress.completed == progress.total > 0)
        completions = sum(isinstance(event, PathCompleted) for event in log)
        assert completions <= 1
        # once every step is complete while enrolled, the completion has been recorded
        # (added steps and removals are reconciled right away above)
        if state.enrolled and progress.completed == progress.total:
            assert completions == 1 and state.path_completed
