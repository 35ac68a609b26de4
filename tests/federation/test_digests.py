"""Body digests: the values the specifications print, and every way a check refuses."""

from __future__ import annotations

import pytest

from server.federation.signatures.common import Reason, SignatureRejected
from server.federation.signatures.digests import (
    check_content_digest,
    check_digest,
    content_digest,
    digest,
)

BODY = b'{"hello": "world"}'
SHA256 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
"""The digest of BODY printed by draft-cavage-12 (appendix C) and RFC 9530 (appendix B)."""
SHA512 = "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="
"""The digest of BODY in RFC 9421's test request (appendix B.2)."""


def test_digest_is_what_draft_cavage_prints() -> None:
    assert digest(BODY) == f"SHA-256={SHA256}"


def test_content_digest_is_what_rfc_9530_prints() -> None:
    assert content_digest(BODY) == f"sha-256=:{SHA256}:"


@pytest.mark.parametrize(
    "value",
    [
        f"SHA-256={SHA256}",
        f"sha-256={SHA256}",
        f"SHA-512={SHA512}, SHA-256={SHA256}",
        f"MD5=abc,SHA-256={SHA256}",
    ],
)
def test_a_matching_digest_passes(value: str) -> None:
    check_digest(value, BODY)


@pytest.mark.parametrize(
    "value",
    [f"sha-256=:{SHA256}:", f"sha-512=:{SHA512}:", f"sha-512=:{SHA512}:, sha-256=:{SHA256}:"],
)
def test_a_matching_content_digest_passes(value: str) -> None:
    check_content_digest(value, BODY)


def rejection(check, value: str, body: bytes = BODY) -> Reason:
    with pytest.raises(SignatureRejected) as refused:
        check(value, body)
    return refused.value.reason


def test_a_digest_of_another_body_is_a_mismatch() -> None:
    assert (
        rejection(check_digest, f"SHA-256={SHA256}", b'{"hello": "mars"}') == Reason.DIGEST_MISMATCH
    )
    assert rejection(check_content_digest, f"sha-256=:{SHA256}:", b"") == Reason.DIGEST_MISMATCH


def test_one_wrong_digest_among_right_ones_is_a_mismatch() -> None:
    wrong = digest(b"something else").removeprefix("SHA-256=")
    assert rejection(check_digest, f"SHA-512={SHA512},SHA-256={wrong}") == Reason.DIGEST_MISMATCH


def test_only_unknown_algorithms_count_as_no_digest() -> None:
    assert rejection(check_digest, "MD5=Sd/dVLAcvNLSq16eXua5uQ==") == Reason.DIGEST_MISSING
    assert (
        rejection(check_content_digest, "md5=:Sd/dVLAcvNLSq16eXua5uQ==:") == Reason.DIGEST_MISSING
    )


@pytest.mark.parametrize("value", ["SHA-256", "SHA-256=not base64!"])
def test_an_unreadable_digest_is_malformed(value: str) -> None:
    assert rejection(check_digest, value) == Reason.MALFORMED


@pytest.mark.parametrize("value", [f"sha-256={SHA256}", "sha-256=:abc", 'sha-256="text"'])
def test_an_unreadable_content_digest_is_malformed(value: str) -> None:
    assert rejection(check_content_digest, value) == Reason.MALFORMED
