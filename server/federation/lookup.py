"""Finding a remote actor from what a member types: its id (an http(s) URL), or its name —
`user@host`, `@user@host` or `acct:user@host` — looked up with WebFinger (RFC 7033) on its
host. Used by the API (through the app factory) when a member follows someone elsewhere."""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlsplit

from server.events.types.remote import RemoteActorDescribed
from server.federation.client import FetchFailed, SignedClient
from server.federation.keys import INSTANCE
from server.federation.negotiation import ACTIVITY_JSON, LD_JSON
from server.federation.remote_actors import NotAnActor, RemoteActors
from server.federation.urls import PREFIX, Urls


class Directory:
    def __init__(
        self, urls: Urls, client: SignedClient, actors: RemoteActors, *, plain_http: bool
    ) -> None:
        """`plain_http`: ask WebFinger over http:// when https:// cannot be reached (for
        development and tests on loopback, where private addresses are allowed)."""
        self._urls = urls
        self._client = client
        self._actors = actors
        self._plain_http = plain_http

    async def resolve(self, text: str) -> RemoteActorDescribed:
        """The remote actor `text` names; `LookupError` saying why when there is none."""
        text = text.strip()
        try:
            if urlsplit(text).scheme in ("http", "https"):
                actor_id = text
            else:
                actor_id = await self._webfinger(text)
            if urlsplit(actor_id).netloc.lower() == self._urls.host:
                raise LookupError("that is an actor of this instance, not of another server")
            return await self._actors.get(actor_id)
        except NotAnActor as failed:
            raise LookupError(str(failed)) from None

    def activity_id(self) -> str:
        """A new id, on this instance, for an activity a member sends."""
        return f"{self._urls.base}{PREFIX}/activities/{uuid.uuid4()}"

    async def _webfinger(self, name: str) -> str:
        user, _, host = name.removeprefix("acct:").lstrip("@").partition("@")
        if not user or not host or "/" in host or "@" in host:
            raise LookupError("give an actor's id (a URL) or its name as user@host")
        resource = quote(f"acct:{user}@{host}", safe=":@")
        schemes = ("https", "http") if self._plain_http else ("https",)
        failures = []
        for scheme in schemes:
            url = f"{scheme}://{host}/.well-known/webfinger?resource={resource}"
            try:
                found = await self._client.get(
                    url, actor=INSTANCE, key_id=self._urls.instance.main_key
                )
            except FetchFailed as failed:
                failures.append(str(failed))
                continue
            for link in found.get("links") or []:
                if (
                    isinstance(link, dict)
                    and link.get("rel") == "self"
                    and isinstance(link.get("href"), str)
                    and str(link.get("type", "")).partition(";")[0] in (ACTIVITY_JSON, LD_JSON)
                ):
                    return link["href"]
            raise LookupError(f"{user}@{host} has no ActivityPub actor")
        raise LookupError(f"{user}@{host} could not be looked up: {'; '.join(failures)}")
