"""The rules under delivery, without a database or a network: where an activity goes (shared
inboxes), what an answer makes of a delivery, and when a host counts as unreachable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.federation.delivery_rules import (
    UNREACHABLE_AFTER,
    Outcome,
    host_failed,
    host_wait,
    outcome,
)
from server.federation.outgoing import Outgoing, Recipient, host_of, inboxes

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
COMMON = {"now": NOW, "retry_until": NOW + timedelta(days=2), "first": 30.0, "draw": 0.5}


def test_followers_who_share_an_inbox_get_one_delivery_there() -> None:
    shared = "https://social.example/inbox"
    recipients = [
        Recipient("https://social.example/users/a/inbox", shared),
        Recipient("https://small.example/users/b/inbox"),
        Recipient("https://social.example/users/c/inbox", shared),
        Recipient("https://small.example/users/d/inbox"),
        Recipient("https://social.example/users/e/inbox", shared),
        Recipient("https://small.example/users/b/inbox"),  # named twice: once
    ]
    assert inboxes(recipients) == [
        shared,
        "https://small.example/users/b/inbox",
        "https://small.example/users/d/inbox",
    ]


def test_what_is_no_http_url_is_not_delivered_to() -> None:
    recipients = [
        Recipient("ftp://files.example/inbox"),
        Recipient("https:///no-host"),
        Recipient("not a url"),
        Recipient("http://ok.example/inbox"),
    ]
    assert inboxes(recipients) == ["http://ok.example/inbox"]


def test_a_host_is_its_name_and_port() -> None:
    assert host_of("https://Social.Example/inbox") == "social.example"
    assert host_of("http://127.0.0.7:8443/ap/inbox") == "127.0.0.7:8443"
    assert host_of("https://user:pw@social.example/inbox") == "social.example"


def test_an_activity_without_an_id_is_refused() -> None:
    with pytest.raises(ValueError, match="id"):
        Outgoing({"type": "Create"}, "instance", "https://here.example/ap/instance#main-key", [])
    made = Outgoing({"id": "https://here.example/a/1"}, "instance", "k", [])
    assert made.id == "https://here.example/a/1"


def test_an_answer_decides_what_becomes_of_a_delivery() -> None:
    assert outcome(202, attempts=1, **COMMON).status == "delivered"  # type: ignore[arg-type]
    for refused in (400, 403, 404, 410, 422, 501):
        assert outcome(refused, attempts=1, **COMMON) == Outcome("failed")  # type: ignore[arg-type]
    for again in (401, 408, 429, 500, 502, 503, None, 302):
        result = outcome(again, attempts=1, **COMMON)  # type: ignore[arg-type]
        assert result == Outcome("pending", NOW + timedelta(seconds=30)), again
    third = outcome(500, attempts=3, **COMMON)  # type: ignore[arg-type]
    assert third.next_attempt_at == NOW + timedelta(seconds=120)


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    slow = outcome(429, attempts=1, wait=600.0, **COMMON)  # type: ignore[arg-type]
    assert slow.next_attempt_at == NOW + timedelta(seconds=600)
    quick = outcome(503, attempts=1, wait=1.0, **COMMON)  # type: ignore[arg-type]
    assert quick.next_attempt_at == NOW + timedelta(seconds=30)


def test_no_retry_is_made_past_the_window() -> None:
    late = outcome(500, attempts=1, now=NOW, retry_until=NOW + timedelta(seconds=10),
                   first=30.0, draw=0.5)  # fmt: skip
    assert late == Outcome("failed")


def test_no_answer_and_5xx_count_against_the_host_other_answers_do_not() -> None:
    assert host_failed(None) and host_failed(500) and host_failed(503)
    assert not any(host_failed(s) for s in (202, 401, 404, 410, 429))


def test_a_host_is_unreachable_after_failures_in_a_row_and_backs_off() -> None:
    assert [host_wait(n, 30.0, 0.5) for n in range(UNREACHABLE_AFTER)] == [None] * UNREACHABLE_AFTER
    waits = [host_wait(UNREACHABLE_AFTER + n, 30.0, 0.5) for n in range(4)]
    assert waits == [30.0, 60.0, 120.0, 240.0]
