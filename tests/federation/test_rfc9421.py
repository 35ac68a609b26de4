"""RFC 9421 signatures: the RFC's signature bases reproduced byte for byte, its ed25519 and
rsa-v1_5-sha256 signatures verified and reproduced, round trips with RSA and Ed25519 keys, and
every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import http_sf
import pytest

from server.federation.signatures.common import (
    Headers,
    Reason,
    Scheme,
    SignatureRejected,
    field_values,
)
from server.federation.signatures.digests import content_digest
from server.federation.signatures.rfc9421 import (
    sign_request,
    signature_base,
    target_uri,
    verify_request,
)
from tests.federation.keyring import ED25519, OTHER_ED25519, RSA, Keyring, keyring, owned


def message(text: str, scheme: str = "https") -> tuple[str, str, list[tuple[str, str]], bytes]:
    """An HTTP/1.1 request as the RFC prints it: method, target URI, header lines, body."""
    head, _, body = text.partition("\n\n")
    request_line, *lines = head.split("\n")
    method, target, _ = request_line.split(" ")
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines]
    host = next(value for name, value in headers if name.lower() == "host")
    return method, f"{scheme}://{host}{target}", headers, body.encode()


SHA512_DIGEST = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJw"
    "ew==:"
)
# RFC 9421 appendix B.2: the `test-request` message.
TEST_REQUEST = "\n".join(
    [
        "POST /foo?param=Value&Pet=dog HTTP/1.1",
        "Host: example.com",
        "Date: Tue, 20 Apr 2021 02:07:55 GMT",
        "Content-Type: application/json",
        f"Content-Digest: {SHA512_DIGEST}",
        "Content-Length: 18",
        "",
        '{"hello": "world"}',
    ]
)
CREATED = 1618884473


def base_of(text: str, signature_input: str) -> str:
    """The signature base our code builds for a printed message and a Signature-Input value."""
    method, uri, headers, _ = message(text)
    (member,) = http_sf.parse(signature_input.encode(), tltype="dictionary").values()
    return signature_base(method, uri, field_values(headers), member).decode()


def test_section_2_5_example_signature_base() -> None:
    assert base_of(
        TEST_REQUEST,
        'sig1=("@method" "@authority" "@path" "content-digest" "content-length" "content-type")'
        ';created=1618884473;keyid="test-key-rsa-pss"',
    ) == (
        '"@method": POST\n'
        '"@authority": example.com\n'
        '"@path": /foo\n'
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu'
        "7BNNyealdVLvRwEmTHWXvJwew==:\n"
        '"content-length": 18\n'
        '"content-type": application/json\n'
        '"@signature-params": ("@method" "@authority" "@path" "content-digest" "content-length" '
        '"content-type");created=1618884473;keyid="test-key-rsa-pss"'
    )


def test_b21_minimal_signature_base() -> None:
    assert base_of(
        TEST_REQUEST,
        'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    ) == (
        '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss"'
        ';nonce="b3k2pp5k7z-50gnwp.yemd"'
    )


def test_b22_selective_signature_base_with_a_query_parameter() -> None:
    assert base_of(
        TEST_REQUEST,
        'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473'
        ';keyid="test-key-rsa-pss";tag="header-example"',
    ) == (
        '"@authority": example.com\n'
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu'
        "7BNNyealdVLvRwEmTHWXvJwew==:\n"
        '"@query-param";name="Pet": dog\n'
        '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet")'
        ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"'
    )


def test_b23_full_coverage_signature_base() -> None:
    assert base_of(
        TEST_REQUEST,
        'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest"'
        ' "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ) == (
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@query": ?param=Value&Pet=dog\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu'
        "7BNNyealdVLvRwEmTHWXvJwew==:\n"
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" '
        '"content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"'
    )


B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBK"
    "RCw==:"
)


def test_b26_ed25519_signature_base() -> None:
    assert base_of(TEST_REQUEST, B26_INPUT) == (
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"'
    )


async def test_b26_ed25519_signature_verifies() -> None:
    """B.2.6 covers `@authority` and `@path` rather than `@target-uri`, and no digest: our
    requirements accept that when no body digest is required."""
    method, uri, headers, body = message(TEST_REQUEST)
    headers += [("Signature-Input", B26_INPUT), ("Signature", B26_SIGNATURE)]
    verified = await verify_request(
        method,
        uri,
        headers,
        body,
        keys=keyring(test_key_ed25519=ED25519),
        now=datetime.fromtimestamp(CREATED + 30, UTC),
        require_digest=False,
    )
    assert (verified.key_id, verified.scheme) == ("test-key-ed25519", Scheme.RFC9421)
    assert verified.components == (
        "date",
        "@method",
        "@path",
        "@authority",
        "content-type",
        "content-length",
    )


def test_b26_ed25519_signature_is_reproduced() -> None:
    """Ed25519 is deterministic: our signer gives the RFC's value."""
    method, uri, headers, body = message(TEST_REQUEST)
    sent = sign_request(
        method,
        uri,
        dict(headers),
        body,
        private_key=ED25519,
        key_id="test-key-ed25519",
        now=datetime.fromtimestamp(CREATED, UTC),
        covered=("date", "@method", "@path", "@authority", "content-type", "content-length"),
        label="sig-b26",
    )
    assert sent["Signature-Input"] == B26_INPUT
    assert sent["Signature"] == B26_SIGNATURE


