"""The example consumer (examples/stream_consumer.py) as a real process against a live server:
it handles every event once, in order, across a restart, from the cursor it keeps in a file."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from tests.api.conftest import Client, register
from tests.api.test_streams import post, streamer

EXAMPLE = Path(__file__).parents[2] / "examples" / "stream_consumer.py"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def handled(output: Path, count: int) -> list[dict]:
    """The events the consumer has printed, once there are `count` of them."""
    async with asyncio.timeout(20):
        while True:
            lines = _lines(output)
            if len(lines) >= count:
                return [json.loads(line) for line in lines]
            await asyncio.sleep(0.05)


async def test_the_example_consumer_resumes_where_it_stopped(
    client: Client, tmp_path: Path
) -> None:
    root = await streamer(client)
    ada = await register(client, "ada")
    first = [await post(ada, f"before {i}") for i in range(3)]
    cursor, output = tmp_path / "cursor.txt", tmp_path / "handled.jsonl"
    command = [
        sys.executable, str(EXAMPLE), "--url", str(client.make_url("/")), "--token", root.token,
        "--cursor-file", str(cursor), "--types", "post.*", "--from-start",
    ]  # fmt: skip

    async def run_until(count: int) -> list[dict]:
        with output.open("a") as out:
            process = await asyncio.create_subprocess_exec(*command, stdout=out)
        try:
            return await handled(output, count)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()

    assert [e["subject"] for e in await run_until(3)] == [f"post-{i}" for i in first]
    assert cursor.read_text() == (await handled(output, 3))[-1]["id"]
    later = [await post(ada, f"after {i}") for i in range(2)]  # while it is stopped
    events = await run_until(5)
    assert [e["subject"] for e in events] == [f"post-{i}" for i in first + later]
