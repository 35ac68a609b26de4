"""The rules under webhooks, without a database: signatures as Standard Webhooks receivers
check them, the instance key, which addresses deliveries may reach, and what an answer makes
of a delivery."""

from __future__ import annotations

import base64
import ipaddress
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from server import outbound
from server.api import webhook_schedule, webhook_signing
from server.api.webhook_schedule import outcome
from server.secret_key import KEY_BYTES, InstanceKey, SecretKeyError

ENDPOINT = "00000000-0000-4000-8000-0000000000e1"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_signature_matches_the_published_standard_webhooks_example() -> None:
    # The example secret, message and signature of the Standard Webhooks reference libraries.
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signed = webhook_signing.signature(
        key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_shown_secret_verifies_deliveries_with_the_standard_webhooks_library() -> None:
    key = webhook_signing.endpoint_key(b"k" * 32, ENDPOINT, "salt-1")
    secret = webhook_signing.secret_text(key)
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    body = b'{"specversion":"1.0","id":"42"}'
    timestamp = int(datetime.now(UTC).timestamp())
    headers = webhook_signing.headers([key], "msg_1", timestamp, body)
    assert Webhook(secret).verify(body, headers) == {"specversion": "1.0", "id": "42"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    rotated = webhook_signing.endpoint_key(b"k" * 32, ENDPOINT, "salt-2")
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_signing.secret_text(rotated)).verify(body, headers)


def test_after_a_rotation_both_secrets_verify_a_delivery() -> None:
    old, new = (webhook_signing.endpoint_key(b"k" * 32, ENDPOINT, s) for s in ("a", "b"))
    body = b"{}"
    timestamp = int(datetime.now(UTC).timestamp())
    headers = webhook_signing.headers([new, old], "msg_1", timestamp, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for key in (old, new):
        Webhook(webhook_signing.secret_text(key)).verify(body, headers)


def test_secrets_differ_by_endpoint_salt_and_instance_key() -> None:
    keys = {
        webhook_signing.endpoint_key(b"k" * 32, ENDPOINT, "salt"),
        webhook_signing.endpoint_key(b"k" * 32, ENDPOINT.replace("e1", "e2"), "salt"),
        webhook_signing.endpoint_key(b"k" * 32, ENDPOINT, "other"),
        webhook_signing.endpoint_key(b"j" * 32, ENDPOINT, "salt"),
    }
    assert len(keys) == 4


def test_the_instance_key_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    key = InstanceKey(None, str(folder))
    assert not folder.exists()  # nothing is written until the key is needed
    made = key()
    path = folder / "secret.key"
    assert len(made) == KEY_BYTES and path.read_bytes() == made and key() == made
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert InstanceKey(None, str(folder))() == made
    assert os.listdir(folder) == ["secret.key"]
    assert InstanceKey("x" * 40, str(tmp_path / "elsewhere"))() == b"x" * 40
    assert not (tmp_path / "elsewhere").exists()


def test_a_key_file_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_bytes(b"short")
    with pytest.raises(SecretKeyError, match="5 bytes"):
        InstanceKey(None, str(tmp_path))()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a9fe:a9fe",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(address: str) -> None:
    assert not outbound.may_reach(ipaddress.ip_address(address))
    assert not outbound.allowed(address, allow_private=False)
    assert outbound.allowed(address, allow_private=True)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_global_unicast_addresses_may_be_reached(address: str) -> None:
    assert outbound.may_reach(ipaddress.ip_address(address))


async def test_a_host_is_checked_by_what_it_resolves_to() -> None:
    with pytest.raises(outbound.Unreachable, match=r"localhost resolves to .*private"):
        await outbound.check_host("localhost", 80, allow_private=False)
    await outbound.check_host("localhost", 80, allow_private=True)
    with pytest.raises(outbound.Unreachable, match="private"):
        await outbound.check_host("[::1]", 80, allow_private=False)
    with pytest.raises(outbound.Unreachable, match="does not resolve"):
        await outbound.check_host("no-such-host.invalid", 80, allow_private=True)


async def test_the_delivery_resolver_drops_refused_addresses() -> None:
    resolver = outbound.GuardedResolver(allow_private=False)
    try:
        with pytest.raises(OSError, match="localhost resolves only to a private"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()
    allowing = outbound.GuardedResolver(allow_private=True)
    try:
        assert "127.0.0.1" in [r["host"] for r in await allowing.resolve("localhost", 80)]
    finally:
        await allowing.close()


def test_an_answer_decides_what_becomes_of_a_delivery() -> None:
    until = NOW + timedelta(days=3)
    common = {"now": NOW, "retry_until": until, "first": 5.0, "draw": 0.5}
    assert outcome(204, attempts=1, **common).status == "delivered"  # type: ignore[arg-type]
    gone = outcome(410, attempts=1, **common)  # type: ignore[arg-type]
    assert gone.status == "failed" and gone.disable and "410" in gone.disable
    again = outcome(500, attempts=3, **common)  # type: ignore[arg-type]
    assert again == webhook_schedule.Outcome("pending", NOW + timedelta(seconds=20))
    assert outcome(None, attempts=1, **common).status == "pending"  # type: ignore[arg-type]
    slow = outcome(429, attempts=1, wait=120.0, **common)  # type: ignore[arg-type]
    assert slow.next_attempt_at == NOW + timedelta(seconds=120)
    late = outcome(500, attempts=1, now=NOW, retry_until=NOW, first=5.0, draw=0.5)
    assert late == webhook_schedule.Outcome("failed")
    assert outcome(302, attempts=1, **common).status == "pending"  # type: ignore[arg-type]
