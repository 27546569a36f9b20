import os

from piccolo.conf.apps import AppConfig

from windsurf.audience.tables import AudienceSettings, Broadcast, Contact, Delivery, SmsOptOut, Suppression

APP_CONFIG = AppConfig(
    app_name="audience",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Contact, Suppression, SmsOptOut, Broadcast, Delivery, AudienceSettings],
    migration_dependencies=[],
    commands=[],
)
