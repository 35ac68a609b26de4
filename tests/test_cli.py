"""The `learnwork` command, run as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import asyncpg
import psutil

from server.cli import main
from server.commands import accounts
from server.commands.context import Commands
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.projections.catalog import all_projections

LEARNWORK = [sys.executable, "-m", "server.cli"]


def test_serve_starts_on_the_embedded_database_from_a_clean_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {**os.environ, "LEARNWORK_DATA_DIR": str(data_dir), "LEARNWORK_PORT": "0"}
    env.pop("LEARNWORK_DATABASE_URL", None)
    process = subprocess.Popen([*LEARNWORK, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        lines = []
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if match := re.search(r"ready at (http://\S+)", line):
                url = match[1]
        assert url, "no 'ready at' line:\n" + "".join(lines)
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
            assert response.status == 200
            assert json.load(response) == {"status": "ok", "position": 0}
        assert (data_dir / "postgres" / "PG_VERSION").exists()
        postgres_pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        assert psutil.pid_exists(postgres_pid)
    finally:
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=60)[1]
    assert process.returncode == 0, rest
    assert "embedded PostgreSQL stopped" in rest
    assert not psutil.pid_exists(postgres_pid) or psutil.Process(postgres_pid).status() == "zombie"


def test_serve_help_documents_the_settings() -> None:
    result = subprocess.run(
        [*LEARNWORK, "serve", "--help"], capture_output=True, text=True, check=True
    )
    assert "LEARNWORK_DATABASE_URL" in result.stdout and "LEARNWORK_DATA_DIR" in result.stdout


def test_a_bad_setting_stops_the_command_with_a_clear_message(capsys) -> None:
    os.environ["LEARNWORK_PORT"] = "not-a-port"
    try:
        assert main(["migrate"]) == 2
    finally:
        del os.environ["LEARNWORK_PORT"]
    assert "LEARNWORK_PORT" in capsys.readouterr().err


def test_the_committed_event_schemas_are_current(repo_root: Path) -> None:
    folder = repo_root / "schemas" / "events"
    committed = {p.name for p in folder.glob("*.json")}
    assert committed == {f"{name}.json" for name in REGISTRY.types}, (
        "schemas/events is stale: run `learnwork schemas`"
    )
    assert main(["schemas", "--check", "--out", str(folder)]) == 0, (
        "schemas/events is stale: run `learnwork schemas`"
    )


def test_the_schemas_command_writes_and_checks(tmp_path: Path) -> None:
    assert main(["schemas", "--out", str(tmp_path)]) == 0
    assert main(["schemas", "--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "member.registered.json").write_text("{}")
    assert main(["schemas", "--check", "--out", str(tmp_path)]) == 1


def test_admin_create_user_makes_an_admin_who_can_sign_in(database_url: str) -> None:
    env = {**os.environ, "LEARNWORK_DATABASE_URL": database_url, "LEARNWORK_REGISTRATION": "closed"}
    command = [*LEARNWORK, "admin", "create-user", "Root", "--admin"]
    result = subprocess.run(
        command, input="a long admin password\n", env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("created admin @root (")
    again = subprocess.run(
        command, input="a long admin password\n", env=env, capture_output=True, text=True
    )
    assert again.returncode == 1 and "handle" in again.stderr

    async def signs_in() -> bool:
        store = await EventStore.open(database_url, REGISTRY, pool_size=2)
        try:
            member = await accounts.sign_in(Commands.over(store), "root", "a long admin password")
        finally:
            await store.close()
        return member is not None and member.admin

    assert asyncio.run(signs_in())


def test_projections_status_shows_each_read_model_and_fails_when_one_stopped(
    database_url: str,
) -> None:
    env = {**os.environ, "LEARNWORK_DATABASE_URL": database_url}
    created = subprocess.run(
        [*LEARNWORK, "admin", "create-user", "ada"],
        input="a long password 1\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    status = [*LEARNWORK, "projections", "status"]

    result = subprocess.run([*status, "--json"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {p.name for p in all_projections()}
    # No process runs them here: the member's registration waits in the projections that read
    # it; the posts projection reads none of its events.
    assert rows["members"]["lag"] > 0 and not rows["members"]["running"]
    assert rows["posts"]["lag"] == 0

    async def stop_posts() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "INSERT INTO projection_checkpoints (name, failed_position, error)"
                " VALUES ('posts', 7, 'ValueError: no such format')"
            )
        finally:
            await conn.close()

    asyncio.run(stop_posts())
    stopped = subprocess.run(status, env=env, capture_output=True, text=True)
    assert stopped.returncode == 1, stopped.stderr
    [posts_line] = [line for line in stopped.stdout.splitlines() if line.startswith("posts ")]
    assert "STOPPED at position 7: ValueError: no such format" in posts_line


def test_projections_rebuild_makes_a_read_model_anew(database_url: str) -> None:
    env = {**os.environ, "LEARNWORK_DATABASE_URL": database_url}
    for handle in ("ada", "bob"):
        created = subprocess.run(
            [*LEARNWORK, "admin", "create-user", handle],
            input="a long password 1\n",
            env=env,
            capture_output=True,
            text=True,
        )
        assert created.returncode == 0, created.stderr

    rebuilt = subprocess.run(
        [*LEARNWORK, "projections", "rebuild", "members"], env=env, capture_output=True, text=True
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("rebuilt members up to position ")

    async def handles() -> list[str]:
        conn = await asyncpg.connect(database_url)
        try:
            return [r[0] for r in await conn.fetch("SELECT handle FROM members ORDER BY 1")]
        finally:
            await conn.close()

    assert asyncio.run(handles()) == ["ada", "bob"]
    unknown = subprocess.run(
        [*LEARNWORK, "projections", "rebuild", "nope"], env=env, capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
