import os

from piccolo.conf.apps import AppConfig

from windsurf.stores.tables import Store, StoreLead

APP_CONFIG = AppConfig(
    app_name="stores",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Store, StoreLead],
    migration_dependencies=[],
    commands=[],
)
