"""Registration, /me, tokens and the request checks every endpoint shares, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.commands.accounts import CREDENTIAL_FRESHNESS
from server.config import Settings
from tests.api.conftest import Client, Member, register

PASSWORD = "correct horse 1"


async def count_events(client: Client) -> int:
    response = await client.get("/healthz")
    return (await response.json())["position"]


async def test_registration_answers_a_working_token(client: Client) -> None:
    ada = await register(client, "Ada")
    assert ada.handle == "ada"
    response = await ada.request("GET", "/api/v1/me")
    assert response.status == 200
    me = await response.json()
    assert me["handle"] == "ada" and me["status"] == "active"
    assert me["scopes"] == ["follow", "read", "write"]


async def test_handles_are_unique_ignoring_case(client: Client) -> None:
    await register(client, "ada")
    before = await count_events(client)
    response = await client.post(
        "/api/v1/accounts",
        json={"handle": "ADA", "display_name": "Other", "password": PASSWORD},
    )
    assert response.status == 409
    assert response.content_type == "application/problem+json"
    assert (await response.json())["errors"][0]["field"] == "handle"
    assert await count_events(client) == before


async def test_racing_registrations_for_one_handle_have_one_winner(client: Client) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/accounts",
                json={"handle": "grace", "display_name": f"G{i}", "password": PASSWORD},
            )
            for i in range(8)
        )
    )
    assert sorted(r.status for r in responses) == [201] + [409] * 7


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"handle": "ada!", "display_name": "A", "password": PASSWORD}, 422, "handle"),
        ({"handle": "ada", "display_name": "A", "password": "short"}, 422, "password"),
        ({"handle": "ada", "password": PASSWORD}, 422, "display_name"),
        ({"handle": "ada", "display_name": "A", "password": PASSWORD, "x": 1}, 422, "x"),
        ({"handle": "ada", "display_name": "  ", "password": PASSWORD}, 422, "display_name"),
        (
            {"handle": "ada", "display_name": "A", "password": PASSWORD, "scopes": ["root"]},
            422,
            "scopes[0]",
        ),
    ],
)
async def test_invalid_registrations_name_the_field_and_write_nothing(
    client: Client, body: dict, status: int, field: str
) -> None:
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status == status, await response.text()
    problem = await response.json()
    assert problem["status"] == status
    assert problem["errors"][0]["field"] == field
    assert await count_events(client) == 0


async def test_malformed_json_is_400_and_wrong_media_type_415(client: Client) -> None:
    response = await client.post(
        "/api/v1/accounts", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    response = await client.post("/api/v1/accounts", data=b"handle=ada")
    assert response.status == 415


async def test_an_oversized_body_is_refused_before_it_is_read(client: Client) -> None:
    ada = await register(client, "ada")
    huge = b'{"bio": "' + b"x" * (300 * 1024) + b'"}'
    response = await ada.request(
        "PATCH", "/api/v1/me", data=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status == 413

    async def chunks():  # no Content-Length: refused while streaming
        yield b'{"bio": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    response = await ada.request(
        "PATCH", "/api/v1/me", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413


async def test_writes_need_a_valid_token_with_the_scope(client: Client) -> None:
    response = await client.patch("/api/v1/me", json={"headline": "x"})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = await client.patch(
        "/api/v1/me", json={"headline": "x"}, headers={"Authorization": "Bearer nope-" + "x" * 30}
    )
    assert response.status == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    reader = await register(client, "reader", scopes=["read"])
    response = await reader.request("PATCH", "/api/v1/me", json={"headline": "x"})
    assert response.status == 403
    assert "insufficient_scope" in response.headers["WWW-Authenticate"]


async def test_profile_update_is_read_back_with_min_position(client: Client) -> None:
    ada = await register(client, "ada")
    response = await ada.request(
        "PATCH",
        "/api/v1/me",
        json={"headline": "Data engineer", "skills": ["SQL", " sql ", "dbt"], "links": []},
    )
    assert response.status == 200
    written = await response.json()
    assert response.headers["Learnwork-Position"] == str(written["position"])
    response = await client.get(
        "/api/v1/members/ada", headers={"Learnwork-Min-Position": str(written["position"])}
    )
    profile = await response.json()
    assert profile["headline"] == "Data engineer" and profile["skills"] == ["sql", "dbt"]


async def test_a_bad_min_position_header_is_400(client: Client) -> None:
    response = await client.get("/api/v1/members/ada", headers={"Learnwork-Min-Position": "-3"})
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "Learnwork-Min-Position"


async def test_a_min_position_no_write_reached_is_400_at_once(client: Client) -> None:
    ada = await register(client, "ada")
    ahead = {"Learnwork-Min-Position": str(ada.position + 1)}
    response = await client.get("/api/v1/members/ada", headers=ahead)
    assert response.status == 400
    assert "no write" in (await response.json())["errors"][0]["detail"]


async def test_personal_access_tokens_are_shown_once_listed_and_revoked(client: Client) -> None:
    ada = await register(client, "ada")
    response = await ada.request(
        "POST", "/api/v1/me/tokens", json={"name": "ci", "scopes": ["read"]}
    )
    assert response.status == 201
    created = await response.json()
    pat = Member(client, ada.id, "ada", created["token"], created["position"])
    assert (await pat.request("GET", "/api/v1/me")).status == 200
    assert (await pat.request("PATCH", "/api/v1/me", json={"bio": "x"})).status == 403
    listed = await (await ada.request("GET", "/api/v1/me/tokens")).json()
    assert [t["name"] for t in listed["items"]] == ["ci", "signup"]
    assert all("token" not in t for t in listed["items"])
    response = await ada.request("DELETE", f"/api/v1/me/tokens/{created['token_id']}")
    assert response.status == 200
    assert (await pat.request("GET", "/api/v1/me")).status == 401


async def test_a_revocation_on_another_server_process_applies_within_the_freshness_bound(
    client: Client,
    database_url: str,
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    ada = await register(client, "ada")
    other = await aiohttp_client(create_app(settings, database_url))  # a second process
    assert (await ada.request("GET", "/api/v1/me")).status == 200  # now cached here
    tokens = await (await ada.request("GET", "/api/v1/me/tokens")).json()
    token_id = tokens["items"][0]["token_id"]
    revoked = await other.delete(f"/api/v1/me/tokens/{token_id}", headers=ada.headers)
    assert revoked.status == 200
    await asyncio.sleep(CREDENTIAL_FRESHNESS + 0.2)
    assert (await ada.request("GET", "/api/v1/me")).status == 401


async def test_a_token_cannot_mint_scopes_it_lacks(client: Client) -> None:
    reader = await register(client, "reader", scopes=["read", "write"])
    response = await reader.request(
        "POST", "/api/v1/me/tokens", json={"name": "x", "scopes": ["follow"]}
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "scopes"


async def test_someone_elses_token_id_is_not_found(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    tokens = await (await ada.request("GET", "/api/v1/me/tokens")).json()
    response = await bob.request("DELETE", f"/api/v1/me/tokens/{tokens['items'][0]['token_id']}")
    assert response.status == 404
    assert (await ada.request("GET", "/api/v1/me")).status == 200


async def test_password_change_needs_the_current_password(client: Client) -> None:
    ada = await register(client, "ada")
    response = await ada.request(
        "POST",
        "/api/v1/me/password",
        json={"current_password": "wrong password", "new_password": "a new password"},
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "current_password"
    response = await ada.request(
        "POST",
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a new password"},
    )
    assert response.status == 200


class TestRateLimits:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(sign_ins_per_minute=3, writes_per_minute=4)

    async def test_sign_in_is_limited_per_ip(self, client: Client) -> None:
        statuses = []
        for i in range(5):
            response = await client.post(
                "/api/v1/accounts",
                json={"handle": f"u{i}", "display_name": "U", "password": PASSWORD},
            )
            statuses.append(response.status)
        assert statuses[:3] == [201, 201, 201] and statuses[3:] == [429, 429]
        assert int(response.headers["Retry-After"]) >= 1
        assert response.content_type == "application/problem+json"

    async def test_writes_are_limited_per_token(self, client: Client) -> None:
        ada = await register(client, "ada")
        statuses = [
            (await ada.request("PATCH", "/api/v1/me", json={"bio": str(i)})).status
            for i in range(6)
        ]
        assert statuses == [200] * 4 + [429] * 2


class TestApprovalPolicy:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(registration="approval", sign_ins_per_minute=1000)

    async def test_a_pending_member_gets_no_token_until_approved(self, client: Client) -> None:
        response = await client.post(
            "/api/v1/accounts",
            json={"handle": "ada", "display_name": "A", "password": PASSWORD, "reason": "SQL"},
        )
        assert response.status == 201
        body = await response.json()
        assert body["status"] == "pending" and body["access_token"] is None


class TestClosedPolicy:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(registration="closed")

    async def test_registration_is_refused(self, client: Client) -> None:
        response = await client.post(
            "/api/v1/accounts", json={"handle": "ada", "display_name": "A", "password": PASSWORD}
        )
        assert response.status == 403
        assert await count_events(client) == 0
