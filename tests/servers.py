"""Real `learnwork` processes for tests: started with their own settings, waited for, stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def learnwork(*command: str, env: dict[str, str], log: Path, ready: str) -> Iterator[str]:
    """Run `learnwork COMMAND…` with `env` over the environment until the block ends; yields the
    first group of the `ready` pattern once it appears in the log (stderr, kept in a file: a
    pipe nobody reads would fill up and stall the process)."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *command], env={**os.environ, **env}, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if match := re.search(ready, log.read_text()):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"learnwork {' '.join(command)} did not start:\n" + log.read_text()
                )
            time.sleep(0.05)
        yield match[1] if match.groups() else match[0]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


SERVER_READY = r"ready at (http://\S+)"
PROJECTIONS_READY = r"projections running"
