"""Signed requests to other servers, each as one of our actors (the instance actor for fetches
made for the instance itself).

- Every request is signed, double-knocking as server/federation/signatures/schemes.py sets out:
  RFC 9421 first, draft-cavage-12 at once after a 400 or 401, and whichever a host accepted is
  remembered for it (per process), so later requests knock once.
- Only public addresses are reached (server/outbound.py), unless the instance allows private
  ones; redirects are not followed (an actor's id is where its document is).
- What comes back is refused when it is larger than `max_bytes`, nested deeper than
  `MAX_DEPTH`, or not JSON.
"""

from __future__ import annotations

from collections import OrderedDict
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


class FetchFailed(Exception):
    """A remote document could not be had; the message says why."""


class SignedClient:
    def __init__(
        self,
        vault: KeyVault,
        *,
        allow_private: bool,
        timeout: float = 10.0,
        max_bytes: int = 1024 * 1024,
    ) -> None:
        self._vault = vault
        self._allow_private = allow_private
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._schemes: OrderedDict[str, HostScheme] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None

    def scheme_for(self, url: str) -> Scheme | None:
        """The signature scheme remembered for `url`'s host (None: not learnt yet)."""
        remembered = self._schemes.get(urlsplit(url).netloc.lower())
        return None if remembered is None else remembered.scheme

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=GuardedResolver(self._allow_private)),
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, url: str, *, actor: str, key_id: str) -> dict[str, Any]:
        """The ActivityStreams document at `url`, fetched as `actor` (its vault name) signing
        with `key_id`."""
        status, body = await self._knock("GET", url, None, actor, key_id)
        if status != 200:
            raise FetchFailed(f"{url} answered {status}")
        try:
            document = msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise FetchFailed(f"{url} did not answer JSON") from None
        if not isinstance(document, dict) or depth(document) > MAX_DEPTH:
            raise FetchFailed(f"{url} did not answer an object (or one nested too deep)")
        return document

    async def post(self, url: str, document: dict[str, Any], *, actor: str, key_id: str) -> int:
        """POST `document` to `url` as `actor`; the status it answered."""
        body = msgspec.json.encode(document)
        status, _ = await self._knock("POST", url, body, actor, key_id)
        return status

    async def _knock(
        self, method: str, url: str, body: bytes | None, actor: str, key_id: str
    ) -> tuple[int, bytes]:
        host = urlsplit(url).netloc.lower()
        scheme = first_scheme(self._schemes.get(host), datetime.now(UTC))
        while True:
            status, answer = await self._send(method, url, body, actor, key_id, scheme)
            if (learnt := learn(scheme, status, datetime.now(UTC))) is not None:
                self._schemes[host] = learnt
                self._schemes.move_to_end(host)
                if len(self._schemes) > SCHEMES_KEPT:
                    self._schemes.popitem(last=False)
            again = retry_with(scheme, status)
            if again is None:
                return status, answer
            scheme = again

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        actor: str,
        key_id: str,
        scheme: Scheme,
    ) -> tuple[int, bytes]:
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
                return response.status, await self._read(url, response)
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