# RFC 9421 §4.3: a request a reverse proxy signed with test-key-rsa, rsa-v1_5-sha256, after
# the client had signed it with test-key-ecc-p256.
PROXIED = "\n".join(
    [
        "POST /foo?param=Value&Pet=dog HTTP/1.1",
        "Host: origin.host.internal.example",
        "Date: Tue, 20 Apr 2021 02:07:56 GMT",
        "Content-Type: application/json",
        "Content-Length: 18",
        "Forwarded: for=192.0.2.123;host=example.com;proto=https",
        f"Content-Digest: {SHA512_DIGEST}",
        "",
        '{"hello": "world"}',
    ]
)
PROXY_INPUT = (
    'proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length"'
    ' "forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256"'
    ";expires=1618884540"
)
PROXY_SIGNATURE = (
    "proxy_sig=:S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92iHgxtR"
    "Pz+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObt"
    "NKKZd8tSFu7LB5YAv0RAGhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2Tw"
    "evU+/PBPv0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtznbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g==:"
)
CLIENT_INPUT = (
    'sig1=("@method" "@authority" "@path" "content-digest" "content-type" "content-length")'
    ';created=1618884475;keyid="test-key-ecc-p256"'
)
CLIENT_SIGNATURE = (
    "sig1=:X5spyd6CFnAG5QnDyHfqoSNICd+BUP4LYMz2Q0JXlb//4Ijpzp+kve2w4NIyqeAuM7jTDX+sNalzA8ESSaHD3A"
    "==:"
)


def test_section_4_3_rsa_v1_5_signature_base() -> None:
    assert base_of(PROXIED, PROXY_INPUT) == (
        '"@method": POST\n'
        '"@authority": origin.host.internal.example\n'
        '"@path": /foo\n'
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu'
        "7BNNyealdVLvRwEmTHWXvJwew==:\n"
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"forwarded": for=192.0.2.123;host=example.com;proto=https\n'
        '"@signature-params": ("@method" "@authority" "@path" "content-digest" "content-type" '
        '"content-length" "forwarded");created=1618884480;keyid="test-key-rsa"'
        ';alg="rsa-v1_5-sha256";expires=1618884540'
    )


def test_section_4_3_rsa_v1_5_signature_is_reproduced() -> None:
    """RSASSA-PKCS1-v1_5 is deterministic too: with `alg` and `expires` asked for, our signer
    gives the RFC's proxy signature, and keeps the sha-512 Content-Digest it was given."""
    method, uri, headers, body = message(PROXIED)
    sent = sign_request(
        method,
        uri,
        dict(headers),
        body,
        private_key=RSA,
        key_id="test-key-rsa",
        now=datetime.fromtimestamp(1618884480, UTC),
        covered=(
            "@method",
            "@authority",
            "@path",
            "content-digest",
            "content-type",
            "content-length",
            "forwarded",
        ),
        expires=datetime.fromtimestamp(1618884540, UTC),
        with_alg=True,
        label="proxy_sig",
    )
    assert sent["Content-Digest"] == dict(headers)["Content-Digest"]
    assert sent["Signature-Input"] == PROXY_INPUT
    assert sent["Signature"] == PROXY_SIGNATURE


