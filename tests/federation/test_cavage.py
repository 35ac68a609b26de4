"""draft-cavage-12 signatures: the draft's own test values (appendix C) reproduced byte for byte,
its signing-string example, round trips with RSA and Ed25519 keys, and every refusal."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from server.federation.signatures.cavage import (
    parse,
    sign_request,
    signing_string,
    verify_request,
)
from server.federation.signatures.common import (
    Headers,
    Reason,
    Scheme,
    SignatureRejected,
    field_values,
)
from server.federation.signatures.digests import digest
from tests.federation.keyring import (
    CAVAGE,
    ED25519,
    OTHER_ED25519,
    RSA,
    Keyring,
    keyring,
    owned,
)

# draft-cavage-http-signatures-12, appendix C: "All examples use this request".
URL = "https://example.com/foo?param=value&pet=dog"
BODY = b'{"hello": "world"}'
HEADERS = {
    "Host": "example.com",
    "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
WHEN = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)

C1_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5l"
    "p7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
C2_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe"
    "8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
C3_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaE"
    "UHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)
ALL_HEADERS = ("(request-target)", "host", "date", "content-type", "digest", "content-length")


def signed_string(covered: tuple[str, ...], headers: Headers = HEADERS, url: str = URL) -> str:
    value = f'keyId="Test",algorithm="rsa-sha256",headers="{" ".join(covered)}",signature="c2ln"'
    return signing_string("POST", url, field_values(headers), parse(value)).decode()


def test_c1_default_test_signs_the_date_alone() -> None:
    """C.1: with no `headers`, rsa-sha256 signs `date`; our signer reproduces the signature."""
    assert parse(f'keyId="Test",algorithm="rsa-sha256",signature="{C1_SIGNATURE}"').headers == (
        "date",
    )
    assert signed_string(("date",)) == "date: Sun, 05 Jan 2014 21:31:40 GMT"
    sent = sign_request(
        "POST", URL, HEADERS, BODY, private_key=CAVAGE, key_id="Test", now=WHEN, covered=("date",)
    )
    assert sent["Signature"].endswith(f'signature="{C1_SIGNATURE}"')


def test_c2_basic_test_is_reproduced_byte_for_byte() -> None:
    """C.2: `(request-target) host date`; the whole header is what the draft prints."""
    assert signed_string(("(request-target)", "host", "date")) == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT"
    )
    sent = sign_request(
        "POST",
        URL,
        HEADERS,
        BODY,
        private_key=CAVAGE,
        key_id="Test",
        now=WHEN,
        covered=("(request-target)", "host", "date"),
    )
    assert sent["Signature"] == (
        'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",'
        f'signature="{C2_SIGNATURE}"'
    )


def test_c3_all_headers_test_is_reproduced_byte_for_byte() -> None:
    """C.3: the signature printed is over the six-line signing string printed above it."""
    assert signed_string(ALL_HEADERS) == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT\n"
        "content-type: application/json\n"
        "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n"
        "content-length: 18"
    )
    sent = sign_request(
        "POST", URL, HEADERS, BODY, private_key=CAVAGE, key_id="Test", now=WHEN, covered=ALL_HEADERS
    )
    assert sent["Signature"].endswith(f'signature="{C3_SIGNATURE}"')


async def test_c2_verifies_from_signature_and_authorization_headers() -> None:
    value = (
        'keyId="Test",algorithm="rsa-sha256",\n  headers="(request-target) host date", '
        f'signature="{C2_SIGNATURE}"'
    )
    for name, field in (("Signature", value), ("Authorization", f"Signature {value}")):
        verified = await verify_request(
            "POST",
            URL,
            {**HEADERS, name: field},
            BODY,
            keys=keyring(Test=CAVAGE),
            now=WHEN,
            require_digest=False,
        )
        assert (verified.key_id, verified.scheme) == ("Test", Scheme.CAVAGE)
        assert verified.components == ("(request-target)", "host", "date")


async def test_c3_verifies_with_the_digest_checked() -> None:
    value = (
        f'keyId="Test",algorithm="rsa-sha256",headers="{" ".join(ALL_HEADERS)}",'
        f'signature="{C3_SIGNATURE}"'
    )
    verified = await verify_request(
        "POST",
        URL,
        {**HEADERS, "Signature": value},
        BODY,
        keys=keyring(Test=CAVAGE),
        now=WHEN,
        require_digest=True,
    )
    assert verified.components == ALL_HEADERS


def test_c3_as_printed_in_draft_12_is_refused() -> None:
    """Draft 12 prints C.3 with `(created) (expires)` under rsa-sha256, which its own §2.3
    forbids ("an implementation MUST produce an error"): its warning says the vectors are old."""
    with pytest.raises(SignatureRejected) as refused:
        parse(
            'keyId="Test",algorithm="rsa-sha256",created=1402170695, expires=1402170699,'
            'headers="(request-target) (created) (expires) host date content-type digest '
            f'content-length",signature="{C3_SIGNATURE}"'
        )
    assert refused.value.reason == Reason.MALFORMED


def test_signing_string_example_of_section_2_3() -> None:
    """§2.3's example: pseudo-headers, repeated lines joined, an empty value, obsolete line
    folding. (The draft prints the empty header's line without the space its rule gives it.)"""
    headers = [
        ("Host", "example.org"),
        ("Date", "Tue, 07 Jun 2014 20:51:35 GMT"),
        ("X-Example", "Example header\r\n    with some whitespace."),
        ("X-EmptyHeader", ""),
        ("Cache-Control", "max-age=60"),
        ("Cache-Control", "must-revalidate"),
    ]
    parameters = parse(
        'keyId="Test",algorithm="hs2019",created=1402170695,signature="c2ln",headers="'
        '(request-target) (created) host date cache-control x-emptyheader x-example"'
    )
    assert signing_string("GET", "https://example.org/foo", field_values(headers), parameters) == (
        b"(request-target): get /foo\n"
        b"(created): 1402170695\n"
        b"host: example.org\n"
        b"date: Tue, 07 Jun 2014 20:51:35 GMT\n"
        b"cache-control: max-age=60, must-revalidate\n"
        b"x-emptyheader: \n"
        b"x-example: Example header with some whitespace."
    )


# Round trips ------------------------------------------------------------------------------

INBOX = "https://learnwork.example/users/bob/inbox"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACTIVITY = b'{"type": "Follow"}'


def post(private_key=RSA, key_id="test-key-rsa", body=ACTIVITY, now=NOW, **extra) -> dict:
    return sign_request(
        "POST",
        INBOX,
        {"Content-Type": "application/activity+json"},
        body,
        private_key=private_key,
        key_id=key_id,
        now=now,
        **extra,
    )


@pytest.mark.parametrize(("private_key", "algorithm"), [(RSA, "rsa-sha256"), (ED25519, "hs2019")])
async def test_a_signed_post_verifies(private_key, algorithm) -> None:
    headers = post(private_key, "key-1")
    assert headers["Host"] == "learnwork.example"
    assert headers["Date"] == "Sun, 01 Mar 2026 12:00:00 GMT"
    assert headers["Digest"] == digest(ACTIVITY)
    assert (
        f'algorithm="{algorithm}",headers="(request-target) host date digest"'
        in headers["Signature"]
    )
    verified = await verify_request(
        "POST",
        INBOX,
        headers,
        ACTIVITY,
        keys=keyring(key_1=private_key),
        now=NOW,
        require_digest=True,
    )
    assert (verified.key_id, verified.owner) == ("key-1", "https://remote.example/users/alice")


@pytest.mark.parametrize("private_key", [RSA, ED25519])
async def test_a_signed_get_verifies(private_key) -> None:
    url = "https://learnwork.example/users/bob/outbox?page=2"
    headers = sign_request(
        "GET",
        url,
        {"Accept": "application/activity+json"},
        None,
        private_key=private_key,
        key_id="k",
        now=NOW,
    )
    assert "Digest" not in headers
    assert 'headers="(request-target) host date"' in headers["Signature"]
    verified = await verify_request(
        "GET", url, headers, b"", keys=keyring(k=private_key), now=NOW, require_digest=False
    )
    assert verified.components == ("(request-target)", "host", "date")


async def test_a_get_signed_without_its_query_verifies_as_mastodon_accepts_it() -> None:
    """Older Mastodon signed `(request-target)` without the query; Mastodon accepts it."""
    headers = sign_request(
        "GET", "https://learnwork.example/outbox", {}, None, private_key=RSA, key_id="k", now=NOW
    )
    verified = await verify_request(
        "GET",
        "https://learnwork.example/outbox?page=2",
        headers,
        b"",
        keys=keyring(k=RSA),
        now=NOW,
        require_digest=False,
    )
    assert verified.key_id == "k"


async def test_a_post_signed_without_its_query_does_not_verify() -> None:
    """The old form is taken for GETs only: a POST's query is part of what it does."""
    headers = post()
    assert await refusal(headers, url=INBOX + "?as=someone-else") == Reason.BAD_SIGNATURE


def test_a_given_digest_that_does_not_match_the_body_is_not_signed() -> None:
    with pytest.raises(ValueError, match="Digest"):
        sign_request(
            "POST",
            INBOX,
            {"Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},
            b"other",
            private_key=RSA,
            key_id="k",
            now=NOW,
        )


# Refusals --------------------------------------------------------------------------------


async def refusal(
    headers: Headers,
    body: bytes = ACTIVITY,
    keys: Keyring | None = None,
    now: datetime = NOW,
    require_digest: bool = True,
    method: str = "POST",
    url: str = INBOX,
) -> Reason:
    with pytest.raises(SignatureRejected) as refused:
        await verify_request(
            method,
            url,
            headers,
            body,
            keys=keys if keys is not None else keyring(test_key_rsa=RSA),
            now=now,
            require_digest=require_digest,
        )
    return refused.value.reason


def replaced(headers: dict, old: str, new: str) -> dict:
    return {**headers, "Signature": headers["Signature"].replace(old, new)}


async def test_no_signature() -> None:
    assert await refusal({"Host": "learnwork.example"}) == Reason.NO_SIGNATURE


async def test_an_authorization_of_another_scheme_is_no_signature() -> None:
    assert await refusal({"Authorization": "Bearer abc"}) == Reason.NO_SIGNATURE


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        'keyId="k",signature="c2ln"',  # headers default to (created), which is not given
        'algorithm="rsa-sha256",headers="date",signature="c2ln"',
        'keyId="k",algorithm="rsa-sha256",headers="date"',
        'keyId="k",keyId="j",algorithm="rsa-sha256",headers="date",signature="c2ln"',
        'keyId="k",algorithm="rsa-sha256",headers="",signature="c2ln"',
        'keyId="k",algorithm="rsa-sha256",headers="date",signature="not base64!"',
        'keyId="k" algorithm="rsa-sha256",headers="date",signature="c2ln"',
        'keyId="k",algorithm="hs2019",created=yesterday,headers="(created)",signature="c2ln"',
    ],
)
async def test_a_malformed_signature_header(value: str) -> None:
    assert await refusal({**post(), "Signature": value}) == Reason.MALFORMED


