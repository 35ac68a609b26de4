"""draft-cavage-http-signatures-12: the `Signature` header (also `Authorization: Signature …`)
that Mastodon and nearly every ActivityPub server send and expect.

We sign `(request-target) host date`, plus `digest` when there is a body, with `rsa-sha256`
(RSASSA-PKCS1-v1_5, SHA-256) for RSA keys — exactly Mastodon's form — and `hs2019` for Ed25519
keys. We accept `rsa-sha256` and `hs2019`, reading `hs2019` (and no `algorithm`) as "whatever the
key is", as Mastodon does; the draft's own SHA-512/PSS reading of `hs2019` is not what the
fediverse signs.

What a signature must cover to be accepted: `(request-target)`, `host`, `date` or
`(created)`, and `digest` when a body digest is required (POST). Mastodon's rules are looser
(it takes `digest` in place of `(request-target)`); a signature Mastodon makes covers all of ours.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit, urlunsplit

from server.federation.signatures.common import (
    DEFAULT_SKEW,
    Headers,
    KeySource,
    Reason,
    Scheme,
    SignatureRejected,
    SigningKey,
    Verified,
    VerifyingKey,
    authority,
    check_window,
    check_with_refresh,
    decode_base64,
    field_values,
    from_timestamp,
    http_date,
    is_rsa,
    path_and_query,
    resolve_first,
    sign_bytes,
    signature_matches,
)
from server.federation.signatures.digests import check_digest, digest

REQUEST_TARGET = "(request-target)"
CREATED = "(created)"
EXPIRES = "(expires)"

_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*')
"""One auth-param (RFC 9110 §11.2): a token, `=`, a quoted string or a token."""
_KNOWN = ("keyId", "algorithm", "headers", "signature", "created", "expires")
_DECLARED_ALGORITHMS = ("rsa-sha256", "hs2019")
_NOT_WITH_PSEUDO_HEADERS = ("rsa", "hmac", "ecdsa")
"""Algorithms that may not sign `(created)` and `(expires)` (draft-cavage-12 §2.3)."""


@dataclass(frozen=True, slots=True)
class Parameters:
    """A parsed `Signature` header: the key named, the declared algorithm (`hs2019` when none
    is given), the covered headers in order, the signature bytes, and `created`/`expires` as
    sent (the signing string uses them verbatim)."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: str | None
    expires: str | None


def parse(value: str) -> Parameters:
    """The parameters of a `Signature` header value (or of an `Authorization` value after its
    `Signature` scheme). Unknown parameters are ignored and a repeated one refused (§2.2)."""
    found: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM.match(value, position)
        if match is None:
            raise SignatureRejected(Reason.MALFORMED, "Signature is not a list of parameters")
        name, quoted, token = match.groups()
        if name in found:
            raise SignatureRejected(Reason.MALFORMED, f"Signature repeats {name}")
        if name in _KNOWN:
            found[name] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else token
        position = match.end()
        if position < len(value):
            if value[position] != ",":
                raise SignatureRejected(Reason.MALFORMED, "Signature parameters need commas")
            position += 1
    for required in ("keyId", "signature"):
        if not found.get(required):
            raise SignatureRejected(Reason.MALFORMED, f"Signature has no {required}")
    algorithm = found.get("algorithm", "hs2019").lower()
    default = "date" if algorithm == "rsa-sha256" else CREATED
    headers = tuple(found.get("headers", default).lower().split())
    if not headers:
        raise SignatureRejected(Reason.MALFORMED, "Signature covers no headers")
    for name in ("created", "expires"):
        if name in found and not re.fullmatch(r"\d+(\.\d+)?", found[name]):
            raise SignatureRejected(Reason.MALFORMED, f"Signature {name} is not a timestamp")
        if f"({name})" in headers:
            if algorithm.startswith(_NOT_WITH_PSEUDO_HEADERS):
                raise SignatureRejected(
                    Reason.MALFORMED, f"{algorithm} may not sign ({name}) (draft-cavage-12 §2.3)"
                )
            if name not in found:
                raise SignatureRejected(Reason.MALFORMED, f"Signature signs ({name}) without it")
    return Parameters(
        key_id=found["keyId"],
        algorithm=algorithm,
        headers=headers,
        signature=decode_base64(found["signature"], "Signature signature"),
        created=found.get("created"),
        expires=found.get("expires"),
    )


