"""The artefact aggregate: a member's work samples, revised over time with every revision kept,
optionally attached to a community they belong to. Stream `artefact-<id>`.

Pure: `evolve` folds events into `Artefact`, `decide` turns a command into events or refuses it;
`revisions` reads every revision back from the events. The community arrives in the command as
the author's `CommunityAccess` (`server.domain.communities.access`).

Rules that hold whatever the commands:
- only the author revises or deletes an artefact; a deleted one is never revised again;
- revision 1 is the creation, each revision numbers one more and carries the full content;
  a revision that changes nothing is not recorded;
- an artefact is attached to a community only by one of its members (not banned); a
  members-only community the author cannot see does not exist for them (`NotFound`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted, ArtefactRevised

FORMATS: tuple[str, ...] = ("markdown", "plain")
URL = re.compile(r"^https?://[^\s\x00]+$")
MAX_TITLE = 200
MAX_SUMMARY = 2_000
MAX_BODY = 100_000
MAX_URL = 2_000
MAX_LINKS = 20

Status = Literal["none", "active", "deleted"]
"""`none`: nothing created under this id (the state before the first event)."""


class Content(msgspec.Struct, frozen=True):
    """What one revision of an artefact says."""

    title: str
    summary: str = ""
    body: str = ""
    """As the author wrote it."""
    format: str = "markdown"
    links: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()


EMPTY = Content(title="")


class Artefact(msgspec.Struct, frozen=True):
    id: str
    status: Status = "none"
    author_id: str = ""
    community_id: str | None = None
    """None: only on the author's profile."""
    revision: int = 0
    """The number of the current revision (1 after creation; 0 before)."""
    content: Content = EMPTY
    """The current revision; `EMPTY` before creation and after deletion."""

    @property
    def active(self) -> bool:
        return self.status == "active"


def initial(artefact_id: str) -> Artefact:
    return Artefact(id=artefact_id)


def stream(artefact_id: str) -> str:
    return f"artefact-{artefact_id}"


# -- commands -------------------------------------------------------------------------------


