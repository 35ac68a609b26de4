"""The enrollment aggregate: one learner following one learning path — enrolling, completing
steps (with evidence and a reflection), completing the path, leaving. Stream
`enrollment-<path_id>-<member_id>` (`stream(path_id, member_id)`); as a generic aggregate its id
is `enrollment_id(path_id, member_id)`.

Pure: `evolve` folds events into `Enrollment`, `decide` turns a command into events or refuses
it, `progress` measures an enrollment against the path as it reads now. The path arrives in the
command as its `Path` state, the community as the learner's `CommunityAccess` for the path's
community, and the evidence as a fact the service checked (`evidence_is_own`).

The progress rule (docs/paths.md), for paths edited after people enrolled:
- progress is kept by step id: a step counts when its id is among the completed ones and among
  the path's current steps — completed ∩ current / current;
- a step removed from the path leaves both the count and the total; a step added to the path
  starts incomplete for everyone; reordering steps changes nothing;
- `enrollment.path_completed` is emitted in the decision that makes every current step
  complete (completing a step, enrolling again, or `Reconcile` after a step was removed); at most
  once per enrollment stream, and it stays: steps added later lower the percentage, not the
  completion;
- leaving keeps the completed steps: enrolling again picks up where the learner left.

Rules that hold whatever the commands:
- a learner enrolls only themselves, in a published path (not a draft, not archived) they can
  see; a members-only community's paths take a member; nobody banned from the community enrolls
  or completes steps;
- a step is completed once per enrollment, only while enrolled, only if it is a current step;
  evidence is an artefact of the learner's own.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from server.domain.common import Actor, CommunityAccess
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.domain.paths import UUID, Path, access_for, sees
from server.events import Event
from server.events.types.paths import Enrolled, EnrollmentLeft, PathCompleted, StepCompleted

MAX_REFLECTION = 5_000
_UUID_LENGTH = 36

Status = Literal["none", "enrolled", "left"]
"""`none`: never enrolled (the state before the first event)."""


class Enrollment(msgspec.Struct, frozen=True):
    id: str
    """`enrollment_id(path_id, member_id)`."""
    path_id: str
    member_id: str
    status: Status = "none"
    completed: frozenset[str] = frozenset()
    """Every step id ever completed in this enrollment, including steps the path has since
    lost (they count again nowhere: see `progress`)."""
    path_completed: bool = False
    """`enrollment.path_completed` was emitted: permanent."""

    @property
    def enrolled(self) -> bool:
        return self.status == "enrolled"


def enrollment_id(path_id: str, member_id: str) -> str:
    return f"{path_id}-{member_id}"


def parse_id(key: str) -> tuple[str, str]:
    """`(path_id, member_id)` from `enrollment_id(path_id, member_id)` (two UUIDs)."""
    if len(key) != 2 * _UUID_LENGTH + 1 or key[_UUID_LENGTH] != "-":
        raise ValueError(f"not an enrollment id: {key!r}")
    return key[:_UUID_LENGTH], key[_UUID_LENGTH + 1 :]


def initial(key: str) -> Enrollment:
    path_id, member_id = parse_id(key)
    return Enrollment(id=key, path_id=path_id, member_id=member_id)


def stream(path_id: str, member_id: str) -> str:
    return f"enrollment-{enrollment_id(path_id, member_id)}"


# -- commands -------------------------------------------------------------------------------


class Enroll(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    """The learner: the enrollment's member."""
    path: Path | None
    """The path's state; None if the service found no such path."""
    community: CommunityAccess | None = None
    """The learner's access to the path's community; required when the path exists."""


