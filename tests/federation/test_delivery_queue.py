"""The delivery queue in a real PostgreSQL, without HTTP: enqueueing is idempotent, claims keep
every host within its bound (one at a time when unreachable) however many claim at once, a
claim that lost its lease records nothing, hosts are marked and cleared, and deliveries whose
window ended fail and finished ones are forgotten."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from server.db import connect
from server.federation import delivery_queue as queue
from server.federation.delivery_queue import Attempt, NewActivity
from server.federation.delivery_rules import Outcome

LEASE = 60.0


def activity(id: str, hosts: dict[str, int]) -> NewActivity:
    """An activity for `n` inboxes on each host."""
    inboxes = [(f"https://{h}/users/{n}/inbox", h) for h, n_ in hosts.items() for n in range(n_)]
    return NewActivity(id, b'{"id": "%s"}' % id.encode(), "instance", "key", inboxes)


def never(failures: int) -> float | None:
    return None


def counted(claimed: list[queue.Claimed]) -> Counter[str]:
    return Counter(c.host for c in claimed)


async def test_enqueueing_again_adds_nothing(db: asyncpg.Connection) -> None:
    made = activity("https://here.example/a/1", {"a.example": 2, "b.example": 1})
    assert await queue.enqueue(db, [made], 60) == 3
    assert await queue.enqueue(db, [made, made], 60) == 0
    assert await db.fetchval("SELECT count(*) FROM federation_activities") == 1
    assert await db.fetchval("SELECT body FROM federation_activities") == made.body
    assert await queue.enqueue(db, [activity("https://here.example/a/2", {})], 60) == 0


async def test_a_claim_leaves_each_host_within_its_bound(db: asyncpg.Connection) -> None:
    await queue.enqueue(db, [activity("a1", {"a.example": 10, "b.example": 3})], 60)
    first = await queue.claim(db, 100, 2, LEASE)
    assert counted(first) == {"a.example": 2, "b.example": 2}
    assert await queue.claim(db, 100, 2, LEASE) == []  # both hosts are full
    assert {c.body for c in first} == {b'{"id": "a1"}'}
    done = next(c for c in first if c.host == "a.example")
    assert await queue.record(db, done, Attempt(202), Outcome("delivered"),
                              host_failed=False, host_wait=never)  # fmt: skip
    assert counted(await queue.claim(db, 100, 2, LEASE)) == {"a.example": 1}
    # A claim takes at most its limit, the longest due first.
    assert len(await queue.claim(db, 1, 10, LEASE)) == 1


async def test_an_unreachable_host_gets_one_delivery_at_a_time(db: asyncpg.Connection) -> None:
    await db.execute(
        "INSERT INTO federation_hosts VALUES ('down.example', 7, now() - interval '1 hour',"
        " now() - interval '1 second')"
    )
    await queue.enqueue(db, [activity("a1", {"down.example": 5, "up.example": 5})], 60)
    assert counted(await queue.claim(db, 100, 4, LEASE)) == {"down.example": 1, "up.example": 4}


async def test_an_unreachable_hosts_new_deliveries_wait_for_its_next_try(
    db: asyncpg.Connection,
) -> None:
    await db.execute(
        "INSERT INTO federation_hosts VALUES ('down.example', 7, now(), now() + interval '1 hour')"
    )
    await queue.enqueue(db, [activity("a1", {"down.example": 2, "up.example": 1})], 60)
    assert counted(await queue.claim(db, 100, 4, LEASE)) == {"up.example": 1}
    waits = await db.fetch(
        "SELECT d.next_attempt_at = h.next_try_at FROM federation_deliveries d"
        " JOIN federation_hosts h USING (host)"
    )
    assert [w[0] for w in waits] == [True, True]


@pytest.fixture
async def claimers(database_url: str) -> AsyncIterator[list[asyncpg.Connection]]:
    conns = [await connect(database_url, "learnwork-test") for _ in range(6)]
    yield conns
    for conn in conns:
        await conn.close()


async def test_claims_made_at_once_never_exceed_a_hosts_bound_together(
    db: asyncpg.Connection, claimers: list[asyncpg.Connection]
) -> None:
    hosts = {f"h{n}.example": 12 for n in range(8)}
    await queue.enqueue(db, [activity("a1", hosts), activity("a2", hosts)], 60)
    taken: list[queue.Claimed] = []
    for _ in range(5):  # rounds of six claims at once, nothing recorded meanwhile
        rounds = await asyncio.gather(*(queue.claim(c, 3, 3, LEASE) for c in claimers))
        taken += [c for claimed in rounds for c in claimed]
    assert len({c.id for c in taken}) == len(taken)  # nothing claimed twice
    assert counted(taken) == {h: 3 for h in hosts}  # the bound, reached and held


async def test_an_outcome_after_the_lease_passed_on_is_not_recorded(
    db: asyncpg.Connection,
) -> None:
    await queue.enqueue(db, [activity("a1", {"a.example": 1})], 60)
    [mine] = await queue.claim(db, 1, 4, LEASE)
    await db.execute("UPDATE federation_deliveries SET next_attempt_at = now()")  # lease ended
    [theirs] = await queue.claim(db, 1, 4, LEASE)
    assert theirs.id == mine.id and theirs.lease != mine.lease
    assert not await queue.record(db, mine, Attempt(500), Outcome("failed"),
                                  host_failed=True, host_wait=never)  # fmt: skip
    row = await db.fetchrow("SELECT status, attempts, lease FROM federation_deliveries")
    assert tuple(row) == ("pending", 0, theirs.lease)
    assert await db.fetchval("SELECT count(*) FROM federation_hosts") == 0


async def test_failures_in_a_row_mark_a_host_and_an_answer_clears_it(
    db: asyncpg.Connection,
) -> None:
    await queue.enqueue(db, [activity("a1", {"a.example": 6})], 60)
    claimed = await queue.claim(db, 3, 4, LEASE)
    later = datetime.now(UTC) + timedelta(seconds=5)

    def after_three(failures: int) -> float | None:
        return 3600.0 if failures >= 3 else None

    for delivery in claimed:
        assert await queue.record(db, delivery, Attempt(error="refused"),
                                  Outcome("pending", later), host_failed=True,
                                  host_wait=after_three)  # fmt: skip
    host = await db.fetchrow("SELECT * FROM federation_hosts")
    assert host["failures"] == 3 and host["unreachable_since"] is not None
    waiting = await db.fetch("SELECT next_attempt_at FROM federation_deliveries")
    assert {w[0] for w in waiting} == {host["next_try_at"]}  # all six wait for the host
    await db.execute(
        "UPDATE federation_deliveries SET next_attempt_at = now();"
        "UPDATE federation_hosts SET next_try_at = now()"
    )
    [probe] = await queue.claim(db, 10, 4, LEASE)
    assert await queue.record(db, probe, Attempt(202), Outcome("delivered"),
                              host_failed=False, host_wait=after_three)  # fmt: skip
    assert await db.fetchval("SELECT count(*) FROM federation_hosts") == 0
    assert len(await queue.claim(db, 10, 4, LEASE)) == 4


async def test_deliveries_past_their_window_fail_and_finished_ones_are_forgotten(
    db: asyncpg.Connection,
) -> None:
    await queue.enqueue(db, [activity("old", {"a.example": 2})], 60)
    await queue.enqueue(db, [activity("new", {"a.example": 2})], 60)
    [flying] = await queue.claim(db, 1, 4, LEASE)
    assert flying.body == b'{"id": "old"}'
    await db.execute("UPDATE federation_deliveries SET retry_until = now() - interval '1 second'"
                     " WHERE activity_id = 'old'")  # fmt: skip
    assert await queue.expire(db) == 1  # the other one; the one in flight is left to its sender
    failed = await db.fetchrow("SELECT * FROM federation_deliveries WHERE status = 'failed'")
    assert failed["last_error"] == queue.EXPIRED and failed["finished_at"] is not None
    await db.execute(
        "UPDATE federation_deliveries SET finished_at = now() - interval '8 days',"
        " status = 'delivered' WHERE activity_id = 'old';"
        "UPDATE federation_activities SET created_at = now() - interval '8 days'"
    )
    assert await queue.prune(db, 7) == 2
    assert [r[0] for r in await db.fetch("SELECT id FROM federation_activities")] == ["new"]
    assert await db.fetchval("SELECT count(*) FROM federation_deliveries") == 2
