"""Ed25519 public keys as Multikey (FEP-521a; W3C Controlled Identifiers 1.0 §2.2.2): the
`publicKeyMultibase` value `z` + base58btc(0xed 0x01 + the 32 key bytes) — always starting
`z6Mk` — and the verification-method object an actor lists under `assertionMethod`.

Base58btc is written here rather than taken from a package: the `base58` package has not been
released since 2021 and `py-multibase` pulls in three more (six, morphys, python-baseconv) for
what is ten lines; the W3C test vectors hold these lines to the alphabet.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519_PUBLIC_PREFIX = b"\xed\x01"
"""The multicodec `ed25519-pub` (0xed) as an unsigned varint."""
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_LONGEST = 200
"""No multibase value we read is longer (a 64-byte signature is 88 characters); decoding is
quadratic in the length, so a longer one is refused before it is read."""


def base58btc(data: bytes) -> str:
    """`data` in the Bitcoin base58 alphabet, each leading zero byte as `1`."""
    number, digits = int.from_bytes(data, "big"), []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_ALPHABET[digit])
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + "".join(reversed(digits))


def from_base58btc(text: str) -> bytes:
    """The bytes `text` holds in the Bitcoin base58 alphabet; ValueError if it is not that."""
    if len(text) > _LONGEST:
        raise ValueError(f"a base58 value of {len(text)} characters is longer than any we read")
    number = 0
    for char in text:
        digit = _ALPHABET.find(char)
        if digit < 0:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def multibase(data: bytes) -> str:
    """`data` as a base58btc multibase value (`z…`)."""
    return "z" + base58btc(data)


def from_multibase(text: str) -> bytes:
    """The bytes of a base58btc multibase value; ValueError for any other base or text."""
    if not text.startswith("z"):
        raise ValueError("not a base58btc multibase value (it must start with z)")
    return from_base58btc(text[1:])


def public_key_multibase(key: Ed25519PublicKey) -> str:
    """The `publicKeyMultibase` of an Ed25519 public key."""
    return multibase(ED25519_PUBLIC_PREFIX + key.public_bytes_raw())


def from_public_key_multibase(text: str) -> Ed25519PublicKey:
    """The Ed25519 public key a `publicKeyMultibase` holds; ValueError if it holds none."""
    data = from_multibase(text)
    if len(data) != 34 or not data.startswith(ED25519_PUBLIC_PREFIX):
        raise ValueError("not an Ed25519 public key (0xed01 and 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def multikey(key_id: str, controller: str, key: Ed25519PublicKey) -> dict[str, str]:
    """The Multikey verification method of `key`: its id (e.g. the actor's id + `#ed25519-key`),
    the actor that controls it, and the key. Its JSON-LD terms come from the
    `https://w3id.org/security/multikey/v1` context the actor document must include."""
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": public_key_multibase(key),
    }
