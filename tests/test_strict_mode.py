"""WINDSURF_TEST_STRICT=1 turns an unreachable PostgreSQL or Redis into a failure; without it, a skip with
a reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = "tests/platform/identity/test_email_flows.py::test_log_in_issues_a_new_session_id"


def run_pytest(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("WINDSURF_")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", PROBE],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("variable", "unreachable", "service"),
    [
        ("WINDSURF_TEST_REDIS", "redis://127.0.0.1:1/0", "Redis"),
        ("WINDSURF_TEST_POSTGRES", "postgres://postgres@127.0.0.1:1/test", "PostgreSQL"),
    ],
)
def test_missing_service_skips_or_fails(variable: str, unreachable: str, service: str) -> None:
    relaxed = run_pytest(**{variable: unreachable})
    assert relaxed.returncode == 0, relaxed.stdout
    assert "skipped" in relaxed.stdout and f"{service} is not reachable" in relaxed.stdout
    assert " passed" not in relaxed.stdout or service == "PostgreSQL"  # SQLite still runs without PostgreSQL

    strict = run_pytest(**{variable: unreachable, "WINDSURF_TEST_STRICT": "1"})
    assert strict.returncode != 0
    assert (
        f"{service} is not reachable" in strict.stdout
        and "WINDSURF_TEST_STRICT=1 requires it" in strict.stdout
    )
