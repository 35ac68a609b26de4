"""Digests of a request body, which a signature covers in place of the body itself:
`Digest: SHA-256=<base64>` (RFC 3230, signed by draft-cavage senders) and
`Content-Digest: sha-256=:<base64>:` (RFC 9530, a structured Dictionary, signed under RFC 9421).

We send SHA-256. We check SHA-256 and SHA-512, the two RFC 9530 registers as standard: every
one of those a field offers must match the body, and it must offer at least one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import http_sf

from server.federation.signatures.common import Reason, SignatureRejected, decode_base64

_HASHES: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda body: hashlib.sha256(body).digest(),
    "sha-512": lambda body: hashlib.sha512(body).digest(),
}


def digest(body: bytes) -> str:
    """The RFC 3230 `Digest` field value of `body`, as Mastodon sends it."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest(body: bytes) -> str:
    """The RFC 9530 `Content-Digest` field value of `body`."""
    return http_sf.ser({"sha-256": (hashlib.sha256(body).digest(), {})})


def check_digest(value: str, body: bytes) -> None:
    """Refuse unless the `Digest` field `value` (`ALG=<base64>`, comma-separated, algorithm
    names in any case) holds a SHA-256 or SHA-512 digest and all such match `body`."""
    offered: dict[str, bytes] = {}
    for member in value.split(","):
        algorithm, equals, encoded = member.strip().partition("=")
        if not equals:
            raise SignatureRejected(Reason.MALFORMED, f"Digest member {member!r} has no '='")
        if algorithm.lower() in _HASHES:
            offered[algorithm.lower()] = decode_base64(encoded.strip(), "Digest")
    _compare(offered, body, "Digest")


def check_content_digest(value: str, body: bytes) -> None:
    """Refuse unless the `Content-Digest` field `value` holds a sha-256 or sha-512 digest and
    all such match `body`."""
    try:
        members = http_sf.parse(value.encode(), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError):
        raise SignatureRejected(
            Reason.MALFORMED, "Content-Digest is not a structured Dictionary"
        ) from None
    offered: dict[str, bytes] = {}
    for algorithm, (encoded, _) in members.items():
        if algorithm in _HASHES:
            if not isinstance(encoded, bytes):
                raise SignatureRejected(
                    Reason.MALFORMED, f"Content-Digest {algorithm} is not a byte sequence"
                )
            offered[algorithm] = encoded
    _compare(offered, body, "Content-Digest")


def _compare(offered: dict[str, bytes], body: bytes, field: str) -> None:
    if not offered:
        raise SignatureRejected(
            Reason.DIGEST_MISSING, f"{field} offers neither a SHA-256 nor a SHA-512 digest"
        )
    for algorithm, expected in offered.items():
        if _HASHES[algorithm](body) != expected:
            raise SignatureRejected(
                Reason.DIGEST_MISMATCH, f"{field} {algorithm} does not match the body"
            )
