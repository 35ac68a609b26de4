"""API-only server processes with the projections in a worker process of their own."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.servers import PROJECTIONS_READY, SERVER_READY, learnwork


def _call(url: str, body: dict[str, Any] | None = None, **headers: str) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_a_projections_worker_serves_reads_for_api_only_processes(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        "LEARNWORK_DATABASE_URL": database_url,
        "LEARNWORK_PORT": "0",
        "LEARNWORK_PROJECTIONS": "false",
        "LEARNWORK_READ_WAIT_SECONDS": "3",
    }
    with learnwork("serve", env=env, log=tmp_path / "serve.log", ready=SERVER_READY) as base:
        account = {"handle": "ada", "display_name": "Ada", "password": "correct horse 1"}
        status, written = _call(base + "/api/v1/accounts", account)
        assert status == 201
        wait = {"Learnwork-Min-Position": str(written["position"])}
        status, _ = _call(base + "/api/v1/members/ada", **wait)
        assert status == 503  # nobody keeps the read models: the read cannot see the write
        worker = learnwork(
            "projections", "run", env=env, log=tmp_path / "worker.log", ready=PROJECTIONS_READY
        )
        with worker:
            status, member = _call(base + "/api/v1/members/ada", **wait)
            assert status == 200
            assert member["handle"] == "ada"
        assert "shutting down" in (tmp_path / "worker.log").read_text()
