"""Password hashing with scrypt (RFC 7914), run off the event loop.

The stored form names its parameters (`scrypt$N$r$p$salt$hash`), so they can be raised later
and old hashes still verify. N = 2^15, r = 8 (32 MiB, ~0.1 s on one core here) — within
OWASP's scrypt guidance while keeping sign-in cheap enough to rate-limit rather than queue.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os

_N, _R, _P, _LENGTH = 2**15, 8, 1, 32
_MAX_MEMORY = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password_sync(password: str) -> str:
    salt = os.urandom(16)
    derived = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LENGTH, maxmem=_MAX_MEMORY
    )
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(derived)}"


def verify_password_sync(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(_unb64(expected)),
            maxmem=_MAX_MEMORY,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, _unb64(expected))


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """False for no stored hash too, after the same work, so timing does not tell whether an
    account exists."""
    return await asyncio.to_thread(verify_password_sync, password, stored or _DUMMY)


_DUMMY = hash_password_sync(os.urandom(16).hex())