async def test_of_two_signatures_the_first_whose_key_is_known_is_verified() -> None:
    """§4.3's message carries the client's ECDSA signature first and the proxy's RSA one next;
    a key source that knows only the proxy's key gets the proxy's verified."""
    method, uri, headers, body = message(PROXIED)
    headers += [
        ("Signature-Input", f"{CLIENT_INPUT}, {PROXY_INPUT}"),
        ("Signature", f"{CLIENT_SIGNATURE}, {PROXY_SIGNATURE}"),
    ]
    keys = keyring(test_key_rsa=RSA)
    verified = await verify_request(
        method,
        uri,
        headers,
        body,
        keys=keys,
        now=datetime.fromtimestamp(1618884490, UTC),
        require_digest=True,
    )
    assert verified.key_id == "test-key-rsa"
    assert "forwarded" in verified.components
    assert keys.lookups == [("test-key-ecc-p256", False), ("test-key-rsa", False)]


async def test_a_signature_past_its_expires_is_refused_even_when_another_is_fine() -> None:
    """The proxy's signature expired at 1618884540; 10 minutes later the client's signature
    still meets our requirements, but its key is unknown here."""
    method, uri, headers, body = message(PROXIED)
    headers += [
        ("Signature-Input", f"{PROXY_INPUT}, {CLIENT_INPUT}"),
        ("Signature", f"{PROXY_SIGNATURE}, {CLIENT_SIGNATURE}"),
    ]
    with pytest.raises(SignatureRejected) as refused:
        await verify_request(
            method,
            uri,
            headers,
            body,
            keys=keyring(test_key_rsa=RSA),
            now=datetime.fromtimestamp(1618884540 + 301, UTC),
            max_skew=timedelta(minutes=10),
            require_digest=True,
        )
    assert refused.value.reason == Reason.UNKNOWN_KEY


async def test_a_lone_expired_signature_is_refused_as_expired() -> None:
    method, uri, headers, body = message(PROXIED)
    headers += [("Signature-Input", PROXY_INPUT), ("Signature", PROXY_SIGNATURE)]
    with pytest.raises(SignatureRejected) as refused:
        await verify_request(
            method,
            uri,
            headers,
            body,
            keys=keyring(test_key_rsa=RSA),
            now=datetime.fromtimestamp(1618884540 + 301, UTC),
            max_skew=timedelta(minutes=10),
            require_digest=True,
        )
    assert refused.value.reason == Reason.EXPIRED


# RFC 9421 appendix B.4: one ed25519 signature through allowed and disallowed transformations.
TRANSFORM_INPUT = (
    'transform=("@method" "@path" "@authority" "accept");created=1618884473'
    ';keyid="test-key-ed25519"'
)
TRANSFORM_SIGNATURE = (
    "transform=:ZT1kooQsEHpZ0I1IjCqtQppOmIqlJPeo7DHR3SoMn0s5JZ1eRGS0A+vyYP9t/LXlh5QMFFQ6cpLt2m0pmj3"
    "NDA==:"
)
TRANSFORMED = {
    "original": "GET /demo?name1=Value1&Name2=value2 HTTP/1.1\nHost: example.org\n"
    "Date: Fri, 15 Jul 2022 14:24:55 GMT\nAccept: application/json\nAccept: */*",
    "a header and a query parameter added": "GET /demo?name1=Value1&Name2=value2&param=added"
    " HTTP/1.1\nHost: example.org\nDate: Fri, 15 Jul 2022 14:24:55 GMT\n"
    "Accept: application/json\nAccept: */*\nAccept-Language: en-US,en;q=0.5",
    "date removed, accept lines collapsed": "GET /demo?name1=Value1&Name2=value2 HTTP/1.1\n"
    "Host: example.org\nReferer: https://developer.example.org/demo\n"
    "Accept: application/json, */*",
    "fields reordered": "GET /demo?name1=Value1&Name2=value2 HTTP/1.1\nAccept: application/json"
    "\nAccept: */*\nDate: Fri, 15 Jul 2022 14:24:55 GMT\nHost: example.org",
}
BROKEN = {
    "method and authority changed": "POST /demo?name1=Value1&Name2=value2 HTTP/1.1\n"
    "Host: example.com\nDate: Fri, 15 Jul 2022 14:24:55 GMT\nAccept: application/json\n"
    "Accept: */*",
    "accept lines swapped": "GET /demo?name1=Value1&Name2=value2 HTTP/1.1\nHost: example.org\n"
    "Date: Fri, 15 Jul 2022 14:24:55 GMT\nAccept: */*\nAccept: application/json",
}


