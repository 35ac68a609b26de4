"""What every aggregate's decider shares: who is acting, and text normalisation."""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from server.domain.errors import Invalid


class Actor(msgspec.Struct, frozen=True):
    """The member a command is performed by, as authentication established it: active (not
    pending, not suspended) — the API refuses anyone else before a decider runs."""

    member_id: str
    admin: bool = False


_SPACES = re.compile(r"\s+")
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_id(text: str) -> bool:
    """`text` is an entity id: a UUID in canonical lower-case form (as `fields.Id` stores it).
    Anything else names no entity — a handle, a slug, or nothing at all."""
    return _ID.fullmatch(text) is not None


def normalise_skills(skills: list[str], field: str = "skills") -> list[str]:
    """Trim, lower-case and collapse spaces; drop repeats, keeping the first order."""
    seen: dict[str, None] = {}
    for skill in skills:
        name = _SPACES.sub(" ", skill).strip().lower()
        if not name:
            raise Invalid("a skill needs at least one visible character", field)
        seen.setdefault(name, None)
    return list(seen)


MAX_SKILL = 50
MAX_SKILLS = 30


def bounded_text(value: str, field: str, limit: int) -> str:
    """`value` trimmed, refused if longer than `limit` or holding NUL. `field` may be a path
    (`steps[2].title`); the message names its last part."""
    text = value.strip()
    if len(text) > limit:
        raise Invalid(f"{field.rpartition('.')[2]} is at most {limit} characters", field)
    no_nul(text, field)
    return text


def no_nul(text: str, field: str) -> None:
    """The log (PostgreSQL jsonb) cannot hold U+0000: refused here, naming the field."""
    if "\x00" in text:
        raise Invalid(f"{field.rpartition('.')[2]} may not contain the NUL character", field)


def valid_skills(skills: Iterable[str]) -> list[str]:
    """`normalise_skills`, within the limits every skill list shares."""
    names = normalise_skills(list(skills))
    if len(names) > MAX_SKILLS:
        raise Invalid(f"at most {MAX_SKILLS} skills", "skills")
    if any(len(name) > MAX_SKILL for name in names):
        raise Invalid(f"a skill is at most {MAX_SKILL} characters", "skills")
    for name in names:
        no_nul(name, "skills")
    return names


def require_text(value: str, field: str) -> str:
    """A required text field, trimmed; refused if only whitespace."""
    text = value.strip()
    if not text:
        raise Invalid(f"{field} must not be empty", field)
    return text


class CommunityAccess(msgspec.Struct, frozen=True, kw_only=True):
    """What one member may do in one community: the facts other aggregates' deciders need
    (posts, artefacts, paths), computed from the community's state by
    `server.domain.communities.access` so those deciders never read another aggregate."""

    community_id: str
    exists: bool
    members_only: bool = False
    is_member: bool = False
    is_moderator: bool = False
    """A moderator or an owner."""
    is_owner: bool = False
    banned: bool = False

    @property
    def visible(self) -> bool:
        """Members-only communities do not exist for non-members (404, not 403)."""
        return self.exists and (not self.members_only or self.is_member)
