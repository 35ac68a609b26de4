"""The entry points of the signatures package: a request verified whichever scheme it carries,
signing with either, key rotation under both, and the double-knock choice of scheme."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from multidict import CIMultiDict

from server.federation.signatures import (
    HostScheme,
    Reason,
    Scheme,
    SignatureRejected,
    cavage,
    first_scheme,
    learn,
    retry_with,
    rfc9421,
    sign_request,
    verify_request,
)
from server.federation.signatures.schemes import RELEARN_AFTER
from tests.federation.keyring import ED25519, OTHER_ED25519, RSA, Keyring, keyring, owned

INBOX = "https://learnwork.example/users/bob/inbox"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACTIVITY = b'{"type": "Like"}'


def signed(scheme: Scheme, private_key=RSA, key_id="k", method="POST", body=ACTIVITY) -> dict:
    return sign_request(
        scheme,
        method,
        INBOX,
        {"Content-Type": "application/activity+json"},
        body,
        private_key=private_key,
        key_id=key_id,
        now=NOW,
    )


def test_each_scheme_signs_its_own_way() -> None:
    rfc = signed(Scheme.RFC9421)
    assert rfc["Signature-Input"].startswith('sig1=("@method" "@target-uri" "content-digest")')
    assert rfc["Signature"].startswith("sig1=:")
    draft = signed(Scheme.CAVAGE)
    assert "Signature-Input" not in draft
    assert draft["Signature"].startswith('keyId="k",algorithm="rsa-sha256"')


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize("private_key", [RSA, ED25519])
async def test_a_request_is_verified_under_the_scheme_it_carries(scheme, private_key) -> None:
    verified = await verify_request(
        "POST", INBOX, signed(scheme, private_key), ACTIVITY, keys=keyring(k=private_key), now=NOW
    )
    assert (verified.scheme, verified.key_id) == (scheme, "k")


async def test_an_authorization_signature_is_verified_as_draft_cavage() -> None:
    headers = signed(Scheme.CAVAGE)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    verified = await verify_request("POST", INBOX, headers, ACTIVITY, keys=keyring(k=RSA), now=NOW)
    assert verified.scheme == Scheme.CAVAGE


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_a_post_needs_a_covered_digest_by_default(scheme: Scheme) -> None:
    """A GET signed for one URL and replayed as a POST with a body: no digest covered."""
    headers = signed(scheme, method="POST", body=None)
    with pytest.raises(SignatureRejected) as refused:
        await verify_request("POST", INBOX, headers, ACTIVITY, keys=keyring(k=RSA), now=NOW)
    assert refused.value.reason == Reason.MISSING_COMPONENTS


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_a_get_needs_no_digest(scheme: Scheme) -> None:
    headers = signed(scheme, method="GET", body=None)
    verified = await verify_request("GET", INBOX, headers, b"", keys=keyring(k=RSA), now=NOW)
    assert verified.key_id == "k"


@pytest.mark.parametrize(
    ("sign", "covered"),
    [
        (cavage.sign_request, ("(request-target)", "host", "date", "accept")),
        (rfc9421.sign_request, ("@method", "@target-uri", "accept")),
    ],
)
@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (("application/activity+json", "application/ld+json"), None),
        (("application/ld+json", "application/activity+json"), Reason.BAD_SIGNATURE),
    ],
)
async def test_repeated_header_lines_of_a_multidict_are_joined(sign, covered, lines, reason):
    """What aiohttp hands the inbox: a case-insensitive multidict. Two Accept lines are the
    value the sender signed, `a, b`, in their order; swapped they are another value."""
    sent = sign(
        "GET",
        INBOX,
        {"Accept": "application/activity+json, application/ld+json"},
        None,
        private_key=ED25519,
        key_id="k",
        now=NOW,
        covered=covered,
    )
    received = CIMultiDict((name, value) for name, value in sent.items() if name != "Accept")
    received.add("ACCEPT", lines[0])
    received.add("accept", lines[1])
    if reason is None:
        verified = await verify_request(
            "GET", INBOX, received, b"", keys=keyring(k=ED25519), now=NOW
        )
        assert "accept" in verified.components
    else:
        with pytest.raises(SignatureRejected) as refused:
            await verify_request("GET", INBOX, received, b"", keys=keyring(k=ED25519), now=NOW)
        assert refused.value.reason == reason


# Key rotation ----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_a_rotated_key_is_verified_after_exactly_one_refresh(scheme: Scheme) -> None:
    """The source first answers the key it knew (the old one); asked again it fetches the
    actor anew and answers the new key, which verifies."""
    keys = Keyring(
        known={"k": owned("k", OTHER_ED25519)},
        renewed={"k": owned("k", ED25519, owner="https://remote.example/users/alice2")},
    )
    verified = await verify_request(
        "POST", INBOX, signed(scheme, ED25519), ACTIVITY, keys=keys, now=NOW
    )
    assert verified.owner == "https://remote.example/users/alice2"
    assert keys.lookups == [("k", False), ("k", True)]


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_a_key_first_found_by_refreshing_is_not_refreshed_again(scheme: Scheme) -> None:
    keys = Keyring(renewed={"k": owned("k", OTHER_ED25519)})
    with pytest.raises(SignatureRejected) as refused:
        await verify_request("POST", INBOX, signed(scheme, ED25519), ACTIVITY, keys=keys, now=NOW)
    assert refused.value.reason == Reason.BAD_SIGNATURE
    assert keys.lookups == [("k", False), ("k", True)]


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_a_key_the_source_never_knows_is_unknown(scheme: Scheme) -> None:
    keys = Keyring()
    with pytest.raises(SignatureRejected) as refused:
        await verify_request("POST", INBOX, signed(scheme), ACTIVITY, keys=keys, now=NOW)
    assert refused.value.reason == Reason.UNKNOWN_KEY
    assert keys.lookups == [("k", False), ("k", True)]


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_a_key_that_disappears_on_refresh_is_unknown(scheme: Scheme) -> None:
    """The key we had does not verify and the owner no longer lists it: the actor dropped it."""

    async def keys(key_id: str, *, refresh: bool):
        return None if refresh else owned(key_id, OTHER_ED25519)

    with pytest.raises(SignatureRejected) as refused:
        await verify_request("POST", INBOX, signed(scheme, ED25519), ACTIVITY, keys=keys, now=NOW)
    assert refused.value.reason == Reason.UNKNOWN_KEY


# Double-knocking ---------------------------------------------------------------------------


def test_a_host_we_know_nothing_of_gets_rfc_9421_first() -> None:
    assert first_scheme(None, NOW) is Scheme.RFC9421


@pytest.mark.parametrize("status", [400, 401])
def test_a_refused_rfc_9421_signature_is_retried_with_draft_cavage(status: int) -> None:
    assert retry_with(Scheme.RFC9421, status) is Scheme.CAVAGE


@pytest.mark.parametrize(
    ("scheme", "status"),
    [(Scheme.RFC9421, 202), (Scheme.RFC9421, 403), (Scheme.RFC9421, 500), (Scheme.CAVAGE, 401)],
)
def test_other_answers_are_not_retried_with_another_scheme(scheme: Scheme, status: int) -> None:
    assert retry_with(scheme, status) is None


def test_an_accepted_scheme_is_learnt_and_used_first() -> None:
    learnt = learn(Scheme.CAVAGE, 202, NOW)
    assert learnt == HostScheme(Scheme.CAVAGE, NOW)
    assert first_scheme(learnt, NOW + timedelta(days=1)) is Scheme.CAVAGE
    assert first_scheme(learn(Scheme.RFC9421, 200, NOW), NOW) is Scheme.RFC9421


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_a_refusal_or_failure_teaches_nothing(status: int) -> None:
    assert learn(Scheme.CAVAGE, status, NOW) is None


def test_a_draft_cavage_host_is_asked_with_rfc_9421_again_after_a_while() -> None:
    learnt = HostScheme(Scheme.CAVAGE, NOW)
    assert first_scheme(learnt, NOW + RELEARN_AFTER - timedelta(seconds=1)) is Scheme.CAVAGE
    assert first_scheme(learnt, NOW + RELEARN_AFTER) is Scheme.RFC9421
