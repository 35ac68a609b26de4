"""Object Integrity Proofs (FEP-8b32): a signature inside an activity or object, so it can be
verified whoever delivers it, with the `eddsa-jcs-2022` cryptosuite (W3C Data Integrity EdDSA
Cryptosuites v1.0 §3.3) — the one Mastodon verifies too.

A proof signs two SHA-256 hashes, of the proof configuration and of the document without its
proof, each canonicalised with JCS (RFC 8785); it is an Ed25519 signature, written multibase
base58btc. The proof configuration holds the document's `@context` (the spec's step 2, which
FEP-8b32 keeps): a verifier checks the document's `@context` starts with it.

Verifying says which verification method signed; whether that method belongs to the actor
the activity speaks for is the caller's check (FEP-8b32: its controller must be the actor).
Proof sets and chains (a list of proofs) are not supported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from server.federation.multikey import from_multibase, multibase

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
ASSERTION = "assertionMethod"

Resolve = Callable[[str], Awaitable[Ed25519PublicKey | None]]
"""Finds the Ed25519 key of a verification method (a Multikey's `id`); None: no such key."""


class ProofReason(StrEnum):
    NO_PROOF = "no_proof"
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"
    """Another proof type or cryptosuite, or a proof set."""
    WRONG_PURPOSE = "wrong_purpose"
    UNKNOWN_METHOD = "unknown_method"
    BAD_PROOF = "bad_proof"
    """The signature does not verify: the document or the proof changed since it was made."""


class ProofRejected(Exception):
    """A proof we refuse; `reason` for machines, the message for people."""

    def __init__(self, reason: ProofReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def sign_object(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = ASSERTION,
) -> dict[str, Any]:
    """`document` with an eddsa-jcs-2022 `proof` made with `private_key`, whose Multikey is
    `verification_method`, at `created` (whole seconds, UTC). A document that already holds
    a proof is refused: proof sets are not supported."""
    if "proof" in document:
        raise ValueError("the document already has a proof")
    if created.tzinfo is None:
        raise ValueError("created must be an aware datetime")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if "@context" in document:
        proof["@context"] = document["@context"]
    signature = private_key.sign(_hash_data(proof, document))
    return {**document, "proof": {**proof, "proofValue": multibase(signature)}}


async def verify_object(
    document: dict[str, Any], resolve: Resolve, proof_purpose: str = ASSERTION
) -> str:
    """The verification method whose key made the document's eddsa-jcs-2022 proof, or
    ProofRejected saying why not (no proof, another cryptosuite or purpose, an unreadable or
    unknown value, a document or proof changed since signing)."""
    proof = document.get("proof")
    if proof is None:
        raise ProofRejected(ProofReason.NO_PROOF, "the document has no proof")
    if not isinstance(proof, dict):
        raise ProofRejected(ProofReason.UNSUPPORTED, "proof sets are not supported")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofRejected(
            ProofReason.UNSUPPORTED,
            f"a {proof.get('type')} proof with cryptosuite {proof.get('cryptosuite')} "
            f"is not {PROOF_TYPE} {CRYPTOSUITE}",
        )
    if proof.get("proofPurpose") != proof_purpose:
        raise ProofRejected(
            ProofReason.WRONG_PURPOSE, f"proof for {proof.get('proofPurpose')}, not {proof_purpose}"
        )
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method:
        raise ProofRejected(ProofReason.MALFORMED, "the proof names no verificationMethod")
    signature = _signature(proof.get("proofValue"))
    if "created" in proof:
        _check_created(proof["created"])
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    if "@context" in options:
        expected = _as_list(options["@context"])
        if _as_list(unsecured.get("@context"))[: len(expected)] != expected:
            raise ProofRejected(
                ProofReason.BAD_PROOF, "the document's @context does not start with the proof's"
            )
        unsecured["@context"] = options["@context"]
    key = await resolve(method)
    if key is None:
        raise ProofRejected(ProofReason.UNKNOWN_METHOD, f"no Ed25519 key {method}")
    try:
        key.verify(signature, _hash_data(options, unsecured))
    except InvalidSignature:
        raise ProofRejected(ProofReason.BAD_PROOF, "the proof does not verify") from None
    return method


def _hash_data(proof_config: dict[str, Any], document: dict[str, Any]) -> bytes:
    """§3.3.4: SHA-256 of the canonical proof configuration, then of the canonical document."""
    try:
        canonical = [rfc8785.dumps(proof_config), rfc8785.dumps(document)]
    except rfc8785.CanonicalizationError as error:
        raise ProofRejected(ProofReason.MALFORMED, f"not canonical JSON: {error}") from None
    return b"".join(hashlib.sha256(part).digest() for part in canonical)


def _signature(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ProofRejected(ProofReason.MALFORMED, "the proof has no proofValue")
    try:
        signature = from_multibase(value)
    except ValueError as error:
        raise ProofRejected(ProofReason.MALFORMED, f"proofValue: {error}") from None
    if len(signature) != 64:
        raise ProofRejected(ProofReason.MALFORMED, "proofValue is no Ed25519 signature")
    return signature


def _check_created(value: Any) -> None:
    """§3.3.5: a `created` that is not an XML Schema dateTime is an error."""
    try:
        datetime.fromisoformat(value)
        date_time = "T" in value
    except (TypeError, ValueError):
        date_time = False
    if not date_time:
        raise ProofRejected(ProofReason.MALFORMED, f"created {value!r} is no date-time")


def _as_list(context: Any) -> list[Any]:
    return context if isinstance(context, list) else [context]
