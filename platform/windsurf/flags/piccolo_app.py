import os

from piccolo.conf.apps import AppConfig

from windsurf.flags.tables import Flag

APP_CONFIG = AppConfig(
    app_name="flags",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Flag],
    migration_dependencies=[],
    commands=[],
)
