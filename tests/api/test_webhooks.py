"""Webhook endpoints over real HTTP: registering (the secret shown once), listing, changing,
rotating, deleting — each token its own endpoints only — and refusals: bad input, a missing
scope, URLs that point into private networks. Nothing refused writes anything."""

from __future__ import annotations

from typing import Any

import pytest

from server.api.keys import COMMANDS
from server.config import Settings
from tests.api.conftest import SECRET_KEY, Client, Member, field_of, register

WEBHOOKS = "/api/v1/webhooks"
URL = "http://127.0.0.1:9/hook"  # loopback is allowed here (see `settings`); nothing listens


@pytest.fixture
def settings() -> Settings:
    return Settings(
        sign_ins_per_minute=10_000,
        writes_per_minute=100_000,
        read_wait_seconds=5,
        secret_key=SECRET_KEY,
        webhook_allow_private_addresses=True,
    )


async def developer(client: Client, handle: str = "dev") -> Member:
    return await register(client, handle, scopes=["read", "write", "stream"])


async def create(member: Member, **body: Any) -> dict[str, Any]:
    return await member.expect("POST", WEBHOOKS, 201, json={"url": URL, **body})


async def head(client: Client) -> int:
    return await client.server.app[COMMANDS].store.last_position()


async def test_the_secret_is_shown_once_and_the_endpoint_listed_without_it(client: Client) -> None:
    dev = await developer(client)
    made = await create(dev, types=["post.*", "member.followed"], description="CRM")
    assert made["secret"].startswith("whsec_") and made["status"] == "enabled"
    assert made["types"] == ["post.*", "member.followed"] and made["url"] == URL
    shown = await dev.expect("GET", f"{WEBHOOKS}/{made['id']}", 200)
    assert "secret" not in shown and made["secret"] not in str(shown)
    assert shown["status"] == "enabled" and shown["description"] == "CRM"
    assert shown["disabled_reason"] is None
    second = await create(dev)
    listed = await dev.expect("GET", WEBHOOKS, 200, params={"limit": "1"})
    assert [w["id"] for w in listed["items"]] == [second["id"]]
    rest = await dev.expect(
        "GET", WEBHOOKS, 200, params={"limit": "1", "cursor": listed["next_cursor"]}
    )
    assert [w["id"] for w in rest["items"]] == [made["id"]] and rest["next_cursor"] is None
    assert "secret" not in str(listed) + str(rest)


async def test_rotating_gives_a_new_secret_once(client: Client) -> None:
    dev = await developer(client)
    made = await create(dev)
    rotated = await dev.expect("POST", f"{WEBHOOKS}/{made['id']}/secret", 200)
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    again = await dev.expect("POST", f"{WEBHOOKS}/{made['id']}/secret", 200)
    assert again["secret"] not in (made["secret"], rotated["secret"])


async def test_an_endpoint_changes_by_patch_and_goes_by_delete(client: Client) -> None:
    dev = await developer(client)
    community = "00000000-0000-4000-8000-0000000000c1"
    made = await create(dev, community=community, types=["post.*"])
    path = f"{WEBHOOKS}/{made['id']}"
    await dev.expect("PATCH", path, 200, json={"community": None, "description": "all posts"})
    changed = await dev.expect("GET", path, 200)
    assert changed["community"] is None and changed["description"] == "all posts"
    assert changed["types"] == ["post.*"] and changed["url"] == URL
    await dev.expect("PATCH", path, 200, json={"enabled": False})
    off = await dev.expect("GET", path, 200)
    assert off["status"] == "disabled" and off["disabled_reason"] == "disabled by its owner"
    await dev.expect("PATCH", path, 200, json={"enabled": True})
    assert (await dev.expect("GET", path, 200))["status"] == "enabled"
    nothing = await dev.expect("PATCH", path, 200, json={"enabled": True})
    assert nothing["position"] is None  # nothing changed, nothing written
    await dev.expect("DELETE", path, 200)
    await dev.expect("GET", path, 404)
    assert (await dev.expect("GET", WEBHOOKS, 200))["items"] == []
    await dev.expect("DELETE", path, 404)


async def test_another_token_is_told_the_endpoint_does_not_exist(client: Client) -> None:
    dev = await developer(client)
    made = await create(dev)
    other_token = await dev.expect(
        "POST", "/api/v1/me/tokens", 201, json={"name": "ci", "scopes": ["read", "stream"]}
    )
    same_member = Member(client, dev.id, dev.handle, other_token["token"], dev.position)
    stranger = await developer(client, "eve")
    path = f"{WEBHOOKS}/{made['id']}"
    for who in (same_member, stranger):
        who.saw(dev)
        problem = await who.expect("GET", path, 404)
        assert field_of(problem) == "webhook_id"
        await who.expect("PATCH", path, 404, json={"url": "http://127.0.0.1:10/"})
        await who.expect("POST", f"{path}/secret", 404)
        await who.expect("GET", f"{path}/deliveries", 404)
        await who.expect("DELETE", path, 404)
        assert (await who.expect("GET", WEBHOOKS, 200))["items"] == []
    assert (await dev.expect("GET", path, 200))["url"] == URL
    await dev.expect("GET", f"{WEBHOOKS}/not-an-id", 404)
    await dev.expect("GET", f"{path}/deliveries/msg_nope", 404)


async def test_webhooks_need_the_stream_scope(client: Client) -> None:
    plain = await register(client, "ada")
    response = await plain.request("POST", WEBHOOKS, json={"url": URL})
    assert response.status == 403
    assert "stream" in response.headers["WWW-Authenticate"]
    assert (await plain.request("GET", WEBHOOKS)).status == 403


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"url": "ftp://127.0.0.1/"}, "url", 422),
        ({"url": "http://user:pw@127.0.0.1/"}, "url", 422),
        ({"url": "http://127.0.0.1/" + "a" * 2000}, "url", 422),
        ({"url": "http://no-such-host.invalid/"}, "url", 422),
        ({"types": ["post.nothing"]}, "types", 422),
        ({"types": ["*", "nope.*"]}, "types", 422),
        ({"community": "not-an-id"}, "community", 422),
        ({"member": "42"}, "member", 422),
        ({"description": "x" * 201}, "description", 422),
        ({"secret": "mine"}, "secret", 422),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    client: Client, body: dict[str, Any], field: str, status: int
) -> None:
    dev = await developer(client)
    before = await head(client)
    response = await dev.request("POST", WEBHOOKS, json={"url": URL, **body})
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    assert field_of(await response.json()) == field
    made = await create(dev)
    patched = await dev.request("PATCH", f"{WEBHOOKS}/{made['id']}", json=body)
    assert patched.status == status and field_of(await patched.json()) == field
    assert await head(client) == before + 1  # only the endpoint made in between


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://localhost/hook",
        "http://10.0.0.1/",
        "http://192.168.0.10/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
    ],
)
async def test_urls_into_private_networks_are_refused_unless_allowed(
    database_url: str, aiohttp_client: Any, url: str
) -> None:
    from server.app import create_app

    strict = Settings(sign_ins_per_minute=10_000, secret_key=SECRET_KEY)
    client = await aiohttp_client(create_app(strict, database_url))
    dev = await developer(client)
    before = await head(client)
    response = await dev.request("POST", WEBHOOKS, json={"url": url})
    assert response.status == 422, await response.text()
    problem = await response.json()
    assert field_of(problem) == "url" and "private" in problem["errors"][0]["detail"]
    assert await head(client) == before
