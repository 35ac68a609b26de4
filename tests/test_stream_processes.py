"""Event streams from two `learnwork serve` processes on one database: each serves its own
connections, every stream sees every event (whichever process it was written through), and a
cursor from one process resumes on the other."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.api.test_streams import STREAM, Reader
from tests.servers import SERVER_READY, learnwork


async def _register(http: aiohttp.ClientSession, base: str, handle: str) -> dict[str, str]:
    account = {"handle": handle, "display_name": handle.title(), "password": "correct horse 1",
               "scopes": ["read", "write", "stream"]}  # fmt: skip
    async with http.post(base + "/api/v1/accounts", json=account) as response:
        assert response.status == 201, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['access_token']}"}


async def _stream(
    http: aiohttp.ClientSession, base: str, auth: dict[str, str], **params: str
) -> Reader:
    response = await http.get(base + STREAM, params={"types": "post.*", **params}, headers=auth)
    assert response.status == 200, await response.text()
    return Reader(response)


async def _write(http: aiohttp.ClientSession, base: str, auth: dict[str, str], n: int) -> None:
    for i in range(n):
        body = {"body": f"{base} {i}"}
        async with http.post(base + "/api/v1/posts", json=body, headers=auth) as response:
            assert response.status == 201, await response.text()


async def test_two_processes_stream_every_event_and_resume_each_other(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        "LEARNWORK_DATABASE_URL": database_url,
        "LEARNWORK_PORT": "0",
        "LEARNWORK_SIGN_INS_PER_MINUTE": "1000",
    }
    with (
        learnwork("serve", env=env, log=tmp_path / "a.log", ready=SERVER_READY) as a,
        learnwork("serve", env=env, log=tmp_path / "b.log", ready=SERVER_READY) as b,
    ):
        async with aiohttp.ClientSession() as http:
            ada, bob = await _register(http, a, "ada"), await _register(http, b, "bob")
            on_a, on_b = await _stream(http, a, ada), await _stream(http, b, bob)
            await asyncio.gather(_write(http, a, ada, 15), _write(http, b, bob, 15))
            seen_on_a, seen_on_b = [await s.events(30) for s in (on_a, on_b)]

            ids = [e["id"] for e in seen_on_a]
            assert [e["id"] for e in seen_on_b] == ids
            assert ids == sorted(ids, key=int) and len(set(ids)) == 30
            bodies = {e["data"]["body"] for e in seen_on_a}
            assert bodies == {f"{base} {i}" for base in (a, b) for i in range(15)}

            on_a.response.close()
            resumed = await _stream(http, b, ada, cursor=ids[14])
            assert [e["id"] for e in await resumed.events(15)] == ids[15:]
