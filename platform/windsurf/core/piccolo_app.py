import os

from piccolo.conf.apps import AppConfig

from windsurf.core.tables import Job, RenderedPage

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Job, RenderedPage],
    migration_dependencies=[],
    commands=[],
)
