"""Content negotiation for ActivityPub documents: who asked for JSON-LD, and who for a page."""

from __future__ import annotations

ACTIVITY_JSON = "application/activity+json"
LD_JSON = "application/ld+json"
AS_PROFILE = "https://www.w3.org/ns/activitystreams"


def wants_html(accept: str | None) -> bool:
    """Whether an `Accept` header prefers a web page to an ActivityStreams document. A client
    that names either ActivityStreams type (`application/activity+json`, or
    `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`) at a quality at
    least that of `text/html` gets the document; so does one that names neither (`*/*`, none)."""
    activity = html = 0.0
    for part in (accept or "").split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        fields = {
            k.strip().lower(): v.strip().strip('"')
            for k, _, v in (p.partition("=") for p in params)
        }
        try:
            quality = float(fields.get("q", "1"))
        except ValueError:
            quality = 0.0
        kind = kind.lower()
        if kind == ACTIVITY_JSON or (
            kind == LD_JSON and AS_PROFILE in fields.get("profile", "").split()
        ):
            activity = max(activity, quality)
        elif kind == "text/html":
            html = max(html, quality)
    return html > activity
