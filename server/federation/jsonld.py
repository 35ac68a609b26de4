"""JSON-LD for what other servers send: a document loader that serves only the context documents
bundled under schemas/contexts/, and `normalise`, which reads an inbound activity in whatever
context its sender wrote it and writes it again in ours, so that handlers read plain
ActivityStreams keys.

The loader never touches the network (DESIGN.md, "Contexts are local"). A context URL it does
not hold — Pleroma's litepub context, GoToSocial's, anyone's — is read as an empty context and
logged once per process: the terms it would have defined then fall to ActivityStreams'
`"@vocab": "_:"` and come back under their own names, and anything the sender also defines
inline (Mastodon's and Misskey's maps) is read as written.

What handlers get from `normalise`:
- the terms of `CANONICAL`: ActivityStreams (`type`, `actor`, `object`, `inReplyTo`,
  `attributedTo`, `content`, `contentMap`, …), the security vocabulary (`publicKey`, `owner`,
  …), Learnwork's (`skills`, `steps`, …) and `EXTENSIONS` (`sensitive`, `Hashtag`, …). A term
  of another vocabulary has its full IRI as key (Mastodon's `http://joinmastodon.org/ns#…`);
  one no context defines keeps its name — as `_:name` if it is the name of one of ours, which
  it does not mean.
- one value as that value and several as a list (JSON-LD's `compactArrays`), except the
  addressing (`to`, `cc`, `bto`, `bcc`, `audience`), `tag`, `attachment`, `skills` and
  `links`, always lists, and `steps`, an ordered list; a `null` is no value: the key is gone;
- the public collection, however it was written (`Public`, `as:Public`), as `PUBLIC`;
- text with no language, or the undetermined `und` (Pleroma tags every string so), as
  `content`; text in a language in `contentMap` (`nameMap`, `summaryMap`);
- embedded objects embedded, with their own ids; an id-valued term (`actor`, `object`,
  `inReplyTo`, …) given as a string stays a string.

Every document is read with ActivityStreams and `EXTENSIONS` before its own contexts — as
ActivityStreams 2.0 §2.1 asks of `application/activity+json` that names no context — so what
a sender defines itself wins. A document the JSON-LD processor refuses (a malformed context,
a cycle of contexts) is `ContextRejected`.

Cost (pyld, contexts resolved once per process and kept): ~0.3 ms for a Follow, ~1.7 ms for
a Mastodon Create of a Note; most of it is pyld's compaction of IRIs.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
from pathlib import Path
from typing import Any

from pyld import jsonld

log = logging.getLogger(__name__)

ACTIVITYSTREAMS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
LEARNWORK = "https://w3id.org/learnwork/ns"
PUBLIC = ACTIVITYSTREAMS + "#Public"

BUNDLED = {
    ACTIVITYSTREAMS: "activitystreams.jsonld",
    SECURITY: "security-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    LEARNWORK: "learnwork.jsonld",
}
"""Each context URL we hold, and its file under schemas/contexts/."""
ALIASES = {
    ACTIVITYSTREAMS + "#": ACTIVITYSTREAMS,
    ACTIVITYSTREAMS + ".jsonld": ACTIVITYSTREAMS,
    "http://www.w3.org/ns/activitystreams": ACTIVITYSTREAMS,
}
"""Other spellings of the ActivityStreams context URL seen in the wild (the same document)."""


def _folder() -> Path:
    """schemas/contexts/ of the source tree, or its copy installed with the wheel
    (pyproject.toml's data-files)."""
    source = Path(__file__).resolve().parents[2] / "schemas" / "contexts"
    return source if source.is_dir() else Path(sys.prefix) / "share" / "learnwork" / "contexts"


_DOCUMENTS: dict[str, dict[str, Any]] = {
    url: json.loads((_folder() / name).read_text(encoding="utf-8")) for url, name in BUNDLED.items()
}

LEARNWORK_TERMS: dict[str, Any] = _DOCUMENTS[LEARNWORK]["@context"]
"""Learnwork's own terms, as https://w3id.org/learnwork/ns defines them."""

EXTENSIONS: dict[str, Any] = {
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
}
"""Terms every server uses in the ActivityStreams namespace that its context does not define
(Mastodon and Misskey define them inline; others, Learnwork's own objects among them, write
them bare). Read into every document, after ActivityStreams and before the sender's contexts,
which may define them otherwise."""
ALWAYS_LISTS = ("to", "cc", "bto", "bcc", "audience", "tag", "attachment")
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")
CANONICAL: list[Any] = [
    ACTIVITYSTREAMS,
    SECURITY,
    LEARNWORK,
    {
        **EXTENSIONS,
        **{
            term: {"@id": f"as:{term}", "@type": "@id", "@container": "@set"}
            for term in ALWAYS_LISTS
        },
    },
]
"""The context `normalise` writes activities in."""


class ContextRejected(ValueError):
    """A document the JSON-LD processor cannot read; the message says why."""


def load_document(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: a bundled context, or an empty one for any other URL."""
    known = ALIASES.get(url, url)
    document = _DOCUMENTS.get(known)
    if document is None:
        log.info("unknown JSON-LD context %s: read as an empty context", url)
        document = {"@context": {}}
    # "static": pyld keeps what it resolved from this URL for every later document.
    return {
        "contextUrl": None,
        "documentUrl": known,
        "document": copy.deepcopy(document),
        "tag": "static",
    }


_OPTIONS = {"documentLoader": load_document, "base": None}


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (an activity, as JSON) in `CANONICAL`'s terms; ContextRejected if it cannot
    be read as JSON-LD."""
    try:
        expanded = jsonld.expand(_read_as(document), dict(_OPTIONS))
        _undetermined(expanded)
        compacted = jsonld.compact(expanded, CANONICAL, {**_OPTIONS, "skipExpansion": True})
    except jsonld.JsonLdError as error:
        raise ContextRejected(_reason(error)) from None
    except (ValueError, KeyError, TypeError, IndexError) as error:
        # pyld's own errors on some malformed documents (found by a property test: a relative
        # context URL, an `@language` map without its key, an infinite number).
        raise ContextRejected(f"not JSON-LD: {type(error).__name__}: {error}") from None
    _public(compacted)
    return compacted


def _read_as(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with ActivityStreams and EXTENSIONS before its own contexts."""
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [] if context is None else [context]
    return {**document, "@context": [ACTIVITYSTREAMS, EXTENSIONS, *contexts]}


def _undetermined(node: Any) -> None:
    """Text tagged `und` (BCP 47: language undetermined, what Pleroma's `{"@language": "und"}`
    gives every string) as text with no language, so that it stays `content` rather than
    becoming a `contentMap` keyed `und`."""
    if isinstance(node, list):
        for item in node:
            _undetermined(item)
    elif isinstance(node, dict):
        if "@value" in node:
            if str(node.get("@language", "")).lower() == "und":
                del node["@language"]
            return
        for value in node.values():
            _undetermined(value)


def _public(node: Any) -> None:
    """The public collection as its full IRI, in every node's addressing."""
    if isinstance(node, list):
        for item in node:
            _public(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ADDRESSING and isinstance(value, list):
                node[key] = [PUBLIC if v in ("Public", "as:Public") else v for v in value]
            _public(value)


def _reason(error: jsonld.JsonLdError) -> str:
    """The innermost message of a JSON-LD error (pyld raises them from one another)."""
    while isinstance(error.__cause__, jsonld.JsonLdError):
        error = error.__cause__
    message = error.args[0] if error.args else type(error).__name__
    return f"{message} ({error.code})" if error.code else str(message)
