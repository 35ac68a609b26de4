"""OAuth codes with PKCE, tokens and invitations, without a database."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from server.domain import credentials
from server.domain.common import Actor
from server.domain.errors import Forbidden, Invalid, NotFound

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CLIENT = "00000000-0000-4000-8000-0000000000c1"
ADA = "00000000-0000-4000-8000-00000000000a"
VERIFIER = "v" * 50
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
)


def app() -> credentials.App:
    return credentials.App(
        CLIENT,
        True,
        "Notes",
        ("https://app.example/cb",),
        ("read", "write"),
        credentials.digest("s3cret"),
    )


def issued_code() -> credentials.Code:
    events = credentials.issue_code(
        app(),
        actor=Actor(ADA),
        scopes=["read"],
        redirect_uri="https://app.example/cb",
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
        expires_at=NOW + timedelta(minutes=10),
    )
    state = credentials.initial_code("x")
    for event in events:
        state = credentials.evolve_code(state, event)
    return state


def redeem(code: credentials.Code, **overrides: object) -> list:
    arguments: dict = {
        "client_secret": "s3cret",
        "redirect_uri": "https://app.example/cb",
        "code_verifier": VERIFIER,
        "token_id": "00000000-0000-4000-8000-0000000000f1",
        "now": NOW,
    }
    arguments.update(overrides)
    return credentials.redeem_code(code, app(), **arguments)


def test_a_code_redeems_once_with_the_right_verifier() -> None:
    code = issued_code()
    [redeemed] = redeem(code)
    with pytest.raises(Invalid, match="unknown, used or expired"):
        redeem(credentials.evolve_code(code, redeemed))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code_verifier": "w" * 50}, "code_verifier"),
        ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri"),
        ({"client_secret": "guess"}, "client_secret"),
        ({"now": NOW + timedelta(minutes=11)}, "code"),
    ],
)
def test_redemption_refusals(overrides: dict, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        redeem(issued_code(), **overrides)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"redirect_uri": "https://other.example/cb"}, "redirect_uri"),
        ({"scopes": ["admin"]}, "scope"),
        ({"code_challenge_method": "plain"}, "code_challenge_method"),
        ({"code_challenge": "short"}, "code_challenge"),
    ],
)
def test_authorization_refusals(overrides: dict, field: str) -> None:
    arguments: dict = {
        "actor": Actor(ADA),
        "scopes": ["read"],
        "redirect_uri": "https://app.example/cb",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "expires_at": NOW,
    }
    arguments.update(overrides)
    with pytest.raises(Invalid) as refused:
        credentials.issue_code(app(), **arguments)
    assert refused.value.field == field


def test_scopes_parse_like_oauth_and_refuse_unknown_ones() -> None:
    assert credentials.parse_scopes("read  write read") == ["read", "write"]
    with pytest.raises(Invalid):
        credentials.parse_scopes("read push")
    with pytest.raises(Invalid):
        credentials.parse_scopes("  ")


def test_tokens_expire_and_revoke() -> None:
    token = credentials.initial_token("x")
    for event in credentials.issue_token(
        token_id="t", member_id=ADA, scopes=["read"], allowed=credentials.SCOPES,
        expires_at=NOW + timedelta(days=1),
    ):  # fmt: skip
        token = credentials.evolve_token(token, event)
    assert token.usable(NOW) and not token.usable(NOW + timedelta(days=2))
    with pytest.raises(NotFound):
        credentials.revoke_token(token, Actor("00000000-0000-4000-8000-00000000000b"))
    [revoked] = credentials.revoke_token(token, Actor(ADA))
    token = credentials.evolve_token(token, revoked)
    assert not token.usable(NOW)
    assert credentials.revoke_token(token, Actor(ADA)) == []


def test_invitations_count_uses_and_expire() -> None:
    with pytest.raises(Forbidden):
        credentials.create_invite(actor=Actor(ADA), invite_id="i", max_uses=1, expires_at=None)
    invite = credentials.initial_invite("x")
    for event in credentials.create_invite(
        actor=Actor(ADA, admin=True), invite_id="i", max_uses=2, expires_at=NOW
    ):
        invite = credentials.evolve_invite(invite, event)
    assert not invite.valid(NOW)  # expires at NOW
    invite = credentials.initial_invite("x")
    for event in credentials.create_invite(
        actor=Actor(ADA, admin=True), invite_id="i", max_uses=2, expires_at=None
    ):
        invite = credentials.evolve_invite(invite, event)
    for _ in range(2):
        [used] = credentials.use_invite(invite, member_id=ADA, now=NOW)
        invite = credentials.evolve_invite(invite, used)
    with pytest.raises(Forbidden):
        credentials.use_invite(invite, member_id=ADA, now=NOW)
