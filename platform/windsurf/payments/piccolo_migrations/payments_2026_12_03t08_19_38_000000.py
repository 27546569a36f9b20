"""A provider's reference names one attempt: ``(provider, reference)`` is unique."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T08:19:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "one attempt per provider reference"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create_index():
        from windsurf.payments.tables import PaymentAttempt

        await PaymentAttempt.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS payment_attempt_provider_reference_key "
            "ON payment_attempt (provider, reference)"
        )

    async def drop_index():
        from windsurf.payments.tables import PaymentAttempt

        await PaymentAttempt.raw("DROP INDEX IF EXISTS payment_attempt_provider_reference_key")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