def test_b4_signature_base_joins_repeated_fields() -> None:
    assert base_of(TRANSFORMED["original"], TRANSFORM_INPUT) == (
        '"@method": GET\n'
        '"@path": /demo\n'
        '"@authority": example.org\n'
        '"accept": application/json, */*\n'
        '"@signature-params": ("@method" "@path" "@authority" "accept");created=1618884473'
        ';keyid="test-key-ed25519"'
    )


async def verify_transformed(text: str):
    method, uri, headers, body = message(text)
    headers += [("Signature-Input", TRANSFORM_INPUT), ("Signature", TRANSFORM_SIGNATURE)]
    return await verify_request(
        method,
        uri,
        headers,
        body,
        keys=keyring(test_key_ed25519=ED25519),
        now=datetime.fromtimestamp(CREATED, UTC),
        require_digest=False,
    )


@pytest.mark.parametrize("change", list(TRANSFORMED))
async def test_b4_signature_survives_allowed_transformations(change: str) -> None:
    verified = await verify_transformed(TRANSFORMED[change])
    assert verified.components == ("@method", "@path", "@authority", "accept")


@pytest.mark.parametrize("change", list(BROKEN))
async def test_b4_signature_breaks_under_other_changes(change: str) -> None:
    with pytest.raises(SignatureRejected) as refused:
        await verify_transformed(BROKEN[change])
    assert refused.value.reason == Reason.BAD_SIGNATURE


# Component values (RFC 9421 §2) ----------------------------------------------------------


def values(url: str, covered: str, headers: Headers = (), method: str = "GET") -> list[str]:
    (member,) = http_sf.parse(f"s=({covered})".encode(), tltype="dictionary").values()
    base = signature_base(method, url, field_values(headers), member).decode()
    return base.split("\n")[:-1]


def test_derived_components_of_section_2_2() -> None:
    url = "https://www.example.com/path?param=value"
    assert values(
        url, '"@method" "@target-uri" "@authority" "@scheme" "@request-target" "@path" "@query"'
    ) == [
        '"@method": GET',
        '"@target-uri": https://www.example.com/path?param=value',
        '"@authority": www.example.com',
        '"@scheme": https',
        '"@request-target": /path?param=value',
        '"@path": /path',
        '"@query": ?param=value',
    ]
    assert values("http://www.example.com/path?queryString", '"@scheme" "@query"') == [
        '"@scheme": http',
        '"@query": ?queryString',
    ]
    assert values("https://www.example.com", '"@path" "@query"') == ['"@path": /', '"@query": ?']


def test_authority_and_target_uri_are_normalised() -> None:
    assert target_uri("HTTPS://Example.COM:443/a%2Fb?x=1#top") == "https://example.com/a%2Fb?x=1"
    assert values("http://example.com:8080/", '"@authority"') == ['"@authority": example.com:8080']


