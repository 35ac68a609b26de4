"""Two whole Learnwork instances federating over loopback: each its own app, its own database,
its own port — the port its public URL names, so each fetches the other's actors and delivers
to its inboxes as it would across the internet. An instance can be stopped and started again
on the same database and port (what a restart does to queued deliveries)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.config import Settings
from tests.api.conftest import SECRET_KEY


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Instance:
    """One Learnwork server: `client` talks to it (None while it is stopped)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self.client: TestClient | None = None

    def settings(self) -> Settings:
        return Settings(
            sign_ins_per_minute=10_000,
            writes_per_minute=100_000,
            read_wait_seconds=5,
            secret_key=SECRET_KEY,
            public_url=self.base,
            federation_allow_private_addresses=True,  # the other instance is on loopback
            federation_first_retry_seconds=0.2,
        )

    async def start(self) -> TestClient:
        app = create_app(self.settings(), self.database_url)
        server = TestServer(app, host="127.0.0.1", port=self.port)
        self.client = TestClient(server)
        await self.client.start_server()
        return self.client

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None


@pytest.fixture
async def instances(
    another_database: str, database_url: str
) -> AsyncIterator[tuple[Instance, Instance]]:
    a, b = Instance(database_url), Instance(another_database)
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        await a.stop()
        await b.stop()
