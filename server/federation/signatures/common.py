"""What both HTTP signature schemes share: the key and result types, the one refusal
(`SignatureRejected` with a machine-readable `Reason`), how header fields are read, the
signature primitives per key type, the clock window, and the key lookup that asks the remote
actor once more when a signature does not verify.

Transport-neutral: a method and a URL are plain strings, headers are a mapping or pairs, a body
is bytes. Nothing here does I/O but through the key source it is given.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256

SigningKey = RSAPrivateKey | Ed25519PrivateKey
VerifyingKey = RSAPublicKey | Ed25519PublicKey

DEFAULT_SKEW = timedelta(minutes=5)
"""How far a signature's creation time (`created`, or the signed `Date`) may lie from our clock,
either way: it covers both clocks being off and the time the request took to arrive. Senders
sign each attempt afresh, so a retried delivery is never older than this."""


class Scheme(StrEnum):
    """The two ways of signing an HTTP request that the fediverse uses."""

    CAVAGE = "draft-cavage-12"
    """`Signature: keyId=…,headers=…,signature=…` (draft-cavage-http-signatures-12), what
    Mastodon and nearly every server send."""
    RFC9421 = "rfc9421"
    """`Signature-Input` + `Signature` (RFC 9421, HTTP Message Signatures)."""


class Reason(StrEnum):
    """Why a request's signature was refused, for logs, metrics and problem responses."""

    NO_SIGNATURE = "no_signature"
    MALFORMED = "malformed"
    """A signature field that does not parse, or names what cannot be rebuilt from the request."""
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    """An algorithm we do not accept, or one that does not fit the key."""
    MISSING_COMPONENTS = "missing_components"
    """The signature leaves out something we require it to cover."""
    DIGEST_MISSING = "digest_missing"
    DIGEST_MISMATCH = "digest_mismatch"
    OUTSIDE_WINDOW = "outside_window"
    """Created (or dated) further than the allowed skew from now."""
    EXPIRED = "expired"
    """Past the `expires` its signer gave it."""
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"


class SignatureRejected(Exception):
    """A request whose signature we refuse; `reason` for machines, the message for people."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A remote actor's public key as the key source found it: the key's id (what signatures
    name), the actor that owns it, and the key itself."""

    key_id: str
    owner: str
    key: VerifyingKey


class KeySource(Protocol):
    """Finds the public key a signature names. `refresh=False` may answer from what is already
    known; `refresh=True` asks the key's owner again (it may have rotated its key since).
    None: no such key."""

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKey | None: ...


@dataclass(frozen=True, slots=True)
class Verified:
    """A request whose signature verified: the key that signed it, that key's owner (the actor
    the request speaks for), the scheme, and what the signature covered, in its order."""

    key_id: str
    owner: str
    scheme: Scheme
    components: tuple[str, ...]


_OBS_FOLD = re.compile(r"\r?\n[ \t]+")

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
"""A request's header fields. A multidict (aiohttp's `CIMultiDictProxy`) or a list of pairs
keeps repeated field lines, which `field_values` joins; a plain dict holds one value per
name, joined by the caller the same way."""


def field_values(headers: Headers) -> dict[str, str]:
    """Each header field by lowercased name. Repeated field lines are joined in order with
    ", " after their outer whitespace is stripped and any obsolete line folding is made one
    space, as RFC 9421 §2.1 and draft-cavage-12 §2.3 both ask (RFC 9110 §5.3)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name.lower(), []).append(_OBS_FOLD.sub(" ", value).strip())
    return {name: ", ".join(values) for name, values in fields.items()}


def authority(url: str) -> str:
    """A URL's host, lowercased, with its port unless it is the scheme's default — the `Host`
    a client sends and RFC 9421's `@authority` (RFC 9110 §4.2.3)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def path_and_query(url: str) -> str:
    """A URL's path (`/` when empty) and query as sent on the request line (the origin form),
    percent-encoding left as it is."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def decode_base64(text: str, what: str) -> bytes:
    """Strict base64, or MALFORMED naming `what`."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise SignatureRejected(Reason.MALFORMED, f"{what} is not base64") from None


