"""A rendered page is found by (handle, slug, locale): the unique index behind the buyer's one query."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T08:11:53:000000"
VERSION = "1.38.0"
DESCRIPTION = "rendered page key"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_index():
        from windsurf.core.tables import RenderedPage

        await RenderedPage.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS rendered_page_key ON rendered_page (handle, slug, locale)"
        )

    async def drop_index():
        from windsurf.core.tables import RenderedPage

        await RenderedPage.raw("DROP INDEX IF EXISTS rendered_page_key")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
