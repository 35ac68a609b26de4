"""Learning paths — ordered steps (a resource link, an artefact, a post, a text) put together in
a community — and the enrollments of learners who follow them.

Streams: `path-<id>` holds one path's whole history. `enrollment-<path_id>-<member_id>` holds
one learner's enrollment in one path: enrolling, completed steps, completion of the path,
leaving (and enrolling again). Every enrollment event names both `path_id` and `member_id`, so
a reader never has to take the stream id apart.

Steps are known by a `step_id` chosen when they are added and never reused in the same path:
progress is kept by step id, so reordering a path changes nobody's progress and removing a
step takes it out of everybody's (see docs/paths.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id, ShortText, Skills, Summary, Url

MAX_STEPS = 200

StepKind = Literal["resource", "artefact", "post", "text"]
"""`resource`: a link (`url`); `artefact` / `post`: one of ours (`ref_id`); `text`: a note."""

Note = Annotated[str, msgspec.Meta(max_length=5_000)]
"""A step's text, a learner's reflection: Markdown as written."""

Minutes = Annotated[int, msgspec.Meta(ge=1, le=10_000)]

StepIds = Annotated[list[Id], msgspec.Meta(max_length=MAX_STEPS)]


class PathStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a path, as it reads in full."""

    step_id: Id
    kind: StepKind
    title: ShortText
    url: Url | None = None
    """Set for (and only for) a `resource` step."""
    ref_id: Id | None = None
    """The artefact or post of an `artefact` / `post` step; None for the other kinds."""
    text: Note = ""
    """The note of a `text` step (never empty there); an optional note for the other kinds."""
    estimated_minutes: Minutes | None = None


class PathCreated(Event, frozen=True, tag="path.created"):
    """A path was created as a draft in a community by `by`, its creator. Stream: `path-<id>`;
    always its first event."""

    community_id: Id
    by: Id
    title: ShortText
    summary: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)
    steps: Annotated[list[PathStep], msgspec.Meta(max_length=MAX_STEPS)] = msgspec.field(
        default_factory=list
    )


class PathUpdated(Event, frozen=True, tag="path.updated"):
    """The path's description as it now reads (every field, not a diff)."""

    by: Id
    title: ShortText
    summary: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)


class PathStepAdded(Event, frozen=True, tag="path.step_added"):
    """A step was inserted at `position` (0-based): the steps from there on move down one."""

    by: Id
    position: Annotated[int, msgspec.Meta(ge=0, lt=MAX_STEPS)]
    step: PathStep


class PathStepUpdated(Event, frozen=True, tag="path.step_updated"):
    """The step `step.step_id` as it now reads in full; its place in the path is unchanged."""

    by: Id
    step: PathStep


class PathStepRemoved(Event, frozen=True, tag="path.step_removed"):
    """The step is gone from the path; its id is never used again in this path."""

    by: Id
    step_id: Id


class PathStepsReordered(Event, frozen=True, tag="path.steps_reordered"):
    """The path's steps in their new order: every current step id, each once."""

    by: Id
    step_ids: StepIds


class PathPublished(Event, frozen=True, tag="path.published"):
    """The draft became public (within its community's visibility): learners may enroll."""

    by: Id


class PathArchived(Event, frozen=True, tag="path.archived"):
    """The path is retired: no more edits nor new enrollments. Learners already enrolled keep
    their progress and may go on completing steps."""

    by: Id


class Enrolled(Event, frozen=True, tag="enrollment.enrolled"):
    """`member_id` enrolled in the path — for the first time, or again after leaving it (with
    the progress they had). Stream: `enrollment-<path_id>-<member_id>`."""

    path_id: Id
    member_id: Id


class StepCompleted(Event, frozen=True, tag="enrollment.step_completed"):
    """The learner completed a step, once per step id and enrollment."""

    path_id: Id
    member_id: Id
    step_id: Id
    evidence_artefact_id: Id | None = None
    """An artefact of the learner's own that shows the work."""
    reflection: Note = ""


class PathCompleted(Event, frozen=True, tag="enrollment.path_completed"):
    """Every step of the path (as it read then) was complete. At most once per enrollment
    stream, and permanent: steps added to the path later do not take it back."""

    path_id: Id
    member_id: Id


class EnrollmentLeft(Event, frozen=True, tag="enrollment.left"):
    """The learner left the path. Their completed steps are kept should they enroll again."""

    path_id: Id
    member_id: Id


TYPES: list[type[Event]] = [
    PathCreated,
    PathUpdated,
    PathStepAdded,
    PathStepUpdated,
    PathStepRemoved,
    PathStepsReordered,
    PathPublished,
    PathArchived,
    Enrolled,
    StepCompleted,
    PathCompleted,
    EnrollmentLeft,
]