def test_query_parameters_of_section_2_2_8() -> None:
    url = (
        "https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value&"
        "bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something"
    )
    assert values(
        url,
        '"@query-param";name="var" "@query-param";name="bar" '
        '"@query-param";name="fa%C3%A7ade%22%3A%20"',
    ) == [
        '"@query-param";name="var": this%20is%20a%20big%0Amultiline%20value',
        '"@query-param";name="bar": with%20plus%20whitespace',
        '"@query-param";name="fa%C3%A7ade%22%3A%20": something',
    ]
    url = "https://www.example.com/path?param=value&foo=bar&baz=batman&qux="
    assert values(
        url, '"@query-param";name="baz" "@query-param";name="qux" "@query-param";name="param"'
    ) == [
        '"@query-param";name="baz": batman',
        '"@query-param";name="qux": ',
        '"@query-param";name="param": value',
    ]


def test_fields_of_section_2_1() -> None:
    headers = [
        ("Host", "www.example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
        ("X-OWS-Header", "   Leading and trailing whitespace.   "),
        ("X-Obs-Fold-Header", "Obsolete\r\n    line folding."),
        ("Cache-Control", "max-age=60"),
        ("Cache-Control", "   must-revalidate"),
        ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
        ("X-Empty-Header", ""),
    ]
    assert values(
        "https://www.example.com/",
        '"host" "date" "x-ows-header" "x-obs-fold-header" "cache-control" "example-dict" '
        '"x-empty-header"',
        headers,
    ) == [
        '"host": www.example.com',
        '"date": Tue, 20 Apr 2021 02:07:56 GMT',
        '"x-ows-header": Leading and trailing whitespace.',
        '"x-obs-fold-header": Obsolete line folding.',
        '"cache-control": max-age=60, must-revalidate',
        '"example-dict": a=1,    b=2;x=1;y=2,   c=(a   b   c)',
        '"x-empty-header": ',
    ]


def test_dictionary_members_and_strict_serialisation_of_section_2_1() -> None:
    headers = [
        ("Example-Dict", " a=1, b=2;x=1;y=2, c=(a   b    c), d"),
        ("Cache-Control", "a,   b=2"),
    ]
    assert values(
        "https://example.com/",
        '"example-dict";key="a" "example-dict";key="d" "example-dict";key="b" '
        '"example-dict";key="c" "cache-control";sf',
        headers,
    ) == [
        '"example-dict";key="a": 1',
        '"example-dict";key="d": ?1',
        '"example-dict";key="b": 2;x=1;y=2',
        '"example-dict";key="c": (a b c)',
        '"cache-control";sf: a, b=2',
    ]


@pytest.mark.parametrize(
    ("covered", "headers"),
    [
        ('"@status"', ()),
        ('"@signature-params"', ()),
        ('"@method";req', ()),
        ('"x-missing"', ()),
        ('"accept";bs', [("Accept", "a")]),
        ('"accept";tr', [("Accept", "a")]),
        ('"example-dict";sf', [("Example-Dict", "a=1")]),
        ('"example-dict";key="z"', [("Example-Dict", "a=1")]),
        ('"example-dict";key="a"', [("Example-Dict", "a=(")]),
        ('"@query-param";name="a"', ()),
        ('"@query-param"', ()),
        ('"@method" "@method"', ()),
        ('"x-name"', [("X-Name", "Renée")]),
    ],
)
def test_components_that_cannot_be_built_are_malformed(covered: str, headers: Headers) -> None:
    with pytest.raises(SignatureRejected) as refused:
        values("https://example.com/?a=1&a=2", covered, headers)
    assert refused.value.reason == Reason.MALFORMED


# Round trips ------------------------------------------------------------------------------

INBOX = "https://learnwork.example/users/bob/inbox"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACTIVITY = b'{"type": "Follow"}'


def post(private_key: Any = RSA, key_id: str = "test-key-rsa", now: datetime = NOW, **extra):
    return sign_request(
        "POST",
        INBOX,
        {"Content-Type": "application/activity+json"},
        ACTIVITY,
        private_key=private_key,
        key_id=key_id,
        now=now,
        **extra,
    )


@pytest.mark.parametrize("private_key", [RSA, ED25519])
async def test_a_signed_post_verifies(private_key: Any) -> None:
    headers = post(private_key, "key-1")
    assert headers["Content-Digest"] == content_digest(ACTIVITY)
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "content-digest");created=1772366400;keyid="key-1"'
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
    assert verified.components == ("@method", "@target-uri", "content-digest")


