"""Blocked remote domains: the list admins manage, and whether a host falls under one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.federation import DomainBlocked, DomainUnblocked
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, tags


class DomainBlocksProjection(Projection):
    name = "domain_blocks"
    tables = ("domain_blocks",)
    event_types = tags(DomainBlocked, DomainUnblocked)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            match event.data:
                case DomainBlocked() as data:
                    await conn.execute(
                        "INSERT INTO domain_blocks (domain, reason, blocked_by, blocked_at,"
                        " position) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain) DO UPDATE"
                        " SET reason = $2, blocked_by = $3, blocked_at = $4, position = $5",
                        data.domain,
                        data.reason,
                        data.by,
                        event.recorded_at,
                        event.position,
                    )
                case DomainUnblocked():
                    domain = event.stream_id.removeprefix("domainblock-")
                    await conn.execute("DELETE FROM domain_blocks WHERE domain = $1", domain)


class DomainBlockView(msgspec.Struct, kw_only=True):
    domain: str
    reason: str
    blocked_by: str
    blocked_at: datetime


async def list_blocks(
    conn: asyncpg.Connection, cursor: str | None, limit: int
) -> Page[DomainBlockView]:
    """The blocks, newest first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        "SELECT domain, reason, blocked_by::text, blocked_at, position FROM domain_blocks"
        " WHERE position < $1 ORDER BY position DESC LIMIT $2",
        before,
        limit + 1,
    )
    return page(rows, limit, _view, lambda r: (r[4],))


def _view(r: asyncpg.Record) -> DomainBlockView:
    return DomainBlockView(domain=r[0], reason=r[1], blocked_by=r[2], blocked_at=r[3])


async def blocked(conn: asyncpg.Connection, host: str) -> str | None:
    """The block that keeps `host` (perhaps with a port) out: a block of it, of it with that
    port, or of a domain it is under."""
    return await conn.fetchval(
        "SELECT domain FROM domain_blocks WHERE domain = ANY($1::text[]) LIMIT 1",
        _candidates(host),
    )


async def blocked_hosts(conn: asyncpg.Connection, hosts: Collection[str]) -> dict[str, str]:
    """Those of `hosts` a block keeps out (as `blocked` says of each), each with the block, in
    one query."""
    pairs = [(host, domain) for host in hosts for domain in _candidates(host)]
    rows = await conn.fetch(
        "SELECT DISTINCT ON (c.host) c.host, b.domain"
        " FROM unnest($1::text[], $2::text[]) AS c(host, domain)"
        " JOIN domain_blocks b ON b.domain = c.domain",
        [host for host, _ in pairs],
        [domain for _, domain in pairs],
    )
    return {r[0]: r[1] for r in rows}


def _candidates(host: str) -> list[str]:
    """The blocks that would keep `host` out: itself (with its port, if any), and without the
    port, itself and every domain it is under."""
    name = host.lower()
    labels = name.rpartition(":")[0].split(".") if ":" in name else name.split(".")
    return [name, *(".".join(labels[i:]) for i in range(len(labels) - 1))]
