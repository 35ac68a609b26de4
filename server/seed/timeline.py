"""When seeded events happened: spread evenly over the last `days` days, ending at `end`, and
strictly rising with position, as docs/event-log.md promises `recorded_at` does.

PostgreSQL keeps microseconds, so times are counted in whole microseconds; should the events be
denser than one per microsecond, each still gets one more microsecond than the last.
"""

from __future__ import annotations

from datetime import datetime, timedelta

_MICROSECONDS_PER_DAY = 86_400 * 1_000_000


class Timeline:
    def __init__(self, end: datetime, days: float, events: int) -> None:
        """`events`: how many events the span is shared between (the last one lands just
        before `end`)."""
        self._span = int(days * _MICROSECONDS_PER_DAY)
        self._start = end - timedelta(microseconds=self._span)
        self._events = max(events, 1)
        self._issued = 0
        self._last = -1

    def next(self) -> datetime:
        """The time of the next event."""
        offset = max(self._span * self._issued // self._events, self._last + 1)
        self._issued += 1
        self._last = offset
        return self._start + timedelta(microseconds=offset)