@pytest.mark.parametrize("private_key", [RSA, ED25519])
async def test_a_signed_get_verifies(private_key: Any) -> None:
    url = "https://learnwork.example/users/bob/outbox?page=2"
    headers = sign_request("GET", url, {}, None, private_key=private_key, key_id="k", now=NOW)
    assert "Content-Digest" not in headers
    assert headers["Signature-Input"].startswith('sig1=("@method" "@target-uri");created=')
    verified = await verify_request(
        "GET", url, headers, b"", keys=keyring(k=private_key), now=NOW, require_digest=False
    )
    assert verified.components == ("@method", "@target-uri")


@pytest.mark.parametrize(("private_key", "alg"), [(RSA, "rsa-v1_5-sha256"), (ED25519, "ed25519")])
async def test_alg_when_asked_names_the_keys_algorithm_and_verifies(private_key, alg) -> None:
    headers = post(private_key, "k", with_alg=True)
    assert f';alg="{alg}"' in headers["Signature-Input"]
    verified = await verify_request(
        "POST", INBOX, headers, ACTIVITY, keys=keyring(k=private_key), now=NOW, require_digest=True
    )
    assert verified.key_id == "k"


def test_a_given_content_digest_that_does_not_match_the_body_is_not_signed() -> None:
    with pytest.raises(ValueError, match="Content-Digest"):
        sign_request(
            "POST",
            INBOX,
            {"Content-Digest": content_digest(b"other")},
            ACTIVITY,
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


def with_input(headers: dict, signature_input: str) -> dict:
    return {**headers, "Signature-Input": signature_input}


async def test_no_signature() -> None:
    assert await refusal({"Content-Type": "application/activity+json"}) == Reason.NO_SIGNATURE


@pytest.mark.parametrize(
    "signature_input",
    [
        "sig1=(",
        'sig1="not a list";keyid="test-key-rsa";created=1772366400',
        'sig1=("@method" "@target-uri" "content-digest");created=1772366400',
        'sig1=("@method" "@target-uri" "content-digest");created=1772366400;keyid=7',
        'sig1=("@method" "@target-uri" "content-digest");created="now";keyid="test-key-rsa"',
        'sig1=("@method" "@target-uri" "content-digest");created=1772366400.5;keyid="test-key-rsa"',
        'other=("@method" "@target-uri" "content-digest");created=1772366400;keyid="test-key-rsa"',
        'sig1=("@method" "@target-uri" "content-digest" "@status");created=1772366400'
        ';keyid="test-key-rsa"',
        'sig1=("@method" "@target-uri" "content-digest" "content-digest";bs);created=1772366400'
        ';keyid="test-key-rsa"',
    ],
)
async def test_a_malformed_signature_input(signature_input: str) -> None:
    assert await refusal(with_input(post(), signature_input)) == Reason.MALFORMED


async def test_a_signature_that_is_no_byte_sequence_is_malformed() -> None:
    assert await refusal({**post(), "Signature": 'sig1="abc"'}) == Reason.MALFORMED


@pytest.mark.parametrize("alg", ["rsa-pss-sha512", "hmac-sha256", "ecdsa-p256-sha256"])
async def test_an_unsupported_alg(alg: str) -> None:
    headers = post()
    headers = with_input(headers, headers["Signature-Input"] + f';alg="{alg}"')
    assert await refusal(headers) == Reason.UNSUPPORTED_ALGORITHM


async def test_an_alg_that_is_not_the_keys_is_unsupported() -> None:
    headers = post(ED25519, "k", with_alg=True)
    headers = with_input(headers, headers["Signature-Input"].replace("ed25519", "rsa-v1_5-sha256"))
    assert await refusal(headers, keys=keyring(k=ED25519)) == Reason.UNSUPPORTED_ALGORITHM


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        (("@target-uri", "content-digest"), "@method"),
        (("@method", "@path", "content-digest"), "@target-uri"),
        (("@method", "@authority", "content-digest"), "@target-uri"),
        (("@method", "@target-uri"), "content-digest"),
    ],
)
async def test_required_components_not_covered(covered, missing) -> None:
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


