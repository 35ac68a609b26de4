"""Signing deliveries the Standard Webhooks way (standardwebhooks.com, spec 1.0): an HMAC-SHA256
of `{webhook-id}.{webhook-timestamp}.{body}`, sent as `webhook-signature: v1,<base64>`, with a
secret shown to the developer as `whsec_<base64>` — the form every Standard Webhooks library
takes.

An endpoint's secret is never stored: it is derived from the instance's secret key and the salt
its events hold, whenever it is shown or used. Anyone who reads the log or the database learns
the salt, which signs nothing; changing the instance key changes every secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SECRET_PREFIX = "whsec_"
_DOMAIN = b"learnwork-webhook:"
"""Keeps keys derived here apart from anything else the instance key may ever derive."""


def endpoint_key(instance_key: bytes, endpoint_id: str, salt: str) -> bytes:
    """The 32-byte signing key of an endpoint (the spec asks for 24 to 64 random bytes)."""
    message = _DOMAIN + endpoint_id.encode() + b":" + salt.encode()
    return hmac.new(instance_key, message, hashlib.sha256).digest()


def secret_text(key: bytes) -> str:
    """The key as the developer is shown it, once."""
    return SECRET_PREFIX + base64.b64encode(key).decode()


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a delivery."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(keys: list[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of a delivery, signed with each of `keys` (the current
    secret first; the previous one too for a while after a rotation: receivers try each
    signature until one matches)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(k, message_id, timestamp, body) for k in keys),
    }
