"""HTTP signatures of ActivityPub requests: draft-cavage-12 (`cavage`) and RFC 9421
(`rfc9421`), signing outgoing requests and verifying incoming ones, with the body digests they
cover (`digests`) and the choice between them (`schemes`).

Pure functions over a method, a URL, header fields and a body, with no HTTP library's types:
the inbox (aiohttp) and tests call them alike. The only I/O is the key source a verifier is
given. docs/federation.md (Signatures) says what we sign and what we accept.
"""

from server.federation.signatures.common import (
    DEFAULT_SKEW,
    Headers,
    KeySource,
    PublicKey,
    Reason,
    Scheme,
    SignatureRejected,
    Verified,
)
from server.federation.signatures.schemes import (
    HostScheme,
    first_scheme,
    learn,
    retry_with,
    sign_request,
    verify_request,
)

__all__ = [
    "DEFAULT_SKEW",
    "Headers",
    "HostScheme",
    "KeySource",
    "PublicKey",
    "Reason",
    "Scheme",
    "SignatureRejected",
    "Verified",
    "first_scheme",
    "learn",
    "retry_with",
    "sign_request",
    "verify_request",
]