async def test_authority_with_path_or_request_target_stands_for_the_target_uri() -> None:
    for covered in (
        ("@method", "@authority", "@path", "content-digest"),
        ("@method", "@authority", "@request-target", "content-digest"),
    ):
        verified = await verify_request(
            "POST",
            INBOX,
            post(covered=covered),
            ACTIVITY,
            keys=keyring(test_key_rsa=RSA),
            now=NOW,
            require_digest=True,
        )
        assert verified.components == covered


async def test_neither_created_nor_date() -> None:
    headers = post()
    headers = with_input(headers, headers["Signature-Input"].replace(";created=1772366400", ""))
    assert await refusal(headers) == Reason.MISSING_COMPONENTS


@pytest.mark.parametrize(
    ("now", "reason"), [(NOW, None), (NOW + timedelta(minutes=8), Reason.OUTSIDE_WINDOW)]
)
async def test_a_signed_date_stands_for_created(now: datetime, reason: Reason | None) -> None:
    headers = {"Date": "Sun, 01 Mar 2026 11:58:00 GMT", "Content-Digest": content_digest(ACTIVITY)}
    signature_input = 'sig1=("@method" "@target-uri" "content-digest" "date");keyid="k"'
    (member,) = http_sf.parse(signature_input.encode(), tltype="dictionary").values()
    signature = ED25519.sign(signature_base("POST", INBOX, field_values(headers), member))
    headers["Signature-Input"] = signature_input
    headers["Signature"] = http_sf.ser({"sig1": (signature, {})})
    if reason is None:
        verified = await verify_request(
            "POST", INBOX, headers, ACTIVITY, keys=keyring(k=ED25519), now=now, require_digest=True
        )
        assert verified.components[-1] == "date"
    else:
        assert await refusal(headers, keys=keyring(k=ED25519), now=now) == reason


async def test_a_signed_content_digest_that_is_absent() -> None:
    headers = post()
    del headers["Content-Digest"]
    assert await refusal(headers) == Reason.DIGEST_MISSING


async def test_a_content_digest_of_another_body() -> None:
    assert await refusal(post(), body=b'{"type": "Block"}') == Reason.DIGEST_MISMATCH


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_created_outside_the_window(offset: timedelta) -> None:
    assert await refusal(post(now=NOW + offset)) == Reason.OUTSIDE_WINDOW


async def test_a_passed_expires() -> None:
    headers = post(now=NOW - timedelta(minutes=1), expires=NOW - timedelta(minutes=5, seconds=1))
    assert await refusal(headers) == Reason.EXPIRED


async def test_an_unknown_key() -> None:
    keys = keyring(someone_else=RSA)
    assert await refusal(post(), keys=keys) == Reason.UNKNOWN_KEY
    assert keys.lookups == [("test-key-rsa", False), ("test-key-rsa", True)]


async def test_a_signature_by_another_key() -> None:
    assert await refusal(post(OTHER_ED25519, "k"), keys=keyring(k=ED25519)) == Reason.BAD_SIGNATURE


async def test_another_method_or_target_breaks_the_signature() -> None:
    assert await refusal(post(), method="PUT") == Reason.BAD_SIGNATURE
    assert await refusal(post(), url="https://learnwork.example/inbox") == Reason.BAD_SIGNATURE


async def test_a_tampered_signature_input_breaks_the_signature() -> None:
    headers = post()
    headers = with_input(headers, headers["Signature-Input"] + ';tag="added"')
    assert await refusal(headers) == Reason.BAD_SIGNATURE


async def test_a_bad_signature_is_checked_again_with_a_refreshed_key() -> None:
    keys = Keyring(known={"k": owned("k", OTHER_ED25519)}, renewed={"k": owned("k", ED25519)})
    verified = await verify_request(
        "POST", INBOX, post(ED25519, "k"), ACTIVITY, keys=keys, now=NOW, require_digest=True
    )
    assert verified.key_id == "k"
    assert keys.lookups == [("k", False), ("k", True)]