def is_rsa(key: SigningKey | VerifyingKey) -> bool:
    return isinstance(key, RSAPrivateKey | RSAPublicKey)


def key_algorithm(key: SigningKey | VerifyingKey) -> str:
    """The RFC 9421 algorithm name a key signs with: RSA keys sign RSASSA-PKCS1-v1_5 with
    SHA-256 (what Mastodon and every fediverse server expect of `publicKeyPem` RSA keys),
    Ed25519 keys sign Ed25519."""
    if is_rsa(key):
        return "rsa-v1_5-sha256"
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "ed25519"
    raise TypeError(f"unsupported key type {type(key).__name__}")


def sign_bytes(private_key: SigningKey, message: bytes) -> bytes:
    """The signature of `message` under the key's algorithm (see `key_algorithm`)."""
    if isinstance(private_key, RSAPrivateKey):
        return private_key.sign(message, PKCS1v15(), SHA256())
    if isinstance(private_key, Ed25519PrivateKey):
        return private_key.sign(message)
    raise TypeError(f"unsupported key type {type(private_key).__name__}")


def signature_matches(public_key: VerifyingKey, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is the key's signature of `message` (see `key_algorithm`)."""
    try:
        if isinstance(public_key, RSAPublicKey):
            public_key.verify(signature, message, PKCS1v15(), SHA256())
        else:
            public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def check_window(
    created: datetime | None, expires: datetime | None, now: datetime, max_skew: timedelta
) -> None:
    """Refuse a signature created (or dated) more than `max_skew` away from `now` either way,
    or one whose `expires` has passed. `expires` is the signer's own limit and is taken as it
    is: given any slack, it could never take effect inside the window of `created`."""
    if created is not None and abs(now - created) > max_skew:
        raise SignatureRejected(
            Reason.OUTSIDE_WINDOW,
            f"signature made at {created.isoformat()}, more than {max_skew} from now",
        )
    if expires is not None and now > expires:
        raise SignatureRejected(Reason.EXPIRED, f"signature expired at {expires.isoformat()}")


def http_date(value: str) -> datetime:
    """An HTTP `Date` value (IMF-fixdate, or the obsolete forms RFC 9110 §5.6.7 still reads)
    as an aware datetime, or MALFORMED."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureRejected(Reason.MALFORMED, f"Date {value!r} is not an HTTP date") from None
    if parsed.tzinfo is None:
        raise SignatureRejected(Reason.MALFORMED, f"Date {value!r} has no zone")
    return parsed


def from_timestamp(value: float) -> datetime:
    """A UNIX timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(value, UTC)


async def resolve_first(
    keys: KeySource, key_ids: Sequence[str]
) -> tuple[int, PublicKey, bool] | None:
    """The first of `key_ids` whose key the source knows: its index, the key, and whether it
    took a refresh to find it. All are asked from what is known before any is asked again."""
    for refresh in (False, True):
        for index, key_id in enumerate(key_ids):
            found = await keys(key_id, refresh=refresh)
            if found is not None:
                return index, found, refresh
    return None


async def check_with_refresh(
    keys: KeySource,
    key_id: str,
    found: PublicKey,
    refreshed: bool,
    check: Callable[[VerifyingKey], None],
) -> PublicKey:
    """`found` if `check` (which raises SignatureRejected) accepts its key; else, unless it was
    just refreshed, the key asked afresh from its owner — which may have rotated it — checked
    once more. Exactly one refresh at most."""
    try:
        check(found.key)
        return found
    except SignatureRejected:
        if refreshed:
            raise
    renewed = await keys(key_id, refresh=True)
    if renewed is None:
        raise SignatureRejected(Reason.UNKNOWN_KEY, f"key {key_id} is gone")
    check(renewed.key)
    return renewed
