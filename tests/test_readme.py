"""The README's quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path


def quick_start_commands(readme: str) -> list[str]:
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_the_quick_start_has_two_commands_and_ci_runs_the_test_one(repo_root: Path) -> None:
    commands = quick_start_commands((repo_root / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == 2
    serve, test = commands
    assert serve.endswith("learnwork serve") and "pip install ." in serve
    ci_lines = (repo_root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci_lines[-1] == test
