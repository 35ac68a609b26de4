"""The `learnwork` command: serve, migrate, projections, admin, seed, schemas."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import getpass
import json
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from aiohttp import web

from server.app import create_app
from server.commands import accounts
from server.commands.context import Commands
from server.config import Settings, SettingsError, describe_settings, load_settings
from server.db import connect, create_pool, embedded_postgres
from server.domain.errors import DomainError
from server.events.store import EventStore
from server.events.types import REGISTRY
from server.migrations import migrate
from server.progress import ProgressLine
from server.projections.catalog import all_projections
from server.projections.rebuild import RebuildRunning, rebuild
from server.projections.runner import ProjectionRunner
from server.seed.run import DEMO_PASSWORD, SeedOptions, SeedRefused, seed

log = logging.getLogger("learnwork")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "schemas":
        return _schemas(Path(args.out), check=args.check)
    try:
        settings = load_settings(args.config, host=args.host, port=args.port)
    except SettingsError as exc:
        print(f"learnwork: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "admin":
        password = _read_password(args)
        if password is None:
            return 2
    with _database(settings) as url:
        if args.command == "migrate":
            asyncio.run(_migrate(url))
        elif args.command == "admin":
            return asyncio.run(_create_user(url, args, password))
        elif args.command == "seed":
            return asyncio.run(_seed(settings, url, args))
        elif args.command == "projections" and args.projections_command == "rebuild":
            return asyncio.run(_rebuild(url, args.name))
        elif args.command == "projections" and args.projections_command == "status":
            return asyncio.run(_projections_status(url, as_json=args.json))
        elif args.command == "projections":
            asyncio.run(_run_projections(settings, url))
        else:
            asyncio.run(_serve(settings, url))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="learnwork", description="Learnwork server")
    commands = parser.add_subparsers(dest="command", required=True)
    config_help = "TOML file of settings (keys as below, lower case, without the prefix)"
    serve = commands.add_parser(
        "serve",
        help="run the server (migrates the database first)",
        description="Run the Learnwork server. Settings come from environment variables, over "
        "an optional TOML file (--config or LEARNWORK_CONFIG).",
        epilog="settings (environment variables):\n" + describe_settings(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", help=config_help)
    serve.add_argument("--host", help="address to listen on (overrides LEARNWORK_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (overrides LEARNWORK_PORT)")
    migrate_cmd = commands.add_parser("migrate", help="apply pending database migrations and exit")
    migrate_cmd.add_argument("--config", help=config_help)
    migrate_cmd.set_defaults(host=None, port=None)
    projections = commands.add_parser("projections", help="the read models")
    projection_commands = projections.add_subparsers(dest="projections_command", required=True)
    run = projection_commands.add_parser(
        "run",
        help="keep the read models up to date, without serving HTTP",
        description="Run the projections in a process of their own, for API processes started "
        "with LEARNWORK_PROJECTIONS=false. Any number may run: each projection is applied by "
        "one process at a time (the others stand by).",
    )
    run.add_argument("--config", help=config_help)
    run.set_defaults(host=None, port=None)
    status = projection_commands.add_parser(
        "status",
        help="where each read model is, and what it has left to apply",
        description="Each projection's recorded position, how many events of the types it reads "
        "it has left to apply (lag) and how old the oldest of them is, whether a process runs "
        "it, and where it stopped if an event failed. Exits with 1 when one has stopped.",
    )
    status.add_argument("--json", action="store_true", help="one JSON object per projection")
    rebuild_cmd = projection_commands.add_parser(
        "rebuild",
        help="rebuild a read model from the log while the old one keeps serving, then swap",
        description="Build the projection NAME anew from position 0 into tables beside the "
        "live ones, which keep serving and keep being updated; then swap them in one "
        "transaction. Safe while servers run. An interrupted rebuild resumes when run again.",
    )
    rebuild_cmd.add_argument("name", choices=[p.name for p in all_projections()])
    rebuild_cmd.add_argument("--config", help=config_help)
    rebuild_cmd.set_defaults(host=None, port=None)
    status.add_argument("--config", help=config_help)
    status.set_defaults(host=None, port=None)
    admin = commands.add_parser("admin", help="administration tasks")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create_user = admin_commands.add_parser(
        "create-user",
        help="create a member (e.g. the first admin), whatever the registration policy",
        description="Create a member. The password is read from standard input when it is not "
        "a terminal (e.g. `echo $PW | learnwork admin create-user …`), else asked for.",
    )
    create_user.add_argument("handle")
    create_user.add_argument("--display-name", help="default: the handle")
    create_user.add_argument("--admin", action="store_true", help="make the member an admin")
    create_user.add_argument("--config", help=config_help)
    create_user.set_defaults(host=None, port=None)
    seed_cmd = commands.add_parser(
        "seed",
        help="fill a fresh instance with a generated learning network (demos, benchmarks)",
        description="Fill a fresh instance (its event log must be empty) with a realistic "
        "learning network: members, communities, posts, artefacts, paths, learners and "
        "endorsements, decided by the same rules as the API and dated over the last DAYS days. "
        f"Every seeded member's password is {DEMO_PASSWORD!r}. The read models catch up when "
        "`learnwork serve` or `learnwork projections run` starts.",
    )
    seed_cmd.add_argument("--members", type=int, required=True, help="members to register")
    seed_cmd.add_argument("--communities", type=int, required=True, help="communities to found")
    seed_cmd.add_argument(
        "--events", type=int, required=True, help="events to write (the last command may add 2)"
    )
    seed_cmd.add_argument("--days", type=float, default=365.0, help="days of history (365)")
    seed_cmd.add_argument(
        "--random-seed", type=int, default=1, help="the same seed makes the same network (1)"
    )
    seed_cmd.add_argument("--config", help=config_help)
    seed_cmd.set_defaults(host=None, port=None)
    schemas = commands.add_parser("schemas", help="write the JSON Schema of every event type")
    schemas.add_argument("--out", default="schemas/events", help="folder to write into")
    schemas.add_argument(
        "--check", action="store_true", help="only report whether the folder is up to date"
    )
    return parser


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[str]:
    if settings.database_url:
        yield settings.database_url
        return
    log.info("no LEARNWORK_DATABASE_URL: starting the embedded PostgreSQL in %s", settings.data_dir)
    with embedded_postgres(settings.data_dir) as url:
        yield url
    log.info("embedded PostgreSQL stopped")


async def _migrate(url: str) -> None:
    conn = await connect(url, "learnwork-migrate")
    try:
        applied = await migrate(conn)
    finally:
        await conn.close()
    log.info("applied %d migration(s)", len(applied))


GC_THRESHOLDS = (10_000, 50, 100)
"""The cyclic garbage collector's thresholds in a serving process (Python's are 700, 10, 10).
A process with thousands of open event streams holds ~100 objects per connection, and a full
collection walks them all: 300-400 ms with 5,000 streams, which the default thresholds set off
every ~7 s under 500 events/s, holding every stream up (bench/streams.py: p99 latency 317 ms,
and 52 ms with these)."""


def _tune_collector() -> None:
    gc.freeze()  # what a started server holds (modules, settings, pools) lives as long as it
    gc.set_threshold(*GC_THRESHOLDS)


async def _serve(settings: Settings, url: str) -> None:
    runner = web.AppRunner(create_app(settings, url), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        listening = ", ".join(_url(address) for address in runner.addresses)
        public = settings.base_url if settings.public_url else listening.split(", ")[0]
        _tune_collector()
        log.info("Learnwork is ready at %s (listening on %s)", public, listening)
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()


async def _run_projections(settings: Settings, url: str) -> None:
    await _migrate(url)
    store = await EventStore.open(url, REGISTRY, pool_size=settings.db_pool_size)
    runner = ProjectionRunner(store, url, all_projections(), poll_interval=0.5)
    try:
        runner.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        log.info("projections running: %s", ", ".join(runner.projections))
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.close()
        await store.close()


async def _rebuild(url: str, name: str) -> int:
    await _migrate(url)
    [projection] = [p for p in all_projections() if p.name == name]
    bar = ProgressLine(sys.stderr, f"rebuilding {name}")
    try:
        done = await rebuild(url, REGISTRY, projection, bar.update)
    except RebuildRunning as exc:
        print(f"learnwork: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.finish()
    print(
        f"rebuilt {done.name} up to position {done.position:,} in {done.seconds:,.1f} s"
        f" ({done.position / max(done.seconds, 1e-9):,.0f} events/s)"
    )
    return 0


async def _projections_status(url: str, *, as_json: bool) -> int:
    pool = await create_pool(url, size=1)
    try:
        statuses = await ProjectionRunner(
            EventStore(pool, REGISTRY, url=url), url, all_projections()
        ).status()
    except asyncpg.UndefinedTableError:
        print("learnwork: the database has no Learnwork tables yet: run `learnwork migrate`")
        return 2
    finally:
        await pool.close()
    if as_json:
        for status in statuses:
            print(json.dumps(dataclasses.asdict(status)))
    else:
        print(f"{'projection':<14} {'position':>10} {'lag':>8} {'behind':>9}  state")
        for s in statuses:
            if s.failed_position is not None:
                state = f"STOPPED at position {s.failed_position}: {s.error}"
            else:
                state = "running" if s.running else "not running"
            behind = f"{s.lag_seconds:,.1f} s"
            print(f"{s.name:<14} {s.position:>10,} {s.lag:>8,} {behind:>9}  {state}")
    return 1 if any(s.failed_position is not None for s in statuses) else 0


def _read_password(args: argparse.Namespace) -> str | None:
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("learnwork: the passwords differ", file=sys.stderr)
            return None
        return password
    return sys.stdin.readline().rstrip("\n")


async def _create_user(url: str, args: argparse.Namespace, password: str) -> int:
    conn = await connect(url, "learnwork-migrate")
    try:
        await migrate(conn)
    finally:
        await conn.close()
    store = await EventStore.open(url, REGISTRY, pool_size=2)
    try:
        cx = Commands.over(store)
        done = await accounts.register(
            cx,
            handle=args.handle,
            display_name=args.display_name or args.handle,
            password=password,
            admin=args.admin,
        )
    except DomainError as exc:
        print(f"learnwork: {exc.field or 'error'}: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    role = "admin" if args.admin else "member"
    print(f"created {role} @{done.member.handle} ({done.member.id})")
    return 0


async def _seed(settings: Settings, url: str, args: argparse.Namespace) -> int:
    await _migrate(url)
    options = SeedOptions(
        members=args.members,
        communities=args.communities,
        events=args.events,
        days=args.days,
        random_seed=args.random_seed,
    )
    try:
        summary = await seed(
            url, options, max_event_bytes=settings.max_event_bytes, progress=sys.stderr
        )
    except SeedRefused as exc:
        print(f"learnwork: {exc}", file=sys.stderr)
        return 2
    print(summary.line())
    return 0


def _url(address: object) -> str:
    host, port = address[0], address[1]  # type: ignore[index]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _schemas(out: Path, *, check: bool) -> int:
    wanted = {
        f"{name}.json": json.dumps(schema, indent=2, sort_keys=True) + "\n"
        for name, schema in REGISTRY.json_schemas().items()
    }
    present = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.json")}
    if check:
        stale = sorted(n for n in wanted.keys() | present.keys() if wanted.get(n) != present.get(n))
        for name in stale:
            print(f"stale: {out / name}", file=sys.stderr)
        return 1 if stale else 0
    out.mkdir(parents=True, exist_ok=True)
    for name in present.keys() - wanted.keys():
        (out / name).unlink()
    for name, text in wanted.items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} schema(s) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
