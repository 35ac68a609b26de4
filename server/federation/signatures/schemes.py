"""The two signature schemes side by side: verifying whichever one a request carries, signing
with the one asked for, and choosing, host by host, which one to sign a delivery with.

Both schemes name their header `Signature`, so one request carries one scheme only. Delivery
therefore "double-knocks" (docs/federation.md, Signatures), and keeps to this contract:

1. Sign with `first_scheme(remembered, now)`: RFC 9421 for a host we know nothing of.
2. When the host answers that request with `retry_with(scheme, status)` not None (400 or 401
   to an RFC 9421 signature), send the same request again, signed with that scheme afresh.
3. Store `learn(scheme, status, now)` for the host whenever it is not None (a 2xx answer).

A host remembered as taking only draft-cavage is asked with RFC 9421 again after
`RELEARN_AFTER`: servers upgrade, and one refused request a month is a small price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.federation.signatures import cavage, rfc9421
from server.federation.signatures.common import (
    DEFAULT_SKEW,
    Headers,
    KeySource,
    Scheme,
    SigningKey,
    Verified,
    field_values,
)

RELEARN_AFTER = timedelta(days=30)


async def verify_request(
    method: str,
    target_uri: str,
    headers: Headers,
    body: bytes,
    *,
    keys: KeySource,
    now: datetime,
    max_skew: timedelta = DEFAULT_SKEW,
    require_digest: bool | None = None,
) -> Verified:
    """The key that signed a request, or SignatureRejected (with its `reason`) saying why not.

    RFC 9421 when the request carries `Signature-Input`, else draft-cavage (`Signature`, or
    `Authorization: Signature …`). `target_uri` is the full URI the request was sent to, as
    its sender saw it (scheme and host of the public address, not of a proxy's upstream).
    `require_digest` defaults to: a POST, or any request with a body. `keys` is asked once
    more with `refresh=True` when a signature does not verify with the key it first gives."""
    fields = field_values(headers)
    if require_digest is None:
        require_digest = method.upper() == "POST" or bool(body)
    verify = rfc9421.verify_request if "signature-input" in fields else cavage.verify_request
    return await verify(
        method,
        target_uri,
        fields,
        body,
        keys=keys,
        now=now,
        max_skew=max_skew,
        require_digest=require_digest,
    )


def sign_request(
    scheme: Scheme,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    private_key: SigningKey,
    key_id: str,
    now: datetime,
) -> dict[str, str]:
    """The headers to send with a request signed with `scheme` by `private_key` as `key_id`:
    those given plus the digest and signature fields (and `Host` and `Date` for draft-cavage).
    `body` is None for a request without content (a GET). The client must send the `Host` it
    is given, which the draft-cavage signature covers."""
    sign = rfc9421.sign_request if scheme is Scheme.RFC9421 else cavage.sign_request
    return sign(method, url, headers, body, private_key=private_key, key_id=key_id, now=now)


@dataclass(frozen=True, slots=True)
class HostScheme:
    """What delivery remembers of a host: the scheme it last accepted, and since when."""

    scheme: Scheme
    learnt_at: datetime


def first_scheme(remembered: HostScheme | None, now: datetime) -> Scheme:
    """The scheme to sign a request to a host with first."""
    if (
        remembered is not None
        and remembered.scheme is Scheme.CAVAGE
        and now - remembered.learnt_at < RELEARN_AFTER
    ):
        return Scheme.CAVAGE
    return Scheme.RFC9421


def retry_with(scheme: Scheme, status: int) -> Scheme | None:
    """The scheme to send a request again with after the host answered `status` to it signed
    with `scheme`: draft-cavage after an RFC 9421 signature met 400 or 401 (what Mastodon
    answers a signature it cannot read), else none."""
    if scheme is Scheme.RFC9421 and status in (400, 401):
        return Scheme.CAVAGE
    return None


def learn(scheme: Scheme, status: int, now: datetime) -> HostScheme | None:
    """What to remember of a host that answered `status` to a request signed with `scheme`:
    the scheme, when it accepted it; None when the answer teaches nothing."""
    return HostScheme(scheme, now) if 200 <= status < 300 else None
