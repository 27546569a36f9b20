"""``windsurf``: serve the platform, migrate the database, seed the demo store, run jobs, create staff."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from windsurf.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="windsurf", description="Stan Store Windsurf platform")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the platform with the granian ASGI server")
    serve.add_argument("--host", help="address to bind (default WINDSURF_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default WINDSURF_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default WINDSURF_WORKERS or 1)")
    commands.add_parser("migrate", help="apply database migrations and row-level security (idempotent)")
    commands.add_parser("demo", help="create or refresh the demo creator @demo (idempotent)")
    commands.add_parser("worker", help="run background jobs until stopped")
    staff = commands.add_parser("create-staff", help="create a staff account (or promote an existing one)")
    staff.add_argument("email")
    staff.add_argument("--name", default="Staff")
    flags = commands.add_parser("flags", help="list or set feature flags")
    flag_commands = flags.add_subparsers(dest="flags_command", required=True)
    flag_commands.add_parser("list", help="every flag, whether it is on, and for which creators")
    flag_set = flag_commands.add_parser("set", help="turn a flag on or off (for everyone or some creators)")
    flag_set.add_argument("name")
    flag_set.add_argument("state", choices=("on", "off"))
    flag_set.add_argument("--creators", default="", help="creator ids it is on for while off for everyone")
    flag_set.add_argument("--description")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"windsurf: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.workers)
    if args.command == "migrate":
        from windsurf.core.migrate import migrate

        applied = asyncio.run(migrate(settings))
        print(migrate_report(applied))
        return 0
    if args.command == "demo" and settings.is_production:
        # The demo login's password is published in the README: it must never exist on a real platform.
        print("windsurf: refusing to create the demo store in production", file=sys.stderr)
        return 2
    if args.command == "demo":
        from windsurf.demo import seed_demo

        print(asyncio.run(seed_demo(settings)))
        return 0
    if args.command == "worker":
        return _worker(settings)
    if args.command == "create-staff":
        # From a terminal ask without echo; from a pipe (scripts, CI secrets) read the first line.
        if sys.stdin.isatty():
            password = getpass.getpass("Password for the staff account: ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        return asyncio.run(_create_staff(settings, args.email, password, args.name))
    if args.command == "flags":
        return asyncio.run(_flags(settings, args))
    return 2


def migrate_report(applied: Sequence[str]) -> str:
    """What ``windsurf migrate`` did, for the person who ran it: each migration applied, or that none was needed."""
    if not applied:
        return "database is up to date: no migration to apply"
    lines = [f"applied {len(applied)} migration{'s' if len(applied) != 1 else ''}:"]
    lines += [f"  {name}" for name in applied]
    lines.append("database is up to date")
    return "\n".join(lines)


def _serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> int:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    from windsurf.core.logging import dict_config

    Granian(
        "windsurf.app:create_app",
        factory=True,
        address=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,  # libuv's event loop: the cached store page answers about 15 % more requests
        log_access=False,  # the app writes its own JSON access log with request ids
        log_dictconfig=dict_config(settings.log_level, json_lines=settings.log_json),
    ).serve()
    return 0


# The worker serves no HTTP: it touches this file while its event loop runs, and Kubernetes' exec probes
# (components/manifests.py) check its age. Written only once the database pool is up, so it also means "ready".
WORKER_HEARTBEAT = "windsurf-worker-heartbeat"
HEARTBEAT_SECONDS = 10


def heartbeat_path() -> Path:
    return Path(tempfile.gettempdir()) / WORKER_HEARTBEAT


async def _heartbeat() -> None:
    path = heartbeat_path()
    while True:
        path.touch()
        await asyncio.sleep(HEARTBEAT_SECONDS)


def _worker(settings: Settings) -> int:
    from windsurf.app import create_app
    from windsurf.core import db, jobs

    app = create_app(settings)

    async def run() -> None:
        await db.start_pool(db.bound_engine(), settings.database_pool_size)
        beat = asyncio.create_task(_heartbeat())
        try:
            await jobs.work_forever(app.state.jobs)
        finally:
            beat.cancel()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


async def _create_staff(settings: Settings, email: str, password: str, name: str) -> int:
    from windsurf.core import db
    from windsurf.core.errors import InvalidInput
    from windsurf.core.uow import unit_of_work
    from windsurf.identity import service

    db.bind(db.create_engine(settings.effective_database_url))
    try:
        async with unit_of_work() as uow:
            account = await service.create_staff(uow, email=email, password=password, display_name=name)
    except InvalidInput as exc:
        for field, message in exc.errors.items():
            print(f"windsurf: {field}: {message}", file=sys.stderr)
        return 2
    print(f"staff account {account.email} is ready")
    return 0


async def _flags(settings: Settings, args: argparse.Namespace) -> int:
    import getpass as _getpass

    from windsurf.core import db
    from windsurf.core.errors import ServiceError
    from windsurf.core.uow import unit_of_work
    from windsurf.flags import service

    db.bind(db.create_engine(settings.effective_database_url))
    try:
        async with unit_of_work() as uow:
            if args.flags_command == "set":
                await service.set_flag(
                    uow,
                    args.name,
                    enabled=args.state == "on",
                    creators=service.parse_creators(args.creators),
                    description=args.description,
                    changed_by=f"cli:{_getpass.getuser()}",
                )
            flags = await service.list_flags(uow)
    except ServiceError as exc:
        print(f"windsurf: {exc.message}", file=sys.stderr)
        return 2
    for flag in flags:
        state = "on" if flag.enabled else ("creators" if flag.creators else "off")
        creators = ",".join(str(c) for c in flag.creators)
        print(f"{flag.name}\t{state}\t{creators}\t{flag.description}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
