"""docker/: the image lints clean, the compose file is valid and wired to PostgreSQL 18.

No Docker engine runs here, so the image is not built in tests; hadolint and docker-compose
check what can be checked without one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_readme import quick_start_commands


def test_the_dockerfile_is_clean_under_hadolint(repo_root: Path) -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", str(repo_root / "docker" / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_the_compose_file_is_valid(repo_root: Path) -> None:
    result = subprocess.run(
        ["docker-compose", "-f", str(repo_root / "docker" / "compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_the_server_on_postgresql_18_with_data_on_volumes(repo_root: Path) -> None:
    compose = yaml.safe_load((repo_root / "docker" / "compose.yml").read_text())
    db, server = compose["services"]["db"], compose["services"]["server"]
    assert db["image"] == "postgres:18"
    assert "@db:5432/" in server["environment"]["LEARNWORK_DATABASE_URL"]
    assert server["depends_on"]["db"]["condition"] == "service_healthy"
    named = {mount.split(":")[0] for s in (db, server) for mount in s["volumes"]}
    assert named == {"postgres-data", "learnwork-data"} and named <= compose["volumes"].keys()


def test_the_image_installs_like_the_readme(repo_root: Path) -> None:
    dockerfile = (repo_root / "docker" / "Dockerfile").read_text()
    serve = quick_start_commands((repo_root / "README.md").read_text())[0]
    assert "pip install ." in serve
    assert "RUN pip install --no-cache-dir ." in dockerfile
    assert 'CMD ["learnwork", "serve"]' in dockerfile
