"""Our content as ActivityStreams objects, for other servers: posts as `Note`, artefacts and
learning paths as `Article` — what Mastodon renders (`name`, `summary`, `content`, `url`) —
with Learnwork's own terms beside them (`LEARNWORK_NS`: skills, revision, links, a path's
steps), so that another Learnwork instance can rebuild the whole object.

Only what anyone may read is ever converted: the callers never pass content of a members-only
community (docs/federation.md). Addressing follows: public, the author's followers in `cc`,
and a community's posts also to the community (FEP-1b12 `audience`), which announces them to
its own followers.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from server.federation.jsonld import ACTIVITYSTREAMS, LEARNWORK_TERMS, PUBLIC
from server.federation.urls import Urls
from server.projections.artefacts import ArtefactView
from server.projections.paths import PathView
from server.projections.posts import PostView

LEARNWORK_NS = LEARNWORK_TERMS["learnwork"]
"""The namespace of Learnwork's own terms (docs/federation.md, Objects)."""
CONTEXT: list[Any] = [ACTIVITYSTREAMS, LEARNWORK_TERMS]
"""ActivityStreams, and Learnwork's terms inline (as https://w3id.org/learnwork/ns defines
them, schemas/contexts/learnwork.jsonld): a server that does not know that URL need not fetch
it."""


def note(urls: Urls, post: PostView) -> dict[str, Any]:
    """A published post."""
    author = urls.member(post.author.id)
    document = {
        "@context": CONTEXT,
        "id": urls.post(post.id),
        "type": "Note",
        "attributedTo": author.id,
        "content": post.html,
        "mediaType": "text/html",
        "source": {"content": post.body, "mediaType": _media_type(post.format)},
        "published": timestamp(post.published_at),
        "url": urls.post(post.id),
        **addressing(urls, author.followers, post.community_id),
    }
    if post.in_reply_to is not None:
        document["inReplyTo"] = urls.post(post.in_reply_to)
    elif post.in_reply_to_remote is not None:
        document["inReplyTo"] = post.in_reply_to_remote
    if post.group_remote is not None:
        document["to"] = [*document["to"], post.group_remote]
        document["audience"] = post.group_remote
    if post.edited_at is not None:
        document["updated"] = timestamp(post.edited_at)
    return document


def artefact(urls: Urls, made: ArtefactView) -> dict[str, Any]:
    """An artefact's current revision: a work sample with its links and skills; `updated`
    once revised (Mastodon applies an `Update` only when it moves `updated` on)."""
    author = urls.member(made.author.id)
    document = {
        "@context": CONTEXT,
        "id": urls.artefact(made.id),
        "type": "Article",
        "attributedTo": author.id,
        "name": made.title,
        "summary": html.escape(made.summary),
        "content": made.html,
        "mediaType": "text/html",
        "url": urls.artefact(made.id),
        "published": timestamp(made.created_at),
        "revision": made.revision,
        "links": list(made.links),
        "skills": list(made.skills),
        "tag": _hashtags(made.skills),
        **addressing(urls, author.followers, made.community_id),
    }
    if made.revision > 1:
        document["updated"] = timestamp(made.revised_at)
    return document


def path(urls: Urls, learning: PathView) -> dict[str, Any]:
    """A published learning path: its steps as a readable list in `content` (what Mastodon
    shows), and as `steps` (what a Learnwork instance rebuilds the path from)."""
    creator = urls.member(learning.creator.id)
    return {
        "@context": CONTEXT,
        "id": urls.path(learning.id),
        "type": "Article",
        "attributedTo": creator.id,
        "name": learning.title,
        "summary": html.escape(learning.summary),
        "content": _steps_html(learning),
        "mediaType": "text/html",
        "url": urls.path(learning.id),
        "published": timestamp(learning.published_at or learning.created_at),
        "updated": timestamp(learning.updated_at),
        "skills": list(learning.skills),
        "tag": _hashtags(learning.skills),
        "steps": [
            {
                "type": "Step",
                "name": step.title,
                "kind": step.kind,
                **({"url": step.url} if step.url else {}),
                **({"ref": _ref(urls, step.kind, step.ref_id)} if step.ref_id else {}),
                **({"content": html.escape(step.text)} if step.text else {}),
                **(
                    {"estimatedMinutes": step.estimated_minutes}
                    if step.estimated_minutes is not None
                    else {}
                ),
            }
            for step in learning.steps
        ],
        **addressing(urls, creator.followers, learning.community_id),
    }


def undo(
    activity_id: str, actor: str, undone: dict[str, Any], context: Any = ACTIVITYSTREAMS
) -> dict[str, Any]:
    """`actor`'s `Undo` of `undone` (an activity of theirs, embedded without its `@context`),
    addressed as `undone` was."""
    inner = {name: value for name, value in undone.items() if name != "@context"}
    addressing = {name: inner[name] for name in ("to", "cc") if name in inner}
    return {
        "@context": context,
        "id": activity_id,
        "type": "Undo",
        "actor": actor,
        "object": inner,
        **addressing,
    }


def tombstone(object_id: str, former_type: str) -> dict[str, Any]:
    """What an object deleted (or removed) is from then on."""
    return {"@context": CONTEXT, "id": object_id, "type": "Tombstone", "formerType": former_type}


def addressing(urls: Urls, followers: str, community_id: str | None) -> dict[str, Any]:
    """`to`, `cc` (and `audience`) of an object, or of an activity about it, whose author's
    followers collection is `followers`, in community `community_id` (None: a profile)."""
    if community_id is None:
        return {"to": [PUBLIC], "cc": [followers]}
    community = urls.community(community_id).id
    return {"to": [PUBLIC, community], "cc": [followers], "audience": community}


def _steps_html(learning: PathView) -> str:
    items = []
    for step in learning.steps:
        title = html.escape(step.title)
        if step.url:
            title = f'<a href="{html.escape(step.url)}" rel="nofollow noopener">{title}</a>'
        items.append(f"<li>{title}</li>")
    summary = f"<p>{html.escape(learning.summary)}</p>" if learning.summary else ""
    return f"{summary}<ol>{''.join(items)}</ol>"


def _ref(urls: Urls, kind: str, ref_id: str) -> str:
    return urls.artefact(ref_id) if kind == "artefact" else urls.post(ref_id)


def _hashtags(skills: list[str]) -> list[dict[str, str]]:
    return [{"type": "Hashtag", "name": "#" + "".join(s.title().split())} for s in skills]


def _media_type(format: str) -> str:
    return "text/markdown" if format == "markdown" else "text/plain"


def timestamp(at: datetime) -> str:
    """`at` as ActivityStreams writes times (UTC, `Z`)."""
    return at.isoformat().replace("+00:00", "Z")


def page(document: dict[str, Any]) -> str:
    """A minimal web page for an object: its name, and its content (HTML sanitised when it was
    written; a name or summary is escaped here)."""
    name = html.escape(document.get("name") or document["type"])
    body = document.get("content", "")
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{name}</title>"
        '<link rel=alternate type="application/activity+json"'
        f' href="{html.escape(document["id"])}">'
        f"</head><body><h1>{name}</h1>{body}</body></html>"
    )
