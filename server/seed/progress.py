"""What a seed wrote, for its closing line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


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
