"""Reading another server's `Note` or `Article` into what we keep of it (`RemoteContent` and
a `RemoteObjectReceived`): HTML sanitised, texts and lists cut to our limits, links kept only
when they are http(s) URLs. Learnwork's own terms (skills, revision, steps) say whether an
`Article` is an artefact or a learning path; anything else is read as a post."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from server.domain.endorsements import skill_name
from server.domain.rendering import sanitise
from server.events.types.remote import RemoteContent, RemoteObjectReceived, RemoteStep

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_NAMES = frozenset({PUBLIC, "as:Public", "Public"})
TYPES = ("Note", "Article")
MAX_HTML = 100_000
MAX_STEPS = 200


class Unreadable(ValueError):
    """The object is not one we can keep: says which field and why."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def content(document: dict[str, Any]) -> RemoteContent:
    kind = document.get("type")
    if kind not in TYPES:
        raise Unreadable("type", f"a {kind!r} is not kept here (only {', '.join(TYPES)})")
    steps = document.get("steps")
    if kind == "Article" and isinstance(steps, list):
        learnwork_kind = "path"
    elif kind == "Article" and "revision" in document:
        learnwork_kind = "artefact"
    else:
        learnwork_kind = "post"
    revision = document.get("revision")
    return RemoteContent(
        type=kind,  # type: ignore[arg-type]
        learnwork_kind=learnwork_kind,  # type: ignore[arg-type]
        name=text(document.get("name"), 200),
        summary=sanitise(text(document.get("summary"), MAX_HTML)),
        content=sanitise(_html(document)),
        url=link(document.get("url")),
        skills=_skills(document.get("skills")),
        steps=[_step(s) for s in steps[:MAX_STEPS] if isinstance(s, dict)]
        if learnwork_kind == "path"
        else [],
        revision=revision if isinstance(revision, int) and revision >= 0 else None,
    )


def received(document: dict[str, Any], activity_id: str) -> RemoteObjectReceived:
    """The object `document` (whose id and `attributedTo` the caller checked), arrived by
    `activity_id`."""
    return RemoteObjectReceived(
        object_id=document["id"],
        author=actor_of(document.get("attributedTo")) or "",
        activity_id=activity_id,
        content=content(document),
        published=moment(document.get("published")) or datetime.now(UTC),
        in_reply_to=link(document.get("inReplyTo")),
        audience=link(document.get("audience")),
        public=is_public(document),
    )


def is_public(document: dict[str, Any]) -> bool:
    return any(r in PUBLIC_NAMES for r in (*ids(document.get("to")), *ids(document.get("cc"))))


def ids(value: object) -> list[str]:
    """The ids a property names: a string, an object with an id, or a list of those."""
    values = value if isinstance(value, list) else [value]
    found = []
    for item in values:
        if isinstance(item, dict):
            item = item.get("id")
        if isinstance(item, str):
            found.append(item)
    return found


def actor_of(value: object) -> str | None:
    """The one actor an `attributedTo` names (the first, when several are named)."""
    named = ids(value)
    return named[0] if named else None


def link(value: object) -> str | None:
    """An http(s) URL from an id, a `Link` or an object (the first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href") or value.get("id") or value.get("url")
    if (
        isinstance(value, str)
        and urlsplit(value).scheme in ("http", "https")
        and len(value) <= 2_000
    ):
        return value
    return None


def text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _html(document: dict[str, Any]) -> str:
    body = document.get("content")
    if not isinstance(body, str):
        languages = document.get("contentMap")
        body = next(iter(languages.values()), "") if isinstance(languages, dict) else ""
    return text(body, MAX_HTML)


def _skills(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    names = dict.fromkeys(skill_name(s)[:50] for s in value if isinstance(s, str))
    return [name for name in names if name][:30]


def _step(document: dict[str, Any]) -> RemoteStep:
    minutes = document.get("estimatedMinutes")
    return RemoteStep(
        title=text(document.get("name"), 200),
        kind=text(document.get("kind"), 20),
        url=link(document.get("url")),
        ref=link(document.get("ref")),
        text=sanitise(text(document.get("content"), 2_000))[:2_000],
        estimated_minutes=minutes if isinstance(minutes, int) and 0 <= minutes < 100_000 else None,
    )
