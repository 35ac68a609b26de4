"""Actors as ActivityStreams documents: members as `Person`, communities as `Group` (FEP-1b12),
the instance as `Application` (it signs the instance's own fetches) — and as a minimal web page
for a browser that follows an actor's id.

Each has its inbox, outbox, followers and following, the shared inbox, its RSA `publicKey`
(HTTP signatures) owned by the actor, and its Ed25519 key as a Multikey `assertionMethod`
(FEP-521a: what its activities' integrity proofs are signed with). Text is plain in the read
models; `summary` is HTML, so it is escaped here.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from server.federation.keys import ActorKeys
from server.federation.multikey import multikey
from server.federation.urls import Actor, Urls
from server.projections.communities import CommunityView
from server.projections.members import MemberView

CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "https://w3id.org/security/multikey/v1",
    {
        "assertionMethod": {
            "@id": "https://w3id.org/security#assertionMethod",
            "@type": "@id",
            "@container": "@set",
        }
    },
]
"""ActivityStreams, the security terms of `publicKey`, and the Multikey ones (FEP-521a) — with
`assertionMethod` defined inline, as none of those contexts defines it at the top level."""
APPLICATION_NAME = "Learnwork"


def person(urls: Urls, member: MemberView, keys: ActorKeys) -> dict[str, Any]:
    """A member; it follows members (`following`), where groups and the instance follow no one."""
    actor = urls.member(member.id)
    about = [t for t in (member.headline, member.bio) if t]
    document = _actor(
        actor,
        urls,
        "Person",
        username=member.handle,
        name=member.display_name,
        summary=_paragraphs(about),
        published=member.registered_at,
        keys=keys,
        manually_approves=False,
    )
    document["following"] = actor.following
    return document


def group(urls: Urls, community: CommunityView, keys: ActorKeys) -> dict[str, Any]:
    """A public community. Following it is joining it: one that approves or invites members
    approves its followers by hand."""
    return _actor(
        urls.community(community.id),
        urls,
        "Group",
        username=community.slug,
        name=community.name,
        summary=_paragraphs([community.description] if community.description else []),
        published=community.created_at,
        keys=keys,
        manually_approves=community.join_policy != "open",
    )


def application(urls: Urls, keys: ActorKeys) -> dict[str, Any]:
    """The instance's own actor: what signs fetches made for the instance rather than for one
    of its members ("authorized fetch")."""
    document = _actor(
        urls.instance,
        urls,
        "Application",
        username=urls.host,
        name=APPLICATION_NAME,
        summary="",
        published=None,
        keys=keys,
        manually_approves=True,
    )
    document["url"] = urls.base
    return document


def _actor(
    actor: Actor,
    urls: Urls,
    kind: str,
    *,
    username: str,
    name: str,
    summary: str,
    published: datetime | None,
    keys: ActorKeys,
    manually_approves: bool,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": actor.id,
        "type": kind,
        "preferredUsername": username,
        "name": name,
        "summary": summary,
        "url": actor.id,
        "inbox": actor.inbox,
        "outbox": actor.outbox,
        "followers": actor.followers,
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": manually_approves,
        "discoverable": True,
        "publicKey": {"id": actor.main_key, "owner": actor.id, "publicKeyPem": keys.rsa_public_pem},
        "assertionMethod": [multikey(actor.proof_key, actor.id, keys.ed25519_public)],
    }
    if published is not None:
        document["published"] = published.isoformat().replace("+00:00", "Z")
    return document


def _paragraphs(texts: list[str]) -> str:
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in text.splitlines()) + "</p>"
        for text in texts
    )


def page(document: dict[str, Any]) -> str:
    """A minimal web page for an actor: its name, handle and summary, and where its document
    is."""
    name = html.escape(document["name"] or document["preferredUsername"])
    handle = html.escape(document["preferredUsername"])
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{name}</title>"
        '<link rel=alternate type="application/activity+json"'
        f' href="{html.escape(document["id"])}">'
        f"</head><body><h1>{name}</h1><p>{handle}</p>{document['summary']}</body></html>"
    )
