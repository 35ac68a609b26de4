"""Interop with Mastodon, read from its source (app/lib/request.rb, http_signature_draft.rb,
signed_request.rb, app/workers/activitypub/delivery_worker.rb): requests signed the way
Mastodon signs them verify here, and what we sign passes Mastodon's checks, re-stated below
from its code with nothing of ours in them."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256

from server.federation.signatures import Scheme, sign_request, verify_request
from tests.federation.keyring import RSA, Keyring, owned

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY_ID = "https://mastodon.example/users/alice#main-key"


def mastodon_keys() -> Keyring:
    return Keyring({KEY_ID: owned(KEY_ID, RSA)})


ACTIVITY = b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow"}'


def mastodon_signs(method: str, url: str, body: bytes | None, extra: dict[str, str]) -> dict:
    """A request as Mastodon's Request builds it: `(request-target)` (lowercase verb, path and
    query), User-Agent, Host (the URL's host, no port), Date, Accept-Encoding, Digest when
    there is a body, then the caller's headers (DeliveryWorker adds Content-Type); everything
    but User-Agent and Accept-Encoding signed, in that order, with rsa-sha256."""
    parts = urlsplit(url)
    headers = {
        "(request-target)": f"{method.lower()} {parts.path}"
        + (f"?{parts.query}" if parts.query else ""),
        "User-Agent": "http.rb/5.2.0 (Mastodon/4.5.0; +https://mastodon.example/)",
        "Host": parts.hostname,
        "Date": format_datetime(NOW - timedelta(seconds=2), usegmt=True),
        "Accept-Encoding": "gzip",
    }
    if body is not None:
        headers["Digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    headers |= extra
    signed = {k: v for k, v in headers.items() if k not in ("User-Agent", "Accept-Encoding")}
    string = "\n".join(f"{k.lower()}: {v}" for k, v in signed.items())
    signature = base64.b64encode(RSA.sign(string.encode(), PKCS1v15(), SHA256())).decode()
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{" ".join(signed).lower()}",'
        f'signature="{signature}"'
    )
    del headers["(request-target)"]
    return headers


async def test_a_delivery_signed_as_mastodon_signs_it_verifies() -> None:
    url = "https://learnwork.example/users/bob/inbox"
    headers = mastodon_signs("POST", url, ACTIVITY, {"Content-Type": "application/activity+json"})
    verified = await verify_request("POST", url, headers, ACTIVITY, keys=mastodon_keys(), now=NOW)
    assert verified.scheme == Scheme.CAVAGE
    assert verified.components == ("(request-target)", "host", "date", "digest", "content-type")


async def test_a_signed_fetch_as_mastodon_signs_it_verifies() -> None:
    """Authorized fetch: a GET with a query, Accept signed too (Request#add_headers)."""
    url = "https://learnwork.example/users/bob/outbox?page=true"
    headers = mastodon_signs("GET", url, None, {"Accept": "application/activity+json"})
    verified = await verify_request("GET", url, headers, b"", keys=mastodon_keys(), now=NOW)
    assert verified.components == ("(request-target)", "host", "date", "accept")


def mastodon_accepts_draft_cavage(
    method: str, url: str, headers: dict[str, str], body: bytes, key: RSAPublicKey, now: datetime
) -> bool:
    """SignedRequest::HttpSignature (signed_request.rb), step by step:
    - `keyId` and `signature` are required; `algorithm` must be rsa-sha256 or hs2019;
    - the time: created from `Date` (rsa-sha256), not over an hour ahead; expires defaults
      to created + 5 minutes, and now may be at most an hour past it;
    - strength: `date` or `(created)` signed; `(request-target)` or `digest` signed; `host`
      signed for a GET; `digest` signed for a POST;
    - the body: `Digest` present and its SHA-256 the body's;
    - the signed string from the request (`(request-target): post /path?query`), verified
      RSASSA-PKCS1-v1_5 with SHA-256."""
    lookup = {name.lower(): value for name, value in headers.items()}
    params = dict(re.findall(r'([a-zA-Z]+)="([^"]*)"', lookup["signature"]))
    if not params.get("keyId") or not params.get("signature"):
        return False
    if params.get("algorithm", "hs2019") not in ("rsa-sha256", "hs2019"):
        return False
    created = parsedate_to_datetime(lookup["date"])
    if created > now + timedelta(hours=1) or now > created + timedelta(minutes=5, hours=1):
        return False
    signed = params.get("headers", "date").lower().split()
    if "date" not in signed and "(created)" not in signed:
        return False
    if "(request-target)" not in signed and "digest" not in signed:
        return False
    if (method == "GET" and "host" not in signed) or (method == "POST" and "digest" not in signed):
        return False
    if "digest" in signed:
        digests = dict(part.split("=", 1) for part in lookup["digest"].split(","))
        expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if {k.lower(): v for k, v in digests.items()}.get("sha-256") != expected:
            return False
    parts = urlsplit(url)
    fullpath = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"(request-target): {method.lower()} {fullpath}"
        if name == "(request-target)"
        else f"{name}: {lookup[name]}"
        for name in signed
    ]
    try:
        key.verify(
            base64.b64decode(params["signature"]), "\n".join(lines).encode(), PKCS1v15(), SHA256()
        )
    except InvalidSignature:
        return False
    return True


def mastodon_accepts_rfc9421(
    method: str, url: str, headers: dict[str, str], body: bytes, key: RSAPublicKey, now: datetime
) -> bool:
    """SignedRequest::HttpMessageSignature (signed_request.rb, with the Linzer gem):
    - `keyid` and `created` are required;
    - `@method` and `@target-uri` must be covered, `content-digest` too for a POST;
    - `Content-Digest` present, parsed as a Dictionary, its sha-256 the body's;
    - the same time window as above, from `created`;
    - the signature over the RFC 9421 signature base, for an RSA key rsa-v1_5-sha256 (the
      algorithm comes from the key: `alg` is not read)."""
    lookup = {name.lower(): value for name, value in headers.items()}
    ((label, (components, params)),) = http_sf.parse(
        lookup["signature-input"].encode(), tltype="dictionary"
    ).items()
    if not params.get("keyid") or not params.get("created"):
        return False
    names = [name for name, _ in components]
    if "@method" not in names or "@target-uri" not in names:
        return False
    if method == "POST" and "content-digest" not in names:
        return False
    digests = http_sf.parse(lookup["content-digest"].encode(), tltype="dictionary")
    if digests["sha-256"][0] != hashlib.sha256(body).digest():
        return False
    created = datetime.fromtimestamp(params["created"], UTC)
    if created > now + timedelta(hours=1) or now > created + timedelta(minutes=5, hours=1):
        return False
    values = {"@method": method, "@target-uri": url, "content-digest": lookup["content-digest"]}
    signature_params = lookup["signature-input"].removeprefix(f"{label}=")
    base = "".join(f'"{name}": {values[name]}\n' for name in names)
    base += f'"@signature-params": {signature_params}'
    (signature, _) = http_sf.parse(lookup["signature"].encode(), tltype="dictionary")[label]
    try:
        key.verify(signature, base.encode(), PKCS1v15(), SHA256())
    except InvalidSignature:
        return False
    return True


def test_our_draft_cavage_signatures_meet_mastodons_checks() -> None:
    inbox = "https://mastodon.example/users/alice/inbox"
    headers = sign_request(
        Scheme.CAVAGE, "POST", inbox, {}, ACTIVITY, private_key=RSA, key_id="k", now=NOW
    )
    assert mastodon_accepts_draft_cavage("POST", inbox, headers, ACTIVITY, RSA.public_key(), NOW)
    assert not mastodon_accepts_draft_cavage("POST", inbox, headers, b"{}", RSA.public_key(), NOW)
    outbox = "https://mastodon.example/users/alice/outbox?page=true"
    headers = sign_request(
        Scheme.CAVAGE, "GET", outbox, {}, None, private_key=RSA, key_id="k", now=NOW
    )
    assert mastodon_accepts_draft_cavage("GET", outbox, headers, b"", RSA.public_key(), NOW)


def test_our_rfc9421_signatures_meet_mastodons_checks() -> None:
    inbox = "https://mastodon.example/users/alice/inbox"
    headers = sign_request(
        Scheme.RFC9421, "POST", inbox, {}, ACTIVITY, private_key=RSA, key_id="k", now=NOW
    )
    assert mastodon_accepts_rfc9421("POST", inbox, headers, ACTIVITY, RSA.public_key(), NOW)
    later = NOW + timedelta(hours=2)
    assert not mastodon_accepts_rfc9421("POST", inbox, headers, ACTIVITY, RSA.public_key(), later)