async def test_a_covered_header_that_is_absent_is_malformed() -> None:
    headers = post(covered=("(request-target)", "host", "date", "digest", "content-type"))
    del headers["Content-Type"]
    assert await refusal(headers) == Reason.MALFORMED


@pytest.mark.parametrize("algorithm", ["rsa-sha512", "hmac-sha256", "ecdsa-sha256", "rsa-sha1"])
async def test_an_unsupported_algorithm(algorithm: str) -> None:
    headers = replaced(post(), 'algorithm="rsa-sha256"', f'algorithm="{algorithm}"')
    assert await refusal(headers) == Reason.UNSUPPORTED_ALGORITHM


async def test_rsa_sha256_declared_for_an_ed25519_key_is_unsupported() -> None:
    headers = replaced(post(ED25519, "k"), 'algorithm="hs2019"', 'algorithm="rsa-sha256"')
    assert await refusal(headers, keys=keyring(k=ED25519)) == Reason.UNSUPPORTED_ALGORITHM


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        (("host", "date", "digest"), "(request-target)"),
        (("(request-target)", "date", "digest"), "host"),
        (("(request-target)", "host", "digest"), "date"),
        (("(request-target)", "host", "date"), "digest"),
    ],
)
async def test_required_headers_not_covered(covered, missing) -> None:
    with pytest.raises(SignatureRejected) as refused:
        await verify_request(
            "POST",
            INBOX,
            post(covered=covered),
            ACTIVITY,
            keys=keyring(test_key_rsa=RSA),
            now=NOW,
            require_digest=True,
        )
    assert refused.value.reason == Reason.MISSING_COMPONENTS
    assert refused.value.message == f"the signature does not cover {missing}"


