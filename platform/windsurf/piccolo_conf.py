"""Piccolo's configuration module (``PICCOLO_CONF=windsurf.piccolo_conf``).

The application binds its tables to an engine built from its settings (windsurf.core.db.bind); this module
exists for Piccolo's migration machinery and CLI (``piccolo migrations new identity --auto``), which look up
``DB`` and ``APP_REGISTRY`` here. Importing it reads no environment and creates nothing: ``DB`` is built from the
settings on first access, and ``windsurf migrate`` sets it to the migration engine before running.
"""

from typing import Any

from windsurf.apps import APP_REGISTRY  # noqa: F401 - Piccolo looks it up here


def __getattr__(name: str) -> Any:
    if name == "DB":
        from windsurf.core.db import create_engine
        from windsurf.settings import Settings

        engine = create_engine(Settings.from_env().effective_migration_database_url)
        globals()["DB"] = engine
        return engine
    raise AttributeError(name)