class CompleteStep(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    path: Path | None
    community: CommunityAccess | None = None
    step_id: str
    evidence_artefact_id: str | None = None
    evidence_is_own: bool = False
    """Whether `evidence_artefact_id` names a live artefact written by the learner (checked by
    the service); consulted only when an id is given."""
    reflection: str = ""


class Leave(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


class Reconcile(msgspec.Struct, frozen=True, kw_only=True):
    """Bring the enrollment up to date with the path as it reads now: run by the service for
    every enrollment of a path after a step was removed from it (no actor: nobody's choice)."""

    path: Path | None


Command = Enroll | CompleteStep | Leave | Reconcile


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: Enrollment, event: Event) -> Enrollment:
    replace = msgspec.structs.replace
    match event:
        case Enrolled():
            return replace(state, status="enrolled")
        case StepCompleted():
            return replace(state, completed=state.completed | {event.step_id})
        case PathCompleted():
            return replace(state, path_completed=True)
        case EnrollmentLeft():
            return replace(state, status="left")
    return state


# -- progress -------------------------------------------------------------------------------


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    completed: int
    """Current steps of the path that are complete."""
    total: int
    """Current steps of the path."""
    percent: int
    """`completed * 100 // total` (rounded down: 100 only when every step is complete); 0 for
    a path without steps."""
    completed_step_ids: tuple[str, ...]
    """The complete current steps, in the path's order."""
    path_completed: bool = False
    """The path was completed once (permanent, even if `completed < total` now)."""


def progress(enrollment: Enrollment, path: Path) -> Progress:
    """How far `enrollment` is along `path` as the path reads now (the rule is in the module
    docstring)."""
    done = tuple(step_id for step_id in path.step_ids if step_id in enrollment.completed)
    total = len(path.steps)
    return Progress(
        completed=len(done),
        total=total,
        percent=len(done) * 100 // total if total else 0,
        completed_step_ids=done,
        path_completed=enrollment.path_completed,
    )


# -- decide ---------------------------------------------------------------------------------


def decide(state: Enrollment, command: Command) -> list[Event]:
    match command:
        case Enroll():
            return _enroll(state, command)
        case CompleteStep():
            return _complete(state, command)
        case Leave():
            _require_self(state, command.actor)
            if state.status == "none":
                raise Conflict("you are not enrolled in this path", "path_id")
            if state.status == "left":
                return []
            return [EnrollmentLeft(path_id=state.path_id, member_id=state.member_id)]
        case Reconcile():
            path = command.path
            if path is None or not state.enrolled:
                return []
            _require_same_path(state, path)
            return _completion(state, state.completed, path)
    raise TypeError(f"not an enrollment command: {command!r}")


def _enroll(state: Enrollment, command: Enroll) -> list[Event]:
    _require_self(state, command.actor)
    path, access = _require_path(state, command.actor, command.path, command.community)
    if state.enrolled:
        return []
    if path.status == "draft":
        raise Conflict("this path is not published yet", "path_id")
    if path.archived:
        raise Conflict("this path is archived: it takes no new learners", "path_id")
    if access.members_only and not access.is_member:
        raise Forbidden("only members of the community can enroll in its paths", "path_id")
    enrolled = Enrolled(path_id=state.path_id, member_id=state.member_id)
    return [enrolled, *_completion(state, state.completed, path)]


def _complete(state: Enrollment, command: CompleteStep) -> list[Event]:
    _require_self(state, command.actor)
    path, _ = _require_path(state, command.actor, command.path, command.community)
    if not state.enrolled:
        raise Conflict("enroll in the path first", "path_id")
    if command.step_id not in path.step_ids:
        raise NotFound("the path has no such step", "step_id")
    evidence = command.evidence_artefact_id
    if evidence is not None and not (command.evidence_is_own and UUID.match(evidence)):
        raise Invalid("evidence is an artefact of your own", "evidence_artefact_id")
    reflection = command.reflection if command.reflection.strip() else ""
    if len(reflection) > MAX_REFLECTION:
        raise Invalid(f"reflection is at most {MAX_REFLECTION} characters", "reflection")
    if "\x00" in reflection:
        raise Invalid("reflection may not contain the NUL character", "reflection")
    if command.step_id in state.completed:
        return []
    completed = StepCompleted(
        path_id=state.path_id,
        member_id=state.member_id,
        step_id=command.step_id,
        evidence_artefact_id=evidence,
        reflection=reflection,
    )
    return [completed, *_completion(state, state.completed | {command.step_id}, path)]


def _completion(state: Enrollment, completed: frozenset[str], path: Path) -> list[Event]:
    """`enrollment.path_completed` if `completed` covers every current step of `path` and the
    enrollment never completed the path before."""
    if state.path_completed or not path.steps or not set(path.step_ids) <= completed:
        return []
    return [PathCompleted(path_id=state.path_id, member_id=state.member_id)]


# -- checks ---------------------------------------------------------------------------------


def _require_self(state: Enrollment, actor: Actor) -> None:
    if actor.member_id != state.member_id:
        raise Forbidden("a member enrolls and learns only for themselves")


def _require_path(
    state: Enrollment, actor: Actor, path: Path | None, community: CommunityAccess | None
) -> tuple[Path, CommunityAccess]:
    """The path, if it exists for `actor`, and the learner's access to its community; NotFound
    (`path_id`) if not, Forbidden if banned from the community."""
    if path is None or path.status == "none":
        raise NotFound("no such path", "path_id")
    _require_same_path(state, path)
    access = access_for(path, community)
    if not sees(actor, access):
        raise NotFound("no such path", "path_id")
    if access.banned:
        raise Forbidden("you are banned from this path's community", "path_id")
    return path, access


def _require_same_path(state: Enrollment, path: Path) -> None:
    if path.id != state.path_id:
        raise ValueError(f"the command needs path {state.path_id}, not {path.id}")
