"""Piccolo's configuration module (``PICCOLO_CONF=windsurf.piccolo_conf``).

The application binds its tables to an engine built from its settings (windsurf.core.db.bind); this module
exists for Piccolo's migration machinery and CLI (``piccolo migrations new identity --auto``), which look up
``DB`` and ``APP_REGISTRY`` here. ``windsurf migrate`` replaces ``DB`` with the migration engine before running.
"""

from piccolo.conf.apps import AppRegistry

from windsurf.core.db import create_engine
from windsurf.settings import Settings

DB = create_engine(Settings.from_env().effective_migration_database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "windsurf.core.piccolo_app",
        "windsurf.identity.piccolo_app",
        "windsurf.stores.piccolo_app",
        "windsurf.catalog.piccolo_app",
        "windsurf.checkout.piccolo_app",
        "windsurf.delivery.piccolo_app",
        "windsurf.payments.piccolo_app",
    ]
)
