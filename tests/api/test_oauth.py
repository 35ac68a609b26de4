"""OAuth 2.0 over real HTTP: app registration, authorization code with PKCE, password grant,
revocation (sign-out)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

from tests.api.conftest import Client, register

PASSWORD = "correct horse 1"
CALLBACK = "https://notes.example/callback"


async def create_app(client: Client, scopes: str = "read write") -> dict:
    response = await client.post(
        "/api/v1/apps",
        json={"client_name": "Notes", "redirect_uris": CALLBACK, "scopes": scopes},
    )
    assert response.status == 200, await response.text()
    return await response.json()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def authorize(client: Client, app: dict, challenge: str, **form: str) -> str:
    """Sign in on the consent form and return the code from the redirect."""
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "read",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = await client.get("/oauth/authorize", params=query)
    assert page.status == 200 and "<form" in await page.text()
    response = await client.post(
        "/oauth/authorize",
        data={**query, "handle": "ada", "password": PASSWORD, "decision": "approve", **form},
        allow_redirects=False,
    )
    assert response.status == 302, await response.text()
    location = urlsplit(response.headers["Location"])
    params = parse_qs(location.query)
    assert params["state"] == ["xyz"]
    return params["code"][0]


async def test_authorization_code_with_pkce_issues_a_working_token(client: Client) -> None:
    await register(client, "ada")
    app = await create_app(client)
    verifier, challenge = pkce()
    code = await authorize(client, app, challenge)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert response.status == 200, await response.text()
    token = await response.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "read"
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.status == 200
    write = await client.patch(
        "/api/v1/me",
        json={"bio": "x"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert write.status == 403  # only `read` was granted


async def test_a_code_works_once_even_when_raced(client: Client) -> None:
    await register(client, "ada")
    app = await create_app(client)
    verifier, challenge = pkce()
    code = await authorize(client, app, challenge)
    form = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    responses = await asyncio.gather(*(client.post("/oauth/token", data=form) for _ in range(5)))
    assert sorted(r.status for r in responses) == [200] + [400] * 4
    refused = await next(r for r in responses if r.status == 400).json()
    assert refused["error"] == "invalid_grant"


async def test_a_wrong_verifier_is_invalid_grant(client: Client) -> None:
    await register(client, "ada")
    app = await create_app(client)
    _, challenge = pkce()
    code = await authorize(client, app, challenge)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": "x" * 60,
        },
    )
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_grant"


async def test_wrong_password_on_the_consent_form_issues_no_code(client: Client) -> None:
    await register(client, "ada")
    app = await create_app(client)
    _, challenge = pkce()
    response = await client.post(
        "/oauth/authorize",
        data={
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "scope": "read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "handle": "ada",
            "password": "not the password",
            "decision": "approve",
        },
        allow_redirects=False,
    )
    assert response.status == 401
    assert "Wrong handle or password" in await response.text()


async def test_an_unregistered_redirect_uri_is_refused_without_redirecting(client: Client) -> None:
    app = await create_app(client)
    _, challenge = pkce()
    response = await client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": "https://evil.example/steal",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
    )
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "redirect_uri"


async def test_password_grant_and_revocation_sign_in_and_out(client: Client) -> None:
    await register(client, "ada")
    app = await create_app(client)
    form = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": "ADA",
        "password": PASSWORD,
        "scope": "read write",
    }
    response = await client.post("/oauth/token", data=form)
    assert response.status == 200, await response.text()
    token = (await response.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status == 200
    response = await client.post(
        "/oauth/revoke",
        data={
            "token": token,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert response.status == 200
    assert (await client.get("/api/v1/me", headers=headers)).status == 401
    response = await client.post("/oauth/token", data={**form, "password": "wrong password"})
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_grant"


async def test_an_app_cannot_be_granted_more_than_it_registered(client: Client) -> None:
    await register(client, "ada")
    app = await create_app(client, scopes="read")
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "ada",
            "password": PASSWORD,
            "scope": "read write",
        },
    )
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_scope"


async def test_unknown_clients_and_grant_types(client: Client) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "client_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert response.status == 401
    assert (await response.json())["error"] == "invalid_client"
    app = await create_app(client)
    response = await client.post(
        "/oauth/token", data={"grant_type": "implicit", "client_id": app["client_id"]}
    )
    assert (await response.json())["error"] == "unsupported_grant_type"


async def test_a_client_id_that_is_no_id_is_an_unknown_client(client: Client) -> None:
    # Found by the OpenAPI fuzz test: a NUL reached the database, which refused it (a 500).
    for client_id in ("not-an-id", "app\x00id"):
        response = await client.post(
            "/oauth/token", json={"grant_type": "password", "client_id": client_id}
        )
        assert response.status == 401, await response.text()
        assert (await response.json())["error"] == "invalid_client"
