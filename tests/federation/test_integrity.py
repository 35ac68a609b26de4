"""Object Integrity Proofs (eddsa-jcs-2022) and Multikey: the W3C cryptosuite's test vector and
FEP-8b32's reproduced exactly, every change to a signed document caught, every refusal."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from server.federation.integrity import ProofReason, ProofRejected, sign_object, verify_object
from server.federation.multikey import (
    base58btc,
    from_base58btc,
    from_multibase,
    from_public_key_multibase,
    multibase,
    multikey,
    public_key_multibase,
)
from tests.federation.keyring import OTHER_ED25519

# W3C Data Integrity EdDSA Cryptosuites v1.0, "Representation: eddsa-jcs-2022"
# (TestVectors/keyPair.json, unsigned.json, eddsa-jcs-2022/signedJCS.json).
PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SECRET_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
CREDENTIAL = {
    "@context": CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
METHOD = f"did:key:{PUBLIC_MULTIBASE}#{PUBLIC_MULTIBASE}"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
SIGNED_CREDENTIAL = {
    **CREDENTIAL,
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": METHOD,
        "proofPurpose": "assertionMethod",
        "@context": CONTEXT,
        "proofValue": "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjo"
        "JdcnTMuVor51aX",
    },
}


def secret_key(secret_multibase: str) -> Ed25519PrivateKey:
    """A `secretKeyMultibase`: the multicodec ed25519-priv (0x1300, varint 0x80 0x26), then the
    32-byte seed."""
    data = from_multibase(secret_multibase)
    assert data[:2] == b"\x80\x26"
    return Ed25519PrivateKey.from_private_bytes(data[2:])


KEY = secret_key(SECRET_MULTIBASE)


def resolver(**methods: Ed25519PublicKey):
    async def resolve(method: str) -> Ed25519PublicKey | None:
        return methods.get(method)

    return resolve


RESOLVE = resolver(**{METHOD: KEY.public_key()})


def test_the_spec_key_pair_is_one_key() -> None:
    assert public_key_multibase(KEY.public_key()) == PUBLIC_MULTIBASE


def test_the_w3c_eddsa_jcs_2022_vector_is_reproduced() -> None:
    assert sign_object(CREDENTIAL, KEY, METHOD, CREATED) == SIGNED_CREDENTIAL


async def test_the_w3c_eddsa_jcs_2022_vector_verifies() -> None:
    assert await verify_object(SIGNED_CREDENTIAL, RESOLVE) == METHOD


# FEP-8b32's test (fep-8b32.feature): a Create with a Note whose location has decimals,
# which JCS writes the ECMAScript way.
ALICE_KEY = "https://server.example/users/alice#ed25519-key"
FEP_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/data-integrity/v2",
]
CREATE = {
    "@context": FEP_CONTEXT,
    "id": "https://server.example/activities/1",
    "type": "Create",
    "actor": "https://server.example/users/alice",
    "object": {
        "id": "https://server.example/objects/1",
        "type": "Note",
        "attributedTo": "https://server.example/users/alice",
        "content": "Hello world",
        "location": {"type": "Place", "longitude": -71.184902, "latitude": 25.273962},
    },
}
SIGNED_CREATE = {
    **CREATE,
    "proof": {
        "@context": FEP_CONTEXT,
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": ALICE_KEY,
        "proofPurpose": "assertionMethod",
        "proofValue": "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5T"
        "YHaJENCxUDe9SdL",
        "created": "2023-02-24T23:36:38Z",
    },
}


def test_the_fep_8b32_vector_is_reproduced() -> None:
    assert sign_object(CREATE, KEY, ALICE_KEY, CREATED) == SIGNED_CREATE


async def test_the_fep_8b32_vector_verifies_with_the_actors_multikey() -> None:
    """FEP-8b32 verifies against the key the actor lists in `assertionMethod`."""
    method = multikey(ALICE_KEY, "https://server.example/users/alice", KEY.public_key())
    assert method == {
        "id": ALICE_KEY,
        "type": "Multikey",
        "controller": "https://server.example/users/alice",
        "publicKeyMultibase": PUBLIC_MULTIBASE,
    }
    resolve = resolver(**{method["id"]: from_public_key_multibase(method["publicKeyMultibase"])})
    assert await verify_object(SIGNED_CREATE, resolve) == ALICE_KEY


async def test_a_document_without_context_signs_and_verifies() -> None:
    document = {"type": "Note", "content": "no context"}
    signed = sign_object(document, KEY, METHOD, CREATED)
    assert "@context" not in signed["proof"]
    assert await verify_object(signed, RESOLVE) == METHOD


async def test_a_context_extended_after_signing_still_verifies() -> None:
    """The spec checks the document's @context starts with the proof's, and hashes the proof's."""
    extended = {**SIGNED_CREATE, "@context": [*FEP_CONTEXT, "https://w3id.org/security/v1"]}
    assert await verify_object(extended, resolver(**{ALICE_KEY: KEY.public_key()})) == ALICE_KEY


