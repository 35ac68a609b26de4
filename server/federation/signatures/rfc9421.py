"""RFC 9421, HTTP Message Signatures: `Signature-Input` + `Signature`, which Mastodon verifies
(app/lib/signed_request.rb) and newer servers send.

We sign `("@method" "@target-uri" "content-digest");created=…;keyid="…"` (no `content-digest`
without a body) under the label `sig1`, with `rsa-v1_5-sha256` for RSA keys and `ed25519` for
Ed25519 keys — and without `alg`: the RFC has the verifier take the algorithm from the key
first (§3.2 step 6) and discourages signalling it at run time (§7.3.6), and Mastodon takes it
from the key and ignores `alg`. A verifier that maps an RSA key to RSA-PSS would need it; none in
the fediverse does. We verify `alg` when it is sent: it must be the key's.

What a signature must cover to be accepted: `@method`; `@target-uri`, or `@authority` with
`@path` or `@request-target`; `content-digest` when a body digest is required; and a `created`
parameter or the `date` field. Mastodon asks for `created`, `@method`, `@target-uri` and
`content-digest` (POST): what we send has all of them.

Several signatures in one request: each is checked against these requirements in
`Signature-Input` order, and the first that meets them and whose key the key source knows is
the one verified. When none meets them, the first one's refusal is reported.

Supported component parameters: `name` (of `@query-param`), `sf` and `key` on fields. `bs`
(it needs each field line apart), `req` (responses only) and `tr` (trailers) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import http_sf

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
    field_values,
    from_timestamp,
    http_date,
    key_algorithm,
    path_and_query,
    resolve_first,
    sign_bytes,
    signature_matches,
)
from server.federation.signatures.digests import check_content_digest, content_digest

LABEL = "sig1"
ALGORITHMS = ("rsa-v1_5-sha256", "ed25519")

Component = tuple[str, dict[str, Any]]
"""A component identifier as http-sf holds it: the name and its parameters."""
Covered = tuple[list[Component], dict[str, Any]]
"""A `Signature-Input` member: the covered components and the signature's parameters."""

_STRUCTURED = {
    "content-digest": "dictionary",
    "repr-digest": "dictionary",
    "signature-input": "dictionary",
    "signature": "dictionary",
    "accept-signature": "dictionary",
}
"""Structured fields whose type we know for `sf`, besides http-sf's table of retrofitted ones."""
_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")
"""Bytes the application/x-www-form-urlencoded percent-encode set leaves alone (WHATWG URL)."""


