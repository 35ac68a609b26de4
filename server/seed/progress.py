"""How far a seed has got, on one terminal line (only when the stream is a terminal: a log
file or a pipe gets the summary alone), and the summary itself."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import TextIO

REFRESH_SECONDS = 0.5


class Progress:
    def __init__(self, stream: TextIO | None, total: int) -> None:
        self._stream = stream if stream is not None and stream.isatty() else None
        self._total = total
        self._started = time.monotonic()
        self._shown = 0.0

    def update(self, written: int) -> None:
        now = time.monotonic()
        if self._stream is None or now - self._shown < REFRESH_SECONDS:
            return
        self._shown = now
        rate = written / max(now - self._started, 1e-9)
        eta = max(self._total - written, 0) / rate if rate else 0.0
        self._stream.write(
            f"\r{written:>12,} of {self._total:,} events  {rate:>9,.0f} events/s  "
            f"ETA {eta:>5,.0f} s "
        )
        self._stream.flush()

    def finish(self) -> None:
        if self._stream is not None and self._shown:
            self._stream.write("\n")
            self._stream.flush()


@dataclass(frozen=True)
class Summary:
    types: Counter[str]
    """Events written, by type."""
    seconds: float

    @property
    def events(self) -> int:
        return sum(self.types.values())

    def families(self) -> Counter[str]:
        """Events by family: the part of the type before the dot (`post`, `community`, …)."""
        families: Counter[str] = Counter()
        for name, count in self.types.items():
            families[name.partition(".")[0]] += count
        return families

    def line(self) -> str:
        rate = self.events / max(self.seconds, 1e-9)
        mix = ", ".join(f"{family} {count:,}" for family, count in self.families().most_common())
        return (
            f"seeded {self.events:,} events in {self.seconds:,.1f} s ({rate:,.0f} events/s): {mix}"
        )