async def test_a_signed_digest_that_is_absent() -> None:
    headers = post()
    del headers["Digest"]
    assert await refusal(headers) == Reason.DIGEST_MISSING


async def test_a_digest_of_another_body() -> None:
    assert await refusal(post(), body=b'{"type": "Block"}') == Reason.DIGEST_MISMATCH


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_a_date_outside_the_window(offset: timedelta) -> None:
    assert await refusal(post(now=NOW + offset)) == Reason.OUTSIDE_WINDOW


async def test_a_date_just_inside_the_window_verifies() -> None:
    headers = post(now=NOW - timedelta(minutes=4, seconds=59))
    verified = await verify_request(
        "POST",
        INBOX,
        headers,
        ACTIVITY,
        keys=keyring(test_key_rsa=RSA),
        now=NOW,
        require_digest=True,
    )
    assert verified.key_id == "test-key-rsa"


async def test_a_created_outside_the_window() -> None:
    assert (
        await refusal(hs2019_created(created=NOW - timedelta(minutes=10)), keys=keyring(k=ED25519))
        == Reason.OUTSIDE_WINDOW
    )


async def test_a_passed_expires() -> None:
    headers = hs2019_created(created=NOW - timedelta(minutes=2), expires=NOW - timedelta(minutes=6))
    assert await refusal(headers, keys=keyring(k=ED25519)) == Reason.EXPIRED


