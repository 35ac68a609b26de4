"""A real server per test: the whole app on a loopback port, over a fresh database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.api.keys import COMMANDS, HOME_FEEDS, PROFILES, RUNNER, SEARCHES
from server.app import create_app
from server.commands import accounts
from server.config import Settings

Client = TestClient
SECRET_KEY = "the test instance's secret key, 32+ characters"
"""Fixed, so that no test writes a key file, and webhook secrets can be derived in tests."""


@pytest.fixture
def settings() -> Settings:
    return Settings(
        sign_ins_per_minute=10_000,
        writes_per_minute=100_000,
        read_wait_seconds=5,
        secret_key=SECRET_KEY,
    )


@pytest.fixture
async def client(
    database_url: str, settings: Settings, aiohttp_client: Callable[..., Awaitable[TestClient]]
) -> TestClient:
    # database_url comes first so the server is closed before its database is dropped.
    return await aiohttp_client(create_app(settings, database_url))


class Member:
    """A registered member as tests use one: id, handle and a bearer token."""

    def __init__(self, client: TestClient, id: str, handle: str, token: str, position: int):
        self.client = client
        self.id = id
        self.handle = handle
        self.token = token
        self.position = position

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def expect(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        """The JSON answer to a request that must get `status`."""
        response = await self.request(method, path, **kwargs)
        assert response.status == status, await response.text()
        return await response.json()

    def saw(self, *others: Member) -> None:
        """From now on, read at least what `others` wrote (as if they had told this member)."""
        self.position = max(self.position, *(o.position for o in others))

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if method == "GET" and self.position:
            headers.setdefault("Learnwork-Min-Position", str(self.position))
        response = await self.client.request(method, path, headers=headers, **kwargs)
        if response.status < 300 and response.content_type == "application/json":
            body = await response.json()
            if isinstance(body, dict) and isinstance(body.get("position"), int):
                self.position = max(self.position, body["position"])
        return response


async def register(
    client: TestClient, handle: str, *, scopes: list[str] | None = None, **extra: Any
) -> Member:
    body = {"handle": handle, "display_name": handle.title(), "password": "correct horse 1"}
    if scopes:
        body["scopes"] = scopes
    body.update(extra)
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status == 201, await response.text()
    data = await response.json()
    return Member(client, data["id"], data["handle"], data["access_token"], data["position"])


async def make_admin(client: Client, handle: str = "root") -> Member:
    """Admins come from `learnwork admin create-user --admin`, which calls the same command."""
    cx = client.server.app[COMMANDS]
    done = await accounts.register(
        cx, handle=handle, display_name="Root", password="correct horse 1", admin=True
    )
    issued = await accounts.issue_token(cx, done.member, ["read", "write", "follow", "admin"])
    return Member(client, done.member.id, handle, issued.token, issued.result.position)


@pytest.fixture
def make_member(client: TestClient) -> Callable[..., Awaitable[Member]]:
    async def make(handle: str, **kwargs: Any) -> Member:
        return await register(client, handle, **kwargs)

    return make


def field_of(problem: Any) -> str:
    """The field a problem+json answer names first."""
    return problem["errors"][0]["field"]


async def settle(client: Client) -> None:
    """Wait until the read models and this process's caches (home feeds, profiles, searches)
    have followed the whole log."""
    app = client.server.app
    head = await app[COMMANDS].store.last_position()
    async with asyncio.timeout(10):
        await app[RUNNER].wait_for(head)
        for cache in (app[HOME_FEEDS], app[PROFILES], app[SEARCHES]):
            while cache.position < head:  # noqa: ASYNC110 (nothing to wait on)
                await asyncio.sleep(0.005)


async def reads_while(
    writing: Coroutine[Any, Any, Any], read: Callable[[], Awaitable[Any]], readers: int = 4
) -> int:
    """Run `readers` loops of `read` back to back until `writing` is done; how many reads
    they made."""
    done = asyncio.Event()

    async def loop() -> int:
        reads = 0
        while not done.is_set():
            await read()
            reads += 1
        return reads

    tasks = [asyncio.create_task(loop()) for _ in range(readers)]
    await writing
    done.set()
    return sum(await asyncio.gather(*tasks))