def target_uri(url: str) -> str:
    """`url` as RFC 9421's `@target-uri`: scheme and host lowercased, no default port, no
    fragment — the form both ends derive alike (a Rails request's `url`, for Mastodon)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{authority(url)}{path_and_query(url)}"


def signature_base(method: str, url: str, fields: Mapping[str, str], covered: Covered) -> bytes:
    """The signature base (RFC 9421 §2.5) of a request for the `covered` components and
    signature parameters. `fields` are `field_values` of the request."""
    components, _ = covered
    lines = []
    seen = set()
    for name, parameters in components:
        identifier = http_sf.ser((name, parameters))
        if identifier in seen:
            raise SignatureRejected(Reason.MALFORMED, f"{identifier} is covered twice")
        seen.add(identifier)
        value = _component_value(name, parameters, method, url, fields)
        if "\n" in value or "\r" in value:
            raise SignatureRejected(Reason.MALFORMED, f"{identifier} holds a line break")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {_serialise(covered)}')
    base = "\n".join(lines)
    if not base.isascii():
        raise SignatureRejected(Reason.MALFORMED, "the signature base is not ASCII")
    return base.encode()


def _serialise(member: Any) -> str:
    """An Item or Inner List in strict form (a List of one member serialises as that member)."""
    return http_sf.ser([member])


def _component_value(
    name: str, parameters: dict[str, Any], method: str, url: str, fields: Mapping[str, str]
) -> str:
    if name.startswith("@"):
        allowed = {"name"} if name == "@query-param" else set()
    else:
        allowed = {"sf", "key"}
    if unknown := set(parameters) - allowed:
        raise SignatureRejected(
            Reason.MALFORMED, f"parameter {', '.join(sorted(unknown))} of {name} is not supported"
        )
    if name.startswith("@"):
        return _derived(name, parameters, method, url)
    if name not in fields:
        raise SignatureRejected(Reason.MALFORMED, f"{name} is covered but absent")
    value = fields[name]
    if "key" in parameters:
        members = _parse_field(name, value, "dictionary")
        if not isinstance(members, dict) or parameters["key"] not in members:
            raise SignatureRejected(Reason.MALFORMED, f"{name} has no member {parameters['key']}")
        return _serialise(members[parameters["key"]])
    if "sf" in parameters:
        return http_sf.ser(_parse_field(name, value, _STRUCTURED.get(name)))
    return value


def _parse_field(name: str, value: str, tltype: str | None) -> Any:
    try:
        return http_sf.parse(value.encode(), name=name, tltype=tltype)
    except KeyError:
        raise SignatureRejected(
            Reason.MALFORMED, f"{name} is no structured field we know"
        ) from None
    except (http_sf.StructuredFieldError, UnicodeEncodeError):
        raise SignatureRejected(Reason.MALFORMED, f"{name} does not parse") from None


def _derived(name: str, parameters: dict[str, Any], method: str, url: str) -> str:
    parts = urlsplit(url)
    match name:
        case "@method":
            return method
        case "@target-uri":
            return target_uri(url)
        case "@authority":
            return authority(url)
        case "@scheme":
            return parts.scheme.lower()
        case "@request-target":
            return path_and_query(url)
        case "@path":
            return parts.path or "/"
        case "@query":
            return f"?{parts.query}"
        case "@query-param":
            return _query_param(parts.query, parameters.get("name"))
    raise SignatureRejected(Reason.MALFORMED, f"{name} is no derived component of a request")


def _query_param(query: str, name: Any) -> str:
    """§2.2.8: the named parameter's value, decoded then percent-encoded again the
    application/x-www-form-urlencoded way (spaces as %20)."""
    if not isinstance(name, str):
        raise SignatureRejected(Reason.MALFORMED, "@query-param needs a name")
    values = [v for n, v in parse_qsl(query, keep_blank_values=True) if _form_encode(n) == name]
    if len(values) != 1:
        raise SignatureRejected(
            Reason.MALFORMED, f"query parameter {name} occurs {len(values)} times, not once"
        )
    return _form_encode(values[0])


def _form_encode(text: str) -> str:
    return "".join(chr(b) if b in _FORM_SAFE else f"%{b:02X}" for b in text.encode())


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
    expires: datetime | None = None,
    with_alg: bool = False,
    label: str = LABEL,
) -> dict[str, str]:
    """The headers to send with a request, signed by `private_key` as `key_id` at `now`: those
    given, plus `Content-Digest` when there is a body (a given one must match it),
    `Signature-Input` and `Signature`. `covered` (component names without parameters)
    defaults to `@method @target-uri`, and `content-digest` with a body; `expires` and the
    `alg` parameter (`with_alg`) are left out unless asked for."""
    sent = dict(headers)
    fields = field_values(sent)
    if body is not None:
        if "content-digest" in fields:
            try:
                check_content_digest(fields["content-digest"], body)
            except SignatureRejected as wrong:
                raise ValueError(f"the Content-Digest given is not the body's: {wrong}") from None
        else:
            sent["Content-Digest"] = content_digest(body)
    if covered is None:
        covered = ("@method", "@target-uri", *(("content-digest",) if body is not None else ()))
    parameters: dict[str, Any] = {"created": int(now.timestamp()), "keyid": key_id}
    if with_alg:
        parameters["alg"] = key_algorithm(private_key)
    if expires is not None:
        parameters["expires"] = int(expires.timestamp())
    member: Covered = ([(name, {}) for name in covered], parameters)
    signature = sign_bytes(private_key, signature_base(method, url, field_values(sent), member))
    sent["Signature-Input"] = http_sf.ser({label: member})
    sent["Signature"] = http_sf.ser({label: (signature, {})})
    return sent


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One signature of a request that meets our requirements, ready to check against a key."""

    key_id: str
    alg: str | None
    base: bytes
    signature: bytes
    components: tuple[str, ...]

    def check(self, key: VerifyingKey) -> None:
        if self.alg is not None and self.alg != key_algorithm(key):
            raise SignatureRejected(
                Reason.UNSUPPORTED_ALGORITHM, f"alg {self.alg} does not fit key {self.key_id}"
            )
        if not signature_matches(key, self.signature, self.base):
            raise SignatureRejected(Reason.BAD_SIGNATURE, "the signature does not verify")


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
    """The key that signed an RFC 9421 request, or SignatureRejected saying why not.
    `target_uri` is the full URI the request was sent to."""
    fields = field_values(headers)
    inputs = _dictionary(fields, "signature-input")
    if not inputs:
        raise SignatureRejected(Reason.NO_SIGNATURE, "the request has no Signature-Input")
    signatures = _dictionary(fields, "signature")
    context = _Context(method, target_uri, fields, body, now, max_skew, require_digest)
    candidates: list[_Candidate] = []
    refusals: list[SignatureRejected] = []
    for label, member in inputs.items():
        try:
            signature = signatures.get(label, (None, {}))[0]
            candidates.append(_candidate(label, member, signature, context))
        except SignatureRejected as refusal:
            refusals.append(refusal)
    if not candidates:
        raise refusals[0]
    found = await resolve_first(keys, [candidate.key_id for candidate in candidates])
    if found is None:
        named = ", ".join(candidate.key_id for candidate in candidates)
        raise SignatureRejected(Reason.UNKNOWN_KEY, f"no key {named}")
    index, key, refreshed = found
    chosen = candidates[index]
    key = await check_with_refresh(keys, chosen.key_id, key, refreshed, chosen.check)
    return Verified(key.key_id, key.owner, Scheme.RFC9421, chosen.components)