def signing_string(
    method: str, target_uri: str, fields: Mapping[str, str], parameters: Parameters
) -> bytes:
    """The string a signature signs (draft-cavage-12 §2.3): one `name: value` line per covered
    header, `(request-target)` being the lowercased method and the path with its query.
    `fields` are `field_values` of the request."""
    lines = []
    for name in parameters.headers:
        if name == REQUEST_TARGET:
            value = f"{method.lower()} {path_and_query(target_uri)}"
        elif name == CREATED and parameters.created is not None:
            value = parameters.created
        elif name == EXPIRES and parameters.expires is not None:
            value = parameters.expires
        elif name in fields:
            value = fields[name]
        else:
            raise SignatureRejected(Reason.MALFORMED, f"Signature covers {name}, which is absent")
        lines.append(f"{name}: {value}")
    # Header values reach us decoded with surrogateescape (aiohttp does so): this gives back
    # the bytes that were sent, which are what the sender signed.
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    private_key: SigningKey,
    key_id: str,
    now: datetime,
    covered: Sequence[str] | None = None,
) -> dict[str, str]:
    """The headers to send with a request, signed by `private_key` as `key_id`: those given,
    plus `Host` and `Date` (from `now`) unless given, `Digest` when there is a body (a given
    one must match it), and `Signature`. `covered` (lowercased names, `(request-target)` for
    the request line) defaults to `(request-target) host date` and `digest` with a body."""
    sent = dict(headers)
    fields = field_values(sent)
    if "host" not in fields:
        sent["Host"] = authority(url)
    if "date" not in fields:
        sent["Date"] = format_datetime(now, usegmt=True)
    if body is not None:
        if "digest" in fields:
            try:
                check_digest(fields["digest"], body)
            except SignatureRejected as wrong:
                raise ValueError(f"the Digest given is no digest of the body: {wrong}") from None
        else:
            sent["Digest"] = digest(body)
    if covered is None:
        covered = (REQUEST_TARGET, "host", "date", *(("digest",) if body is not None else ()))
    if any(name.startswith("(") and name != REQUEST_TARGET for name in covered):
        raise ValueError("we sign no (created) or (expires): Date says when")
    algorithm = "rsa-sha256" if is_rsa(private_key) else "hs2019"
    parameters = Parameters(key_id, algorithm, tuple(covered), b"", None, None)
    signature = sign_bytes(private_key, signing_string(method, url, field_values(sent), parameters))
    sent["Signature"] = (
        f'keyId="{_quote(key_id)}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return sent


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def signature_value(fields: Mapping[str, str]) -> str | None:
    """The request's draft-cavage signature parameters: the `Signature` header, else an
    `Authorization` header of the `Signature` scheme."""
    if "signature" in fields:
        return fields["signature"]
    scheme, _, rest = fields.get("authorization", "").partition(" ")
    return rest if scheme.lower() == "signature" else None


async def verify_request(
    method: str,
    target_uri: str,
    headers: Headers,
    body: bytes,
    *,
    keys: KeySource,
    now: datetime,
    max_skew: timedelta = DEFAULT_SKEW,
    require_digest: bool,
) -> Verified:
    """The key that signed a draft-cavage request, or SignatureRejected saying why not.
    `target_uri` is the full URI the request was sent to."""
    fields = field_values(headers)
    value = signature_value(fields)
    if value is None:
        raise SignatureRejected(Reason.NO_SIGNATURE, "the request has no Signature")
    parameters = parse(value)
    if parameters.algorithm not in _DECLARED_ALGORITHMS:
        raise SignatureRejected(
            Reason.UNSUPPORTED_ALGORITHM, f"algorithm {parameters.algorithm} is not accepted"
        )
    _check_coverage(parameters.headers, require_digest)
    _check_time(parameters, fields, now, max_skew)
    if "digest" in parameters.headers:
        if "digest" not in fields:
            raise SignatureRejected(Reason.DIGEST_MISSING, "Digest is signed but absent")
        check_digest(fields["digest"], body)
    strings = [signing_string(method, target_uri, fields, parameters)]
    if method.upper() == "GET" and urlsplit(target_uri).query:
        # Older Mastodon signed `(request-target)` without the query (`"#{@verb}
        # #{@url.path}"` in request.rb) and Mastodon still accepts that form; so do we, for
        # GETs only (its signed fetches of collection pages): no POST of ours has a query.
        bare = urlunsplit(urlsplit(target_uri)._replace(query=""))
        strings.append(signing_string(method, bare, fields, parameters))

    def check(key: VerifyingKey) -> None:
        if parameters.algorithm == "rsa-sha256" and not is_rsa(key):
            raise SignatureRejected(
                Reason.UNSUPPORTED_ALGORITHM,
                f"rsa-sha256 declared but {parameters.key_id} is not RSA",
            )
        if not any(signature_matches(key, parameters.signature, s) for s in strings):
            raise SignatureRejected(Reason.BAD_SIGNATURE, "the signature does not verify")

    found = await resolve_first(keys, [parameters.key_id])
    if found is None:
        raise SignatureRejected(Reason.UNKNOWN_KEY, f"no key {parameters.key_id}")
    _, key, refreshed = found
    key = await check_with_refresh(keys, parameters.key_id, key, refreshed, check)
    return Verified(key.key_id, key.owner, Scheme.CAVAGE, parameters.headers)


def _check_coverage(covered: Sequence[str], require_digest: bool) -> None:
    missing = [name for name in (REQUEST_TARGET, "host") if name not in covered]
    if "date" not in covered and CREATED not in covered:
        missing.append("date")
    if require_digest and "digest" not in covered:
        missing.append("digest")
    if missing:
        raise SignatureRejected(
            Reason.MISSING_COMPONENTS, f"the signature does not cover {', '.join(missing)}"
        )


def _check_time(
    parameters: Parameters, fields: Mapping[str, str], now: datetime, max_skew: timedelta
) -> None:
    created = None
    if CREATED in parameters.headers and parameters.created:
        created = from_timestamp(float(parameters.created))
    elif "date" in parameters.headers and "date" in fields:
        created = http_date(fields["date"])
    expires = from_timestamp(float(parameters.expires)) if parameters.expires else None
    check_window(created, expires, now, max_skew)
