"""Field types shared by event payloads: constraints that hold for every event that uses them.

A constraint here is checked when an event is encoded, so no event breaking it can be stored.
Loosening one is safe; tightening one would make stored events unreadable, so it needs a new
schema version and an upcaster instead.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Id = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
"""A lower-case UUID in its canonical text form: every entity's id."""

Handle = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,30}$")]
"""A member's handle, already lower-cased (handles are unique case-insensitively)."""

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
"""A community's address part: lower-case letters, digits and inner hyphens."""

Skill = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
"""A short skill name, e.g. "sql" or "incident review"; normalised (trimmed, lower case)."""

Skills = Annotated[list[Skill], msgspec.Meta(max_length=30)]

ShortText = Annotated[str, msgspec.Meta(max_length=200)]
"""Names, titles, headlines."""

Summary = Annotated[str, msgspec.Meta(max_length=2_000)]

LongText = Annotated[str, msgspec.Meta(max_length=100_000)]
"""Bodies as the member wrote them (Markdown or plain text)."""

Url = Annotated[str, msgspec.Meta(max_length=2_000, pattern=r"^https?://[^\s]+$")]

Urls = Annotated[list[Url], msgspec.Meta(max_length=20)]

TextFormat = Annotated[str, msgspec.Meta(pattern=r"^(markdown|plain)$")]
"""How a body is rendered: "markdown" (CommonMark) or "plain"."""
