"""The retry schedule every outbound delivery keeps (webhooks and federation): doubling waits
with jitter up to a cap, and the Retry-After a server answers with."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.retry import MAX_DELAY, retry_after, retry_delay

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_retries_double_from_the_first_wait_up_to_the_cap_with_jitter() -> None:
    middle = [retry_delay(n, 5.0, 0.5) for n in range(1, 5)]
    assert middle == [5.0, 10.0, 20.0, 40.0]
    assert retry_delay(1, 5.0, 0.0) == pytest.approx(4.0)
    assert retry_delay(1, 5.0, 0.999999) == pytest.approx(6.0)
    assert retry_delay(40, 5.0, 0.5) == MAX_DELAY
    assert retry_delay(10_000, 5.0, 0.5) == MAX_DELAY


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    assert retry_after("120", NOW) == 120.0
    assert retry_after("Mon, 30 Nov 2026 12:01:00 GMT", NOW) == 60.0
    assert retry_after("Mon, 30 Nov 2026 11:00:00 GMT", NOW) == 0.0
    assert retry_after("soon", NOW) is None and retry_after(None, NOW) is None
