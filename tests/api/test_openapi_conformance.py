"""Schemathesis against a live server: every operation of /api/v1/openapi.json, with generated
valid and invalid input, never answers 5xx and never answers outside its documented schema.

The server is the real `learnwork serve` process on a loopback port, over a database of its own.
Requests carry a member's token with every scope but admin, so authenticated paths are walked,
and a few entities exist for path parameters to hit.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.db import with_database
from tests.servers import SERVER_READY, learnwork

DATABASE = "learnwork_schemathesis"


def _post(base: str, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def live_server(
    pg_server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    async def fresh_database() -> None:
        admin = await asyncpg.connect(pg_server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{DATABASE}" TEMPLATE "{template_database}"')
        finally:
            await admin.close()

    asyncio.run(fresh_database())
    env = {
        "LEARNWORK_DATABASE_URL": with_database(pg_server_url, DATABASE),
        "LEARNWORK_PORT": "0",
        "LEARNWORK_WRITES_PER_MINUTE": "1000000",
        "LEARNWORK_SIGN_INS_PER_MINUTE": "1000000",
        "LEARNWORK_READ_WAIT_SECONDS": "2",
        "LEARNWORK_DATA_DIR": str(tmp_path_factory.mktemp("data")),  # its secret key
        "LEARNWORK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",  # a webhook to seed (below)
    }
    log = tmp_path_factory.mktemp("server") / "stderr.log"
    with learnwork("serve", env=env, log=log, ready=SERVER_READY) as base:
        yield {"base": base, **_seed(base)}


def _seed(base: str) -> dict[str, str]:
    """A member with a token, and one of each entity for generated requests to land on: the
    member's token, and path parameters naming things that exist."""
    account = _post(
        base,
        "/api/v1/accounts",
        {
            "handle": "fuzz",
            "display_name": "Fuzz",
            "password": "correct horse 1",
            "scopes": ["read", "write", "follow", "stream"],
        },
    )
    token = account["access_token"]
    other = _post(
        base,
        "/api/v1/accounts",
        {"handle": "peer", "display_name": "Peer", "password": "correct horse 1"},
    )
    _post(base, "/api/v1/communities", {"slug": "fuzz", "name": "Fuzz"}, token)
    resource = _post(
        base, "/api/v1/communities/fuzz/library", {"url": "https://x.org", "title": "X"}, token
    )
    post = _post(base, "/api/v1/posts", {"body": "*hello*"}, token)
    artefact = _post(base, "/api/v1/artefacts", {"title": "Work", "body": "v1"}, token)
    steps = [{"kind": "text", "title": "Read", "text": "Read it"}]
    path = _post(base, "/api/v1/communities/fuzz/paths", {"title": "P", "steps": steps}, token)
    _post(base, f"/api/v1/paths/{path['id']}/publish", {}, token)
    enrolled = _post(base, f"/api/v1/paths/{path['id']}/enroll", {}, token)
    endorsement = _post(
        base,
        "/api/v1/endorsements",
        {"kind": "member", "member_id": other["id"], "skill": "sql"},
        token,
    )
    # Loopback is allowed on this server; nothing listens on port 9, so deliveries stay pending.
    webhook = _post(base, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/"}, token)
    request = urllib.request.Request(
        f"{base}/api/v1/paths/{path['id']}",
        headers={"Learnwork-Min-Position": str(enrolled["position"])},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        step_id = json.load(response)["steps"][0]["step_id"]
    return {
        "token": token,
        "community": "fuzz",
        "member": "fuzz",
        "member_id": account["id"],
        "resource_id": resource["id"],
        "post_id": post["id"],
        "artefact_id": artefact["id"],
        "revision": "1",
        "path_id": path["id"],
        "step_id": step_id,
        "endorsement_id": endorsement["id"],
        "webhook_id": webhook["id"],
    }


SPARED = {"/oauth/revoke", "/api/v1/me/tokens/{token_id}", "/api/v1/me/password"}
"""Operations sent without the token: revoking it or changing the password would end the
session every other case uses (they have tests of their own)."""


ENDLESS = {"/api/v1/streams/events"}
"""Operations whose success never ends (an event stream): left to tests/api/test_streams.py,
which reads their messages and checks their refusals."""


def test_no_operation_errors_or_breaks_its_schema(live_server: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(live_server["base"] + "/api/v1/openapi.json")
    known = {name: value for name, value in live_server.items() if name not in ("base", "token")}
    token = {"Authorization": f"Bearer {live_server['token']}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ENDLESS:
            continue
        names = set(re.findall(r"{(\w+)}", operation.path))
        real = {name: value for name, value in known.items() if name in names}
        headers = {} if operation.path in SPARED else token
        try:
            _fuzz(operation, real, headers, live_server["base"])
        except Exception as exc:  # collected, and reported together below
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: Any, real: dict[str, str], headers: dict[str, str], base: str) -> None:
    """Valid and invalid input for one operation, some of it aimed at entities that exist."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real),
    )

    @given(case=cases)
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate(
            base_url=base,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
        )

    call()
