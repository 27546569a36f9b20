import os

from piccolo.conf.apps import AppConfig

from windsurf.identity.tables import Creator, PasswordReset, PhoneCode, RetiredHandle, SignIn

APP_CONFIG = AppConfig(
    app_name="identity",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Creator, PhoneCode, PasswordReset, SignIn, RetiredHandle],
    migration_dependencies=[],
    commands=[],
)
