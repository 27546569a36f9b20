import os

from piccolo.conf.apps import AppConfig

from windsurf.analytics.tables import (
    AnalyticsDaily,
    AnalyticsLogObject,
    AnalyticsLogPart,
    AnalyticsOrder,
    AnalyticsSalt,
    AnalyticsVisitor,
)

APP_CONFIG = AppConfig(
    app_name="analytics",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        AnalyticsDaily,
        AnalyticsVisitor,
        AnalyticsOrder,
        AnalyticsLogPart,
        AnalyticsSalt,
        AnalyticsLogObject,
    ],
    migration_dependencies=[],
    commands=[],
)
