"""How far a long command has got, on one terminal line: shown only when the stream is a
terminal (a log file or a pipe gets the command's summary alone)."""

from __future__ import annotations

import time
from typing import TextIO

REFRESH_SECONDS = 0.5


class ProgressLine:
    def __init__(self, stream: TextIO | None, label: str = "") -> None:
        self._stream = stream if stream is not None and stream.isatty() else None
        self._label = f"{label}: " if label else ""
        self._started = time.monotonic()
        self._shown = 0.0

    def update(self, done: int, total: int) -> None:
        """`done` events of `total` (which may grow, as the log does while a rebuild runs)."""
        now = time.monotonic()
        if self._stream is None or now - self._shown < REFRESH_SECONDS:
            return
        self._shown = now
        rate = done / max(now - self._started, 1e-9)
        eta = max(total - done, 0) / rate if rate else 0.0
        self._stream.write(
            f"\r{self._label}{done:>12,} of {total:,} events  {rate:>9,.0f} events/s  "
            f"ETA {eta:>5,.0f} s "
        )
        self._stream.flush()

    def finish(self) -> None:
        if self._stream is not None and self._shown:
            self._stream.write("\n")
            self._stream.flush()