def changed(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `document` with the value at `path` set (None: removed)."""
    copied = copy.deepcopy(document)
    *parents, last = path
    target = copied
    for name in parents:
        target = target[name]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return copied


TAMPERING = {
    "content changed": (("object", "content"), "Goodbye world"),
    "a decimal changed": (("object", "location", "latitude"), 25.273963),
    "a field added": (("object", "sensitive"), True),
    "a field removed": (("object", "attributedTo"), None),
    "the actor changed": (("actor",), "https://server.example/users/mallory"),
    "the first context changed": (("@context",), ["https://www.w3.org/ns/activitystreams"]),
    "proof created changed": (("proof", "created"), "2024-02-24T23:36:38Z"),
    "proof context changed": (("proof", "@context"), ["https://www.w3.org/ns/activitystreams"]),
}


@pytest.mark.parametrize("change", list(TAMPERING))
async def test_any_change_breaks_the_proof(change: str) -> None:
    path, value = TAMPERING[change]
    with pytest.raises(ProofRejected) as refused:
        await verify_object(
            changed(SIGNED_CREATE, path, value), resolver(**{ALICE_KEY: KEY.public_key()})
        )
    assert refused.value.reason == ProofReason.BAD_PROOF


async def test_a_proof_naming_another_method_of_the_same_key_breaks() -> None:
    """verificationMethod is signed too: the proof cannot be moved to another method."""
    moved = changed(
        SIGNED_CREATE, ("proof", "verificationMethod"), "https://server.example/users/bob#k"
    )
    resolve = resolver(**{"https://server.example/users/bob#k": KEY.public_key()})
    with pytest.raises(ProofRejected) as refused:
        await verify_object(moved, resolve)
    assert refused.value.reason == ProofReason.BAD_PROOF


async def test_a_proof_by_another_key_breaks() -> None:
    with pytest.raises(ProofRejected) as refused:
        await verify_object(SIGNED_CREATE, resolver(**{ALICE_KEY: OTHER_ED25519.public_key()}))
    assert refused.value.reason == ProofReason.BAD_PROOF


REFUSALS = {
    "no proof": ((("proof",), None), ProofReason.NO_PROOF),
    "a proof set": ((("proof",), [SIGNED_CREATE["proof"]]), ProofReason.UNSUPPORTED),
    "another cryptosuite": ((("proof", "cryptosuite"), "eddsa-rdfc-2022"), ProofReason.UNSUPPORTED),
    "no cryptosuite": ((("proof", "cryptosuite"), None), ProofReason.UNSUPPORTED),
    "another proof type": ((("proof", "type"), "Ed25519Signature2020"), ProofReason.UNSUPPORTED),
    "another purpose": ((("proof", "proofPurpose"), "authentication"), ProofReason.WRONG_PURPOSE),
    "no method": ((("proof", "verificationMethod"), None), ProofReason.MALFORMED),
    "no proof value": ((("proof", "proofValue"), None), ProofReason.MALFORMED),
    "a base64 proof value": ((("proof", "proofValue"), "mAAAA"), ProofReason.MALFORMED),
    "a proof value out of alphabet": ((("proof", "proofValue"), "z0OIl"), ProofReason.MALFORMED),
    "a short proof value": ((("proof", "proofValue"), "z2HnFSSPPBzR36"), ProofReason.MALFORMED),
    "a huge proof value": ((("proof", "proofValue"), "z" + "2" * 5000), ProofReason.MALFORMED),
    "a created that is no date-time": ((("proof", "created"), "yesterday"), ProofReason.MALFORMED),
    "a created that is a date only": ((("proof", "created"), "2023-02-24"), ProofReason.MALFORMED),
    "a number JSON cannot hold": ((("object", "votes"), 2**60), ProofReason.MALFORMED),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refusals(case: str) -> None:
    (path, value), reason = REFUSALS[case]
    with pytest.raises(ProofRejected) as refused:
        await verify_object(
            changed(SIGNED_CREATE, path, value), resolver(**{ALICE_KEY: KEY.public_key()})
        )
    assert refused.value.reason == reason


async def test_an_unknown_method() -> None:
    with pytest.raises(ProofRejected) as refused:
        await verify_object(SIGNED_CREATE, resolver())
    assert refused.value.reason == ProofReason.UNKNOWN_METHOD


def test_a_document_with_a_proof_is_not_signed_again() -> None:
    with pytest.raises(ValueError, match="already has a proof"):
        sign_object(SIGNED_CREATE, KEY, ALICE_KEY, CREATED)


def test_created_must_say_its_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        sign_object(CREATE, KEY, ALICE_KEY, datetime(2023, 2, 24, 23, 36, 38))


# Multibase and Multikey ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        # draft-msporny-base58-03, section 5.
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
        (b"", ""),
        (b"\0", "1"),
    ],
)
def test_base58btc_vectors(data: bytes, text: str) -> None:
    assert base58btc(data) == text
    assert from_base58btc(text) == data


@pytest.mark.parametrize("seed", [bytes(32), bytes([255] * 32), bytes(range(32))])
def test_multikey_round_trip(seed: bytes) -> None:
    key = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    text = public_key_multibase(key)
    assert text.startswith("z6Mk")
    assert from_public_key_multibase(text) == key
    assert from_multibase(multibase(b"\0\0abc")) == b"\0\0abc"


@pytest.mark.parametrize(
    "text",
    [
        PUBLIC_MULTIBASE[1:],  # no multibase prefix
        "u7QEmtAuPk_" + "A" * 32,  # base64url multibase
        SECRET_MULTIBASE,  # a secret key's codec
        multibase(b"\xed\x01" + bytes(31)),  # too short
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQl",  # "l" is not base58
    ],
)
def test_what_is_no_ed25519_multikey(text: str) -> None:
    with pytest.raises(ValueError):
        from_public_key_multibase(text)
