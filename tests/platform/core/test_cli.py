"""The `windsurf` command: migrate and demo are safe to repeat; create-staff creates or promotes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import APP_ROLE

ROOT = Path(__file__).resolve().parents[3]


def windsurf(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
        "WINDSURF_LOG_LEVEL": "WARNING",
        "WINDSURF_LOG_JSON": "false",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "windsurf.cli", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"WINDSURF_VAR_DIR": str(tmp_path), "WINDSURF_SECRET_KEY": "k" * 40}


def test_migrate_twice_demo_twice_and_create_staff_on_sqlite(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    fresh = windsurf(env, "migrate")
    assert fresh.returncode == 0, fresh.stderr
    # A fresh database: the command names every migration it applied (each app's first one among them).
    assert re.search(r"^applied \d+ migrations:$", fresh.stdout, re.MULTILINE), fresh.stdout
    assert re.search(r"^  identity: \S+", fresh.stdout, re.MULTILINE), fresh.stdout
    assert re.search(r"^  stores: \S+", fresh.stdout, re.MULTILINE), fresh.stdout
    again = windsurf(env, "migrate")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "database is up to date: no migration to apply"
    outputs = [windsurf(env, "demo") for _ in range(2)]
    assert all(out.returncode == 0 for out in outputs), [out.stderr for out in outputs]
    assert outputs[0].stdout == outputs[1].stdout and "demo@windsurf.et" in outputs[0].stdout

    import sqlite3

    with sqlite3.connect(tmp_path / "windsurf.sqlite") as connection:
        assert connection.execute("SELECT count(*) FROM creator WHERE handle = 'demo'").fetchone() == (1,)

    staff = windsurf(env, "create-staff", "ops@windsurf.et", "--name", "Ops", stdin="a long staff password\n")
    assert staff.returncode == 0, staff.stderr
    assert "staff account ops@windsurf.et is ready" in staff.stdout
    again = windsurf(env, "create-staff", "OPS@windsurf.et", stdin="another long password\n")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(tmp_path / "windsurf.sqlite") as connection:
        rows = connection.execute("SELECT is_staff FROM creator WHERE email = 'ops@windsurf.et'").fetchall()
    assert rows == [(1,)]
    # The demo creator can be promoted too (existing account, new password).
    assert windsurf(env, "create-staff", "demo@windsurf.et", stdin="demo staff password\n").returncode == 0

    bad = windsurf(env, "create-staff", "not-an-email", stdin="short\n")
    assert bad.returncode == 2
    assert "email: Enter a valid email address" in bad.stderr and "password: Use at least 8" in bad.stderr


async def test_migrate_twice_on_postgres_keeps_the_security_model(postgres_urls: dict[str, str]) -> None:
    env = {
        "WINDSURF_DATABASE_URL": postgres_urls["app"],
        "WINDSURF_MIGRATION_DATABASE_URL": postgres_urls["owner"],
        "WINDSURF_SECRET_KEY": "k" * 40,
    }
    for _ in range(2):
        result = windsurf(env, "migrate")
        assert result.returncode == 0, result.stderr
    demo = [windsurf(env, "demo") for _ in range(2)]
    assert all(out.returncode == 0 for out in demo), [out.stderr for out in demo]
    connection = await asyncpg.connect(postgres_urls["owner"])
    try:
        assert await connection.fetchval("SELECT count(*) FROM creator WHERE handle = 'demo'") == 1
        assert not await connection.fetchval("SELECT rolbypassrls FROM pg_roles WHERE rolname = $1", APP_ROLE)
        policies = await connection.fetchval("SELECT count(*) FROM pg_policies WHERE tablename = 'sign_in'")
        assert policies == 1
    finally:
        await connection.close()


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = windsurf(sqlite_env(tmp_path), "fly")
    assert result.returncode == 2 and "invalid choice" in result.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_long_running_commands_are_documented(tmp_path: Path, command: str) -> None:
    result = windsurf(sqlite_env(tmp_path), command, "--help")
    assert result.returncode == 0 and "usage: windsurf" in result.stdout