async def test_created_and_expires_verify_within_the_window() -> None:
    headers = hs2019_created(created=NOW - timedelta(minutes=2), expires=NOW + timedelta(minutes=1))
    verified = await verify_request(
        "POST", INBOX, headers, ACTIVITY, keys=keyring(k=ED25519), now=NOW, require_digest=True
    )
    assert verified.components == ("(request-target)", "(created)", "(expires)", "host", "digest")


def hs2019_created(created: datetime, expires: datetime | None = None) -> dict:
    """A request signed as the draft recommends for hs2019: `(created)` instead of `date`."""
    headers = post(ED25519, "k")
    covered = ["(request-target)", "(created)", "host", "digest"]
    extra = f",created={int(created.timestamp())}"
    if expires is not None:
        covered.insert(2, "(expires)")
        extra += f",expires={int(expires.timestamp())}"
    parameters = parse(
        f'keyId="k",algorithm="hs2019",headers="{" ".join(covered)}",signature="c2ln"{extra}'
    )
    signature = ED25519.sign(signing_string("POST", INBOX, field_values(headers), parameters))
    headers["Signature"] = (
        f'keyId="k",algorithm="hs2019",headers="{" ".join(covered)}"{extra},'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


async def test_an_unknown_key() -> None:
    keys = keyring(someone_else=RSA)
    assert await refusal(post(), keys=keys) == Reason.UNKNOWN_KEY
    assert keys.lookups == [("test-key-rsa", False), ("test-key-rsa", True)]


async def test_a_signature_by_another_key() -> None:
    assert await refusal(post(OTHER_ED25519, "k"), keys=keyring(k=ED25519)) == Reason.BAD_SIGNATURE


async def test_a_changed_covered_header_breaks_the_signature() -> None:
    headers = post(covered=("(request-target)", "host", "date", "digest", "content-type"))
    headers["Content-Type"] = "text/html"
    assert await refusal(headers) == Reason.BAD_SIGNATURE


async def test_another_method_or_path_breaks_the_signature() -> None:
    assert await refusal(post(), method="PUT") == Reason.BAD_SIGNATURE
    headers = post()
    with pytest.raises(SignatureRejected) as refused:
        await verify_request(
            "POST",
            "https://learnwork.example/inbox",
            headers,
            ACTIVITY,
            keys=keyring(test_key_rsa=RSA),
            now=NOW,
            require_digest=True,
        )
    assert refused.value.reason == Reason.BAD_SIGNATURE


async def test_a_bad_signature_is_checked_again_with_a_refreshed_key() -> None:
    keys = Keyring(known={"k": owned("k", OTHER_ED25519)}, renewed={"k": owned("k", ED25519)})
    verified = await verify_request(
        "POST", INBOX, post(ED25519, "k"), ACTIVITY, keys=keys, now=NOW, require_digest=True
    )
    assert verified.key_id == "k"
    assert keys.lookups == [("k", False), ("k", True)]


async def test_an_old_key_that_stays_old_is_refused_after_one_refresh() -> None:
    keys = keyring(k=OTHER_ED25519)
    assert await refusal(post(ED25519, "k"), keys=keys) == Reason.BAD_SIGNATURE
    assert keys.refreshes == 1
