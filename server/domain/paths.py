"""The learning path aggregate: an ordered list of steps put together in a community, edited as
a draft, published for learners to enroll in, archived when retired. Stream `path-<id>`.

Pure: `evolve` folds events into `Path`, `decide` turns a command into events or refuses it.
The community arrives in every command as the actor's `CommunityAccess`
(`server.domain.communities.access`); whether a step's artefact or post exists arrives as
`NewStep.ref_exists`. Step ids are chosen by the caller (the domain has no randomness).

Rules that hold whatever the commands:
- a path lives in one community: it is created by a member who is not banned, and a
  members-only community's paths do not exist for outsiders (`NotFound`), admins aside;
- it is edited (description, steps, publication, archiving) by its creator, a moderator or
  owner of the community, or an instance admin — never by someone banned from the community,
  and never once archived;
- a step id names one step for the life of the path: never two at once, never reused after a
  removal — progress is kept by step id (see `server.domain.enrollments`);
- a path has at most 200 steps; it is published only with at least one, and a published path
  keeps at least one;
- publishing or archiving twice, removing a removed step, reordering into the same order or an
  edit that changes nothing records nothing.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

from server.domain.common import (
    Actor,
    CommunityAccess,
    bounded_text,
    no_nul,
    require_text,
    valid_skills,
)
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types.paths import (
    MAX_STEPS,
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

KINDS: tuple[str, ...] = ("resource", "artefact", "post", "text")
REF_KINDS: tuple[str, ...] = ("artefact", "post")
URL = re.compile(r"^https?://[^\s\x00]+$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_TITLE = 200
MAX_SUMMARY = 2_000
MAX_TEXT = 5_000
MAX_URL = 2_000
MAX_MINUTES = 10_000

Status = Literal["none", "draft", "published", "archived"]
"""`none`: nothing created under this id (the state before the first event)."""


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """One step as it reads now. See `server.events.types.paths.PathStep` for the fields."""

    step_id: str
    kind: str
    title: str
    url: str | None = None
    ref_id: str | None = None
    text: str = ""
    estimated_minutes: int | None = None


class Path(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    community_id: str = ""
    creator_id: str = ""
    title: str = ""
    summary: str = ""
    skills: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    """In the path's order."""
    retired_step_ids: frozenset[str] = frozenset()
    """Ids of steps removed from the path: never used again in it."""

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.step_id for step in self.steps)

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def archived(self) -> bool:
        return self.status == "archived"

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.step_id == step_id), None)


def initial(path_id: str) -> Path:
    return Path(id=path_id)


def stream(path_id: str) -> str:
    return f"path-{path_id}"


# -- commands -------------------------------------------------------------------------------


class NewStep(msgspec.Struct, frozen=True, kw_only=True):
    """A step to add: the caller picks a fresh `step_id` (a UUID)."""

    step_id: str
    kind: str
    title: str
    url: str | None = None
    """Required for a `resource` step (http or https), refused for the others."""
    ref_id: str | None = None
    """The artefact or post of an `artefact` / `post` step; refused for the others."""
    ref_exists: bool = False
    """Whether `ref_id` names a live artefact (for `artefact`) or post (for `post`) that the
    actor may see — checked by the service."""
    text: str = ""
    """Required for a `text` step; an optional note for the others."""
    estimated_minutes: int | None = None


