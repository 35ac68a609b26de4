"""Federation's HTTP tests run a whole app like the API's (tests/api/conftest.py), listening at
the port its public URL names, so that the ids of its actors can be fetched like another
server's."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.config import Settings
from tests.api.conftest import SECRET_KEY


@pytest.fixture
def port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def settings(port: int) -> Settings:
    return Settings(
        sign_ins_per_minute=10_000,
        writes_per_minute=100_000,
        read_wait_seconds=5,
        secret_key=SECRET_KEY,
        public_url=f"http://127.0.0.1:{port}",
        federation_allow_private_addresses=True,  # the other servers here are on loopback
    )


@pytest.fixture
async def client(
    database_url: str,
    settings: Settings,
    port: int,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> TestClient:
    app = create_app(settings, database_url)
    return await aiohttp_client(app, server_kwargs={"host": "127.0.0.1", "port": port})
