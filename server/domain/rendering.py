"""Bodies to safe HTML. Members write Markdown (CommonMark) or plain text; the log keeps what they
wrote, and read models call `render` when they are built.

Whatever the format, the HTML passes through nh3 (Rust's ammonia) before it is returned: an
allow-list of tags and attributes, only http, https and mailto URLs (relative ones pass: they
carry no scheme), `rel="nofollow noopener noreferrer"` on every link. The Markdown parser runs
with raw HTML off, so HTML a member types shows as text; nh3 is the guarantee, not the parser.
The one exception: a single line of characters that cannot make markup (ASCII letters, digits,
spaces, plain punctuation) is wrapped in <p> as it is, without the parser or nh3.
No images: a Markdown image becomes a link to it.
"""

from __future__ import annotations

import html
import re
from typing import Final

import nh3
from markdown_it import MarkdownIt

FORMATS: Final = ("markdown", "plain")

ALLOWED_TAGS: Final = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
ALLOWED_ATTRIBUTES: Final = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
LINK_REL: Final = "nofollow noopener noreferrer"

# CommonMark with raw HTML off (the preset turns it on), no linkify, no typographic rewriting;
# plus ~~strikethrough~~ (rendered as <s>); images off, so `![alt](url)` renders as `!` + a link.
_MARKDOWN = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("strikethrough")
    .disable("image")
)

# Built once: configuring a cleaner per call cost as much as the cleaning itself.
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)

# Text CommonMark can only read as one paragraph of itself: one line, starting with a letter
# (so no list, heading, quote or code block), of ASCII letters, digits, spaces and punctuation
# that opens nothing (no emphasis, code, link, image, entity, escape or HTML), and no space at
# either end. Most posts are such a line; the parser and the cleaner took ~45 µs for one, this
# takes ~1 µs (tests/domain/test_rendering.py checks it against both).
_ONE_PLAIN_LINE = re.compile(r"[A-Za-z]([A-Za-z0-9 ,.;:!?'()/-]*[A-Za-z0-9,.;:!?'()/-])?")

_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def render(body: str, format: str) -> str:
    """Safe HTML for `body` written in `format` ("markdown" or "plain"); "" for a blank body.

    Raises ValueError for any other format (events only ever hold the two).
    """
    if format == "markdown":
        if _ONE_PLAIN_LINE.fullmatch(body):
            return f"<p>{body}</p>"  # no character of it can make markup: nothing to clean
        unsafe = _markdown(body)
    elif format == "plain":
        unsafe = _plain(body)
    else:
        raise ValueError(f"unknown text format {format!r}")
    return sanitise(unsafe).strip()


def render_all(texts: list[tuple[str, str]]) -> list[str]:
    """`render` for each (body, format): a batch to render in another process."""
    return [render(body, format) for body, format in texts]


def _markdown(body: str) -> str:
    return _MARKDOWN.render(body)


def sanitise(fragment: str) -> str:
    """`fragment` with everything outside the allow-list removed (script and style elements
    with their content, other unknown tags keeping their text)."""
    return _CLEANER.clean(fragment)


def _plain(body: str) -> str:
    """Plain text as paragraphs: a blank line separates two, a line break stays one."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = _BLANK_LINES.split(text)
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )
