"""Signed requests to other servers, each as one of our actors (the instance actor for fetches
made for the instance itself).

- Every request is signed, double-knocking as server/federation/signatures/schemes.py sets out:
  RFC 9421 first, draft-cavage-12 at once after a 400 or 401, and whichever a host accepted is
  remembered for it (per process), so later requests knock once.
- Only public addresses are reached (server/outbound.py), unless the instance allows private
  ones; redirects are not followed (an actor's id is where its document is).
- What comes back is refused when it is larger than `max_bytes`, nested deeper than
  `MAX_DEPTH`, or not JSON. Of what an inbox answers a delivery, only the status, its
  `Retry-After` and the start of the body are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import msgspec

from server.federation.keys import KeyVault
from server.federation.negotiation import ACTIVITY_JSON, AS_PROFILE, LD_JSON
from server.federation.signatures.common import Scheme
from server.federation.signatures.schemes import (
    HostScheme,
    first_scheme,
    learn,
    retry_with,
    sign_request,
)
from server.outbound import REFUSED, GuardedResolver, allowed, literal

ACCEPT = f'{ACTIVITY_JSON}, {LD_JSON}; profile="{AS_PROFILE}"'
MAX_DEPTH = 32
"""Nesting a fetched document may have: deeper is no ActivityStreams object anyone writes."""
USER_AGENT = "Learnwork/1"
SCHEMES_KEPT = 10_000
"""Hosts whose signature scheme a process remembers."""
EXCERPT_BYTES = 512
"""Bytes of an inbox's answer a delivery keeps (to say why it was refused)."""


class FetchFailed(Exception):
    """A remote document could not be had, or a request got no answer; the message says why."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What a server answered a request: its status, its `Retry-After` header, and its body
    (of a delivery, the first `EXCERPT_BYTES` only)."""

    status: int
    body: bytes
    retry_after: str | None = None


class SignedClient:
    def __init__(
        self,
        vault: KeyVault,
        *,
        allow_private: bool,
        timeout: float = 10.0,
        max_bytes: int = 1024 * 1024,
        connections: int = 100,
    ) -> None:
        """`timeout`: seconds a server has to answer one request; `connections`: the most open
        at once (beyond them, requests wait for one, and that wait counts in the timeout)."""
        self._vault = vault
        self._allow_private = allow_private
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._connections = connections
        self._schemes: OrderedDict[str, HostScheme] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None

    def scheme_for(self, url: str) -> Scheme | None:
        """The signature scheme remembered for `url`'s host (None: not learnt yet)."""
        remembered = self._schemes.get(urlsplit(url).netloc.lower())
        return None if remembered is None else remembered.scheme

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                resolver=GuardedResolver(self._allow_private), limit=self._connections
            ),
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, url: str, *, actor: str, key_id: str) -> dict[str, Any]:
        """The ActivityStreams document at `url`, fetched as `actor` (its vault name) signing
        with `key_id`."""
        answer = await self._knock("GET", url, None, actor, key_id)
        if answer.status != 200:
            raise FetchFailed(f"{url} answered {answer.status}")
        try:
            document = msgspec.json.decode(answer.body)
        except msgspec.DecodeError:
            raise FetchFailed(f"{url} did not answer JSON") from None
        if not isinstance(document, dict) or depth(document) > MAX_DEPTH:
            raise FetchFailed(f"{url} did not answer an object (or one nested too deep)")
        return document

    async def post(self, url: str, document: dict[str, Any], *, actor: str, key_id: str) -> int:
        """POST `document` to `url` as `actor`; the status it answered."""
        return (
            await self.deliver(url, msgspec.json.encode(document), actor=actor, key_id=key_id)
        ).status

    async def deliver(self, url: str, body: bytes, *, actor: str, key_id: str) -> Answer:
        """POST `body`, an activity's JSON as it is, to the inbox at `url` as `actor`; what the
        inbox answered (FetchFailed when nothing did)."""
        return await self._knock("POST", url, body, actor, key_id, excerpt=True)

    async def _knock(
        self,
        method: str,
        url: str,
        body: bytes | None,
        actor: str,
        key_id: str,
        *,
        excerpt: bool = False,
    ) -> Answer:
        host = urlsplit(url).netloc.lower()
        scheme = first_scheme(self._schemes.get(host), datetime.now(UTC))
        while True:
            answer = await self._send(method, url, body, actor, key_id, scheme, excerpt)
            status = answer.status
            if (learnt := learn(scheme, status, datetime.now(UTC))) is not None:
                self._schemes[host] = learnt
                self._schemes.move_to_end(host)
                if len(self._schemes) > SCHEMES_KEPT:
                    self._schemes.popitem(last=False)
            again = retry_with(scheme, status)
            if again is None:
                return answer
            scheme = again

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        actor: str,
        key_id: str,
        scheme: Scheme,
        excerpt: bool,
    ) -> Answer:
        assert self._session is not None, "start() first"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchFailed(f"not an http(s) URL: {url[:200]!r}")
        # The resolver guards host names; an address in the URL is never resolved.
        if literal(parts.hostname) is not None and not allowed(parts.hostname, self._allow_private):
            raise FetchFailed(f"{url}: {parts.hostname} is {REFUSED}")
        keys = await self._vault.keys(actor)
        headers = {"Accept": ACCEPT}
        if body is not None:
            headers["Content-Type"] = ACTIVITY_JSON
        signed = sign_request(
            scheme, method, url, headers, body,
            private_key=keys.rsa, key_id=key_id, now=datetime.now(UTC),
        )  # fmt: skip
        try:
            async with self._session.request(
                method, url, data=body, headers=signed, allow_redirects=False
            ) as response:
                if excerpt:
                    kept = await response.content.read(EXCERPT_BYTES)
                else:
                    kept = await self._read(url, response)
                return Answer(response.status, kept, response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise FetchFailed(f"{url}: {exc or type(exc).__name__}") from None

    async def _read(self, url: str, response: aiohttp.ClientResponse) -> bytes:
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self._max_bytes:
                raise FetchFailed(f"{url} answered more than {self._max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def depth(value: Any, level: int = 1) -> int:
    """How deeply `value` nests (counting stops past MAX_DEPTH)."""
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((depth(v, level + 1) for v in value), default=level)
    return level
