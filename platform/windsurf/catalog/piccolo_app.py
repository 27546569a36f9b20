import os

from piccolo.conf.apps import AppConfig

from windsurf.catalog.tables import Lead, Product, ProductFile

APP_CONFIG = AppConfig(
    app_name="catalog",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Product, ProductFile, Lead],
    migration_dependencies=[],
    commands=[],
)
