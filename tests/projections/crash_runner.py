"""Runs the Notes projection slowly until killed: `python -m tests.projections.crash_runner URL`.

Each batch takes ~0.2 s inside its transaction, so a SIGKILL almost always lands mid-batch.
"""

from __future__ import annotations

import asyncio
import sys

from server.events.store import EventStore
from server.projections.runner import ProjectionRunner
from tests.events.sample_events import SAMPLE_REGISTRY
from tests.projections.sample_projection import Notes


async def main(url: str) -> None:
    store = await EventStore.open(url, SAMPLE_REGISTRY)
    runner = ProjectionRunner(store, url, [Notes(delay_per_event=0.002)], batch_size=100)
    runner.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
