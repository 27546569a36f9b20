import os

from piccolo.conf.apps import AppConfig

from windsurf.delivery.tables import Grant, GrantFile, LibraryLink

APP_CONFIG = AppConfig(
    app_name="delivery",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Grant, GrantFile, LibraryLink],
    migration_dependencies=[],
    commands=[],
)
