import os

from piccolo.conf.apps import AppConfig

from windsurf.ledger.tables import (
    LedgerBook,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutDestination,
    PayoutEvent,
)

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[LedgerBook, LedgerTransaction, LedgerEntry, PayoutDestination, Payout, PayoutEvent],
    migration_dependencies=[],
    commands=[],
)