def _dictionary(fields: Mapping[str, str], name: str) -> dict[str, Any]:
    try:
        return http_sf.parse(fields.get(name, "").encode(), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError):
        raise SignatureRejected(
            Reason.MALFORMED, f"{name} is not a structured Dictionary"
        ) from None


@dataclass(frozen=True, slots=True)
class _Context:
    """A request under verification, and what we require of its signatures."""

    method: str
    url: str
    fields: Mapping[str, str]
    body: bytes
    now: datetime
    max_skew: timedelta
    require_digest: bool


def _candidate(label: str, member: Any, signature: Any, context: _Context) -> _Candidate:
    """The signature `label` if it meets our requirements, else SignatureRejected saying how
    it falls short. Nothing here needs its key."""
    components, parameters = member
    if not isinstance(components, list) or not all(isinstance(c[0], str) for c in components):
        raise SignatureRejected(Reason.MALFORMED, f"Signature-Input {label} is no list of names")
    if not isinstance(signature, bytes):
        raise SignatureRejected(Reason.MALFORMED, f"Signature has no byte sequence {label}")
    key_id, alg = parameters.get("keyid"), parameters.get("alg")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureRejected(Reason.MALFORMED, f"Signature-Input {label} has no keyid")
    for name in ("created", "expires"):
        if name in parameters and (
            not isinstance(parameters[name], int) or isinstance(parameters[name], bool)
        ):
            raise SignatureRejected(Reason.MALFORMED, f"{name} of {label} is not an integer")
    if alg is not None and alg not in ALGORITHMS:
        raise SignatureRejected(Reason.UNSUPPORTED_ALGORITHM, f"alg {alg} is not accepted")
    names = [name for name, _ in components]
    _check_coverage(names, "created" in parameters, context.require_digest)
    fields = context.fields
    created = from_timestamp(parameters["created"]) if "created" in parameters else None
    if created is None:
        created = http_date(fields.get("date", ""))
    expires = from_timestamp(parameters["expires"]) if "expires" in parameters else None
    check_window(created, expires, context.now, context.max_skew)
    if "content-digest" in names:
        if "content-digest" not in fields:
            raise SignatureRejected(Reason.DIGEST_MISSING, "Content-Digest is signed but absent")
        check_content_digest(fields["content-digest"], context.body)
    base = signature_base(context.method, context.url, fields, member)
    return _Candidate(key_id, alg, base, signature, tuple(_identifier(n, p) for n, p in components))


def _check_coverage(names: Sequence[str], has_created: bool, require_digest: bool) -> None:
    missing = []
    if "@method" not in names:
        missing.append("@method")
    if "@target-uri" not in names and not (
        "@authority" in names and ("@path" in names or "@request-target" in names)
    ):
        missing.append("@target-uri")
    if require_digest and "content-digest" not in names:
        missing.append("content-digest")
    if not has_created and "date" not in names:
        missing.append("created (or date)")
    if missing:
        raise SignatureRejected(
            Reason.MISSING_COMPONENTS, f"the signature does not cover {', '.join(missing)}"
        )


def _identifier(name: str, parameters: dict[str, Any]) -> str:
    """A component as `Verified` names it: its name, then any parameters
    (`@query-param;name="a"`)."""
    return name + http_sf.ser((name, parameters)).removeprefix(http_sf.ser(name))