class Create(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor
    title: str
    summary: str = ""
    body: str = ""
    format: str = "markdown"
    links: list[str] = msgspec.field(default_factory=list)
    skills: list[str] = msgspec.field(default_factory=list)
    community: CommunityAccess | None = None
    """The author's access to the community to attach it to (named `community_id` in errors)."""


class Revise(msgspec.Struct, frozen=True, kw_only=True):
    """None keeps a part of the content as it is."""

    actor: Actor
    title: str | None = None
    summary: str | None = None
    body: str | None = None
    format: str | None = None
    links: list[str] | None = None
    skills: list[str] | None = None


class Delete(msgspec.Struct, frozen=True, kw_only=True):
    actor: Actor


Command = Create | Revise | Delete


# -- evolve ---------------------------------------------------------------------------------


def evolve(state: Artefact, event: Event) -> Artefact:
    replace = msgspec.structs.replace
    match event:
        case ArtefactCreated():
            return replace(
                state,
                status="active",
                author_id=event.author_id,
                community_id=event.community_id,
                revision=1,
                content=_content(event),
            )
        case ArtefactRevised():
            return replace(state, revision=event.revision, content=_content(event))
        case ArtefactDeleted():
            return replace(state, status="deleted", content=EMPTY)
    return state


def revisions(events: Iterable[Event]) -> list[Content]:
    """Every revision of the artefact whose events these are, oldest first (revision n at
    index n - 1); none once the artefact is deleted."""
    out: list[Content] = []
    for event in events:
        match event:
            case ArtefactCreated() | ArtefactRevised():
                out.append(_content(event))
            case ArtefactDeleted():
                return []
    return out


def _content(event: ArtefactCreated | ArtefactRevised) -> Content:
    return Content(
        title=event.title,
        summary=event.summary,
        body=event.body,
        format=event.format,
        links=tuple(event.links),
        skills=tuple(event.skills),
    )


# -- decide ---------------------------------------------------------------------------------


def decide(state: Artefact, command: Command) -> list[Event]:
    if isinstance(command, Create):
        return _create(state, command)
    if state.status == "none":
        raise NotFound("no such artefact")
    match command:
        case Revise():
            return _revise(state, command)
        case Delete():
            _require_author(state, command.actor, "delete")
            if state.status == "deleted":
                return []
            return [ArtefactDeleted()]
    raise TypeError(f"not an artefact command: {command!r}")


def _create(state: Artefact, command: Create) -> list[Event]:
    if state.status != "none":
        raise Conflict("this artefact already exists", "artefact_id")
    community_id = None
    if command.community is not None:
        _require_member(command.actor, command.community)
        community_id = command.community.community_id
    content = _valid(
        Content(
            title=command.title,
            summary=command.summary,
            body=command.body,
            format=command.format,
            links=tuple(command.links),
            skills=tuple(command.skills),
        )
    )
    return [
        ArtefactCreated(
            author_id=command.actor.member_id,
            community_id=community_id,
            title=content.title,
            summary=content.summary,
            body=content.body,
            format=content.format,
            links=list(content.links),
            skills=list(content.skills),
        )
    ]


def _revise(state: Artefact, command: Revise) -> list[Event]:
    _require_author(state, command.actor, "revise")
    if not state.active:
        raise Conflict("this artefact was deleted: it cannot be revised", "status")
    current = state.content
    content = _valid(
        Content(
            title=current.title if command.title is None else command.title,
            summary=current.summary if command.summary is None else command.summary,
            body=current.body if command.body is None else command.body,
            format=current.format if command.format is None else command.format,
            links=current.links if command.links is None else tuple(command.links),
            skills=current.skills if command.skills is None else tuple(command.skills),
        )
    )
    if content == current:
        return []
    return [
        ArtefactRevised(
            revision=state.revision + 1,
            title=content.title,
            summary=content.summary,
            body=content.body,
            format=content.format,
            links=list(content.links),
            skills=list(content.skills),
        )
    ]


# -- checks ---------------------------------------------------------------------------------


def _require_author(state: Artefact, actor: Actor, verb: str) -> None:
    if actor.member_id != state.author_id:
        raise Forbidden(f"only the author can {verb} an artefact")


def _require_member(actor: Actor, access: CommunityAccess) -> None:
    """`actor` may attach work to the community: a member, not banned. Members-only
    communities exist only for their members and instance admins."""
    if not (access.visible or (access.exists and actor.admin)):
        raise NotFound("no such community", "community_id")
    if access.banned:
        raise Forbidden("you are banned from this community", "community_id")
    if not access.is_member:
        raise Forbidden("only members of the community can attach work to it", "community_id")


def _valid(content: Content) -> Content:
    """`content` checked and normalised: text trimmed (the body kept as written, or "" if
    blank), links de-duplicated, skills normalised."""
    title = bounded_text(require_text(content.title, "title"), "title", MAX_TITLE)
    body = content.body if content.body.strip() else ""
    if len(body) > MAX_BODY:
        raise Invalid(f"body is at most {MAX_BODY} characters", "body")
    no_nul(body, "body")
    if content.format not in FORMATS:
        raise Invalid(f"format must be one of: {', '.join(FORMATS)}", "format")
    return Content(
        title=title,
        summary=bounded_text(content.summary, "summary", MAX_SUMMARY),
        body=body,
        format=content.format,
        links=tuple(_links(content.links)),
        skills=tuple(valid_skills(content.skills)),
    )


def _links(links: Iterable[str]) -> list[str]:
    urls = list(dict.fromkeys(link.strip() for link in links))
    if len(urls) > MAX_LINKS:
        raise Invalid(f"at most {MAX_LINKS} links", "links")
    for url in urls:
        if len(url) > MAX_URL or not URL.match(url):
            raise Invalid("a link is an http:// or https:// address", "links")
    return urls
