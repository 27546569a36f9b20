"""Analytics uniqueness as composite unique indexes: what the counters' upserts conflict on."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T13:25:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "one rollup row per day, product, source and device; one hash per visitor and day"

INDEXES = {
    "analytics_daily_key": "analytics_daily (creator_id, day, product, source, device)",
    "analytics_visitor_key": "analytics_visitor (creator_id, day, hash)",
    "analytics_log_part_key": "analytics_log_part (creator_id, object_key)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="analytics", description=DESCRIPTION)

    async def create_indexes():
        from windsurf.analytics.tables import AnalyticsDaily

        for name, target in INDEXES.items():
            await AnalyticsDaily.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        from windsurf.analytics.tables import AnalyticsDaily

        for name in INDEXES:
            await AnalyticsDaily.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
