"""Artefacts: work samples a member shows — a write-up, a project, a design — with links and the
skills it demonstrates, optionally attached to a community.

Stream: `artefact-<id>` holds one artefact's whole history. Every version is kept: the creation
is revision 1 and each `artefact.revised` carries the full content of the next revision, so any
revision can be read back from the log without replaying diffs.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.events.registry import Event
from server.events.types.fields import Id, LongText, ShortText, Skills, Summary, TextFormat, Urls


class ArtefactCreated(Event, frozen=True, tag="artefact.created"):
    """An artefact was created: its revision 1. Stream: `artefact-<id>`; always its first event."""

    author_id: Id
    title: ShortText
    summary: Summary = ""
    body: LongText = ""
    format: TextFormat = "markdown"
    links: Urls = msgspec.field(default_factory=list)
    skills: Skills = msgspec.field(default_factory=list)
    community_id: Id | None = None
    """None: the artefact is only on the author's profile."""


class ArtefactRevised(Event, frozen=True, tag="artefact.revised"):
    """The author revised the artefact: the full content of revision `revision` (not a diff)."""

    revision: Annotated[int, msgspec.Meta(ge=2)]
    title: ShortText
    summary: Summary = ""
    body: LongText = ""
    format: TextFormat = "markdown"
    links: Urls = msgspec.field(default_factory=list)
    skills: Skills = msgspec.field(default_factory=list)


class ArtefactDeleted(Event, frozen=True, tag="artefact.deleted"):
    """The author deleted the artefact: a tombstone. No revision of it is served any more."""


TYPES: list[type[Event]] = [ArtefactCreated, ArtefactRevised, ArtefactDeleted]
