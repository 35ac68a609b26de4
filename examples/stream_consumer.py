"""A consumer of a Learnwork event stream that survives restarts: it keeps the id of the last
event it handled in a file, and resumes after it whenever it (re)connects.

    python examples/stream_consumer.py --url https://learn.example.org --token "$TOKEN" \
        --cursor-file cursor.txt --types 'post.*,endorsement.*'

Each event is "handled" by printing its envelope as one JSON line; replace `handle` with your
own work. The cursor is saved after the event is handled, so a crash between the two hands that
one event over again on restart: handle events idempotently (by their `id`). Needs only aiohttp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp


def handle(envelope: dict) -> None:
    print(json.dumps(envelope), flush=True)


def load_cursor(path: Path, from_start: bool) -> str | None:
    if path.exists():
        return path.read_text().strip() or None
    return "0" if from_start else None


def save_cursor(path: Path, cursor: str) -> None:
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(cursor)
    os.replace(partial, path)  # atomic: the file always holds a whole cursor


async def follow(args: argparse.Namespace) -> None:
    path = Path(args.cursor_file)
    delay = 1.0
    timeout = aiohttp.ClientTimeout(total=None, sock_read=90)  # keep-alives come every 15 s
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            params = {"types": args.types} if args.types else {}
            if (cursor := load_cursor(path, args.from_start)) is not None:
                params["cursor"] = cursor
            headers = {"Authorization": f"Bearer {args.token}", "Accept": "text/event-stream"}
            try:
                async with session.get(
                    args.url.rstrip("/") + "/api/v1/streams/events", params=params, headers=headers
                ) as response:
                    if response.status != 200:  # a bad token or cursor: retrying will not help
                        sys.exit(f"refused: {response.status} {await response.text()}")
                    delay = 1.0
                    await read(response, path)
            except (TimeoutError, aiohttp.ClientError) as exc:
                print(f"disconnected ({exc!r}); reconnecting", file=sys.stderr)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


async def read(response: aiohttp.ClientResponse, path: Path) -> None:
    """Handle messages until the stream ends (an `error` message says why)."""
    event, data = "message", []
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith(":"):
            continue  # keep-alive
        if line:
            name, _, value = line.partition(":")
            if name == "event":
                event = value.strip()
            elif name == "data":
                data.append(value.removeprefix(" "))
            continue
        if data:
            message = json.loads("\n".join(data))
            if event == "error":
                print(f"stream ended: {message['detail']}", file=sys.stderr)
            else:
                handle(message)
                save_cursor(path, message["id"])
        event, data = "message", []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the instance's base URL")
    parser.add_argument("--token", required=True, help="an access token with the stream scope")
    parser.add_argument("--cursor-file", required=True)
    parser.add_argument("--types", help="e.g. 'post.*,endorsement.given'")
    parser.add_argument(
        "--from-start", action="store_true", help="without a cursor file, replay the whole log"
    )
    try:
        asyncio.run(follow(parser.parse_args()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
