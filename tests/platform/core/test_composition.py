"""How the platform is put together: dependencies instead of look-ups, the face as a plugin, a quiet
piccolo_conf, and the import direction storefront -> windsurf."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp

from windsurf.app import create_app
from windsurf.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
PLATFORM = ROOT / "platform" / "windsurf"
STOREFRONT = ROOT / "storefront"


def _sources(*folders: Path) -> list[Path]:
    return sorted(
        path for folder in folders for path in folder.rglob("*.py") if "piccolo_migrations" not in path.parts
    )


def test_nothing_under_windsurf_imports_storefront() -> None:
    offenders = []
    for path in _sources(PLATFORM):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "storefront"]
    assert offenders == []


def test_no_handler_reads_the_application_state() -> None:
    """Handlers get what they need as dependencies. The one reader left is the exception handlers' way to the
    face's renderer (Litestar gives exception handlers no dependencies)."""
    reads = {
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources(PLATFORM, STOREFRONT)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.app\.state\b", line)
    }
    assert {read.rsplit(":", 1)[0] for read in reads} == {"platform/windsurf/core/web.py"}
    assert len(reads) == 1


def _run_python(code: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}", **environ}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)


def test_piccolo_conf_reads_no_environment_and_creates_nothing_at_import(tmp_path: Path) -> None:
    database = tmp_path / "not-yet" / "windsurf.sqlite"
    # A setting that would make Settings.from_env() fail: importing must not even read it.
    environ = {"WINDSURF_DATABASE_URL": f"sqlite:///{database}", "WINDSURF_WORKERS": "0"}
    imported = _run_python(
        "import sys, windsurf.piccolo_conf as conf; "
        "print(sorted(conf.APP_REGISTRY.app_configs)); print('windsurf.settings' in sys.modules)",
        environ,
    )
    assert imported.returncode == 0, imported.stderr
    apps, settings_loaded = imported.stdout.split("\n")[:2]
    assert {"identity", "stores", "catalog"} <= set(ast.literal_eval(apps))
    assert settings_loaded == "False"
    assert not database.parent.exists()
    # Piccolo's CLI asks for DB: only then are the settings read (and refused here).
    asked = _run_python("import windsurf.piccolo_conf as conf; conf.DB", environ)
    assert asked.returncode != 0 and "WINDSURF_WORKERS" in asked.stderr


def test_the_engine_module_does_not_import_piccolo_conf() -> None:
    result = _run_python(
        "import sys, windsurf.core.db as db; db.installed_apps(); print('windsurf.piccolo_conf' in sys.modules)",
        {},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


class BareFace:
    """A face with no pages at all: the platform runs its JSON API without the storefront."""

    locales_dir = ROOT / "storefront" / "locales"

    def __init__(self, objects: Any) -> None:
        self.objects = objects

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        return app_config

    def wrap_asgi(self, handler: ASGIApp) -> ASGIApp:
        return handler


async def test_the_face_is_the_plugin_the_setting_names(settings: Settings) -> None:
    # Builds although platform pages (the sandbox gateway's) ask for a renderer only a face provides.
    bare = create_app(Settings(**{**vars(settings), "face": f"{__name__}:BareFace"}))
    assert all(type(plugin).__name__ != "StorefrontPlugin" for plugin in bare.plugins)
    async with AsyncTestClient(app=bare) as client:
        assert (await client.get("/login")).status_code == 404
        me = await client.get("/api/v1/identity/me")
        assert me.status_code == 401 and me.headers["content-type"].startswith("application/problem+json")
    storefront: Litestar = create_app(settings)
    async with AsyncTestClient(app=storefront) as client:
        assert (await client.get("/login")).status_code == 200
