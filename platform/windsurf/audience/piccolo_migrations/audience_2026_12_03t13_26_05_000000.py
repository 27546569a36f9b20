"""The audience's uniqueness rules as composite unique indexes (Piccolo has no column option for them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from windsurf.core.schema import run_sql

ID = "2026-12-03T13:26:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "one contact per email and per phone, one delivery per broadcast and contact, one opt-out each"

INDEXES = {
    "audience_contact_email_key": "audience_contact (creator_id, email)",
    "audience_contact_phone_key": "audience_contact (creator_id, phone)",
    "audience_delivery_recipient_key": "audience_delivery (broadcast_id, contact_id)",
    "audience_suppression_key": "audience_suppression (creator_id, channel, digest)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audience", description=DESCRIPTION)

    async def create_indexes():
        await run_sql(*(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {target}" for name, target in INDEXES.items()))
        await run_sql(
            "CREATE INDEX IF NOT EXISTS audience_delivery_pending ON audience_delivery (broadcast_id, state)"
        )

    async def drop_indexes():
        await run_sql(*(f"DROP INDEX IF EXISTS {name}" for name in [*INDEXES, "audience_delivery_pending"]))

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