class Create(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess
    """The actor's access to the path's community (named `community_id` in errors)."""
    title: str
    summary: str = ""
    skills: list[str] = msgspec.field(default_factory=list)
    steps: list[NewStep] = msgspec.field(default_factory=list)
    """Errors name the step at fault: `steps[2].title`."""


class Update(msgspec.Struct, frozen=True, kw_only=True):
    """None keeps a field as it is."""

    actor: Actor
    community: CommunityAccess
    title: str | None = None
    summary: str | None = None
    skills: list[str] | None = None


class AddStep(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess
    step: NewStep
    """Errors name its fields without a prefix (`title`, `url`, …)."""
    position: int | None = None
    """Where it goes, 0-based (0: first; the number of steps: last); None appends."""


class UpdateStep(msgspec.Struct, frozen=True, kw_only=True):
    """None keeps a field as it is, except `estimated_minutes`: UNSET keeps, None clears.

    Changing `kind` drops what the new kind has no use for (`url` unless `resource`, `ref_id`
    unless the same kind as before) and requires what it needs (a new `url` / `ref_id`)."""

    actor: Actor
    community: CommunityAccess
    step_id: str
    kind: str | None = None
    title: str | None = None
    url: str | None = None
    ref_id: str | None = None
    ref_exists: bool = False
    """As for `NewStep`; consulted only when `ref_id` is given."""
    text: str | None = None
    estimated_minutes: int | msgspec.UnsetType | None = msgspec.UNSET


class RemoveStep(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess
    step_id: str


class ReorderSteps(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess
    step_ids: list[str]
    """Every current step id, each once, in the new order."""


class Publish(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess


class Archive(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    community: CommunityAccess


Command = Create | Update | AddStep | UpdateStep | RemoveStep | ReorderSteps | Publish | Archive


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: Path, event: Event) -> Path:
    replace = msgspec.structs.replace
    match event:
        case PathCreated():
            return replace(
                state,
                status="draft",
                community_id=event.community_id,
                creator_id=event.by,
                title=event.title,
                summary=event.summary,
                skills=tuple(event.skills),
                steps=tuple(_from_event(step) for step in event.steps),
            )
        case PathUpdated():
            return replace(
                state, title=event.title, summary=event.summary, skills=tuple(event.skills)
            )
        case PathStepAdded():
            steps = list(state.steps)
            steps.insert(event.position, _from_event(event.step))
            return replace(state, steps=tuple(steps))
        case PathStepUpdated():
            new = _from_event(event.step)
            return replace(
                state,
                steps=tuple(new if step.step_id == new.step_id else step for step in state.steps),
            )
        case PathStepRemoved():
            return replace(
                state,
                steps=tuple(step for step in state.steps if step.step_id != event.step_id),
                retired_step_ids=state.retired_step_ids | {event.step_id},
            )
        case PathStepsReordered():
            by_id = {step.step_id: step for step in state.steps}
            return replace(state, steps=tuple(by_id[step_id] for step_id in event.step_ids))
        case PathPublished():
            return replace(state, status="published")
        case PathArchived():
            return replace(state, status="archived")
    return state


def _from_event(step: PathStep) -> Step:
    return Step(**msgspec.structs.asdict(step))


def _to_event(step: Step) -> PathStep:
    return PathStep(**msgspec.structs.asdict(step))


# -- decide ---------------------------------------------------------------------------------


def decide(state: Path, command: Command) -> list[Event]:
    if isinstance(command, Create):
        return _create(state, command)
    if state.status == "none":
        raise NotFound("no such path")
    _require_editor(state, command.actor, command.community)
    by = command.actor.member_id
    if isinstance(command, Archive):
        return [] if state.archived else [PathArchived(by=by)]
    if state.archived:
        raise Conflict("this path is archived: it cannot be changed", "status")
    match command:
        case Update():
            return _update(state, command)
        case AddStep():
            return _add_step(state, command)
        case UpdateStep():
            return _update_step(state, command)
        case RemoveStep():
            return _remove_step(state, command)
        case ReorderSteps():
            return _reorder(state, command)
        case Publish():
            if state.published:
                return []
            if not state.steps:
                raise Conflict("a path needs at least one step to be published", "steps")
            return [PathPublished(by=by)]
    raise TypeError(f"not a path command: {command!r}")


def _create(state: Path, command: Create) -> list[Event]:
    if state.status != "none":
        raise Conflict("this path already exists", "path_id")
    _require_member(command.actor, command.community)
    if len(command.steps) > MAX_STEPS:
        raise Invalid(f"a path has at most {MAX_STEPS} steps", "steps")
    steps: list[Step] = []
    for index, new in enumerate(command.steps):
        prefix = f"steps[{index}]."
        step = _new_step(new, prefix)
        if any(step.step_id == other.step_id for other in steps):
            raise Invalid("two steps have the same step_id", prefix + "step_id")
        steps.append(step)
    return [
        PathCreated(
            community_id=command.community.community_id,
            by=command.actor.member_id,
            title=_title(command.title, "title"),
            summary=bounded_text(command.summary, "summary", MAX_SUMMARY),
            skills=valid_skills(command.skills),
            steps=[_to_event(step) for step in steps],
        )
    ]


def _update(state: Path, command: Update) -> list[Event]:
    title = state.title if command.title is None else _title(command.title, "title")
    summary = (
        state.summary
        if command.summary is None
        else bounded_text(command.summary, "summary", MAX_SUMMARY)
    )
    skills = state.skills if command.skills is None else tuple(valid_skills(command.skills))
    if (title, summary, skills) == (state.title, state.summary, state.skills):
        return []
    return [
        PathUpdated(by=command.actor.member_id, title=title, summary=summary, skills=list(skills))
    ]


def _add_step(state: Path, command: AddStep) -> list[Event]:
    step = _new_step(command.step, "")
    existing = state.step(step.step_id)
    if existing is not None:
        if existing == step:
            return []  # the same step added again (a retried request)
        raise Conflict("the path already has a step with this id", "step_id")
    if step.step_id in state.retired_step_ids:
        raise Conflict("this step id was used by a removed step: choose a new one", "step_id")
    if len(state.steps) >= MAX_STEPS:
        raise Conflict(f"a path has at most {MAX_STEPS} steps", "steps")
    position = len(state.steps) if command.position is None else command.position
    if type(position) is not int or not 0 <= position <= len(state.steps):
        raise Invalid(f"position is between 0 and {len(state.steps)}", "position")
    return [PathStepAdded(by=command.actor.member_id, position=position, step=_to_event(step))]


def _update_step(state: Path, command: UpdateStep) -> list[Event]:
    current = state.step(command.step_id)
    if current is None:
        raise NotFound("the path has no such step", "step_id")
    kind = current.kind if command.kind is None else command.kind
    if command.url is not None:
        url = command.url
    else:
        url = current.url if kind == "resource" else None
    if command.ref_id is not None:
        ref_id, ref_exists = command.ref_id, command.ref_exists
    else:
        ref_id, ref_exists = (current.ref_id, True) if kind == current.kind else (None, False)
    minutes = command.estimated_minutes
    step = _new_step(
        NewStep(
            step_id=current.step_id,
            kind=kind,
            title=current.title if command.title is None else command.title,
            url=url,
            ref_id=ref_id,
            ref_exists=ref_exists,
            text=current.text if command.text is None else command.text,
            estimated_minutes=current.estimated_minutes if minutes is msgspec.UNSET else minutes,
        ),
        "",
    )
    if step == current:
        return []
    return [PathStepUpdated(by=command.actor.member_id, step=_to_event(step))]


def _remove_step(state: Path, command: RemoveStep) -> list[Event]:
    if command.step_id in state.retired_step_ids:
        return []
    if state.step(command.step_id) is None:
        raise NotFound("the path has no such step", "step_id")
    if state.published and len(state.steps) == 1:
        raise Conflict("a published path keeps at least one step", "step_id")
    return [PathStepRemoved(by=command.actor.member_id, step_id=command.step_id)]


def _reorder(state: Path, command: ReorderSteps) -> list[Event]:
    order = list(command.step_ids)
    if len(order) != len(state.steps) or set(order) != set(state.step_ids):
        raise Invalid("step_ids lists every step of the path, each once", "step_ids")
    if tuple(order) == state.step_ids:
        return []
    return [PathStepsReordered(by=command.actor.member_id, step_ids=order)]


# -- checks ---------------------------------------------------------------------------------


def sees(actor: Actor, access: CommunityAccess) -> bool:
    """Members-only communities (and their paths) exist for their members and for instance
    admins only."""
    return access.visible or (access.exists and actor.admin)


def access_for(path: Path, community: CommunityAccess | None) -> CommunityAccess:
    """The access the service passed for `path`'s community. A missing or mismatched one is a
    bug in the caller, not a refusal."""
    if community is None or community.community_id != path.community_id:
        raise ValueError(f"the command needs the actor's access to community {path.community_id}")
    return community


def _require_editor(state: Path, actor: Actor, community: CommunityAccess) -> None:
    access = access_for(state, community)
    if not sees(actor, access):
        raise NotFound("no such path")
    if actor.admin:
        return
    if access.banned:
        raise Forbidden("you are banned from this community")
    if not (actor.member_id == state.creator_id or access.is_moderator):
        raise Forbidden("only the path's creator or a moderator of its community can change it")


def _require_member(actor: Actor, access: CommunityAccess) -> None:
    if not sees(actor, access):
        raise NotFound("no such community", "community_id")
    if access.banned:
        raise Forbidden("you are banned from this community", "community_id")
    if not access.is_member:
        raise Forbidden("only members of the community can create paths in it", "community_id")


def _new_step(new: NewStep, prefix: str) -> Step:
    """`new` checked and normalised; errors name `prefix + field`."""
    if not isinstance(new.step_id, str) or not UUID.match(new.step_id):
        raise Invalid("step_id is a lower-case UUID", prefix + "step_id")
    if new.kind not in KINDS:
        raise Invalid(f"kind must be one of: {', '.join(KINDS)}", prefix + "kind")
    url = None
    if new.kind == "resource":
        if new.url is None or not new.url.strip():
            raise Invalid("a resource step needs a url", prefix + "url")
        url = new.url.strip()
        if len(url) > MAX_URL or not URL.match(url):
            raise Invalid(
                f"url is an http:// or https:// address of at most {MAX_URL} characters",
                prefix + "url",
            )
    elif new.url is not None:
        raise Invalid("only a resource step has a url", prefix + "url")
    ref_id = None
    if new.kind in REF_KINDS:
        if new.ref_id is None or not new.ref_id.strip():
            raise Invalid(f"an {new.kind} step needs a ref_id", prefix + "ref_id")
        if not UUID.match(new.ref_id) or not new.ref_exists:
            raise NotFound(f"no such {new.kind}", prefix + "ref_id")
        ref_id = new.ref_id
    elif new.ref_id is not None:
        raise Invalid("only an artefact or a post step has a ref_id", prefix + "ref_id")
    text = new.text if new.text.strip() else ""
    if new.kind == "text" and not text:
        raise Invalid("a text step needs its text", prefix + "text")
    if len(text) > MAX_TEXT:
        raise Invalid(f"text is at most {MAX_TEXT} characters", prefix + "text")
    no_nul(text, prefix + "text")
    minutes = new.estimated_minutes
    if minutes is not None and (type(minutes) is not int or not 1 <= minutes <= MAX_MINUTES):
        raise Invalid(
            f"estimated_minutes is a whole number from 1 to {MAX_MINUTES}",
            prefix + "estimated_minutes",
        )
    return Step(
        step_id=new.step_id,
        kind=new.kind,
        title=_title(new.title, prefix + "title"),
        url=url,
        ref_id=ref_id,
        text=text,
        estimated_minutes=minutes,
    )


def _title(value: str, field: str) -> str:
    return bounded_text(require_text(value, field), field, MAX_TITLE)
