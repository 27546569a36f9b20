import os

from piccolo.conf.apps import AppConfig

from windsurf.payments.tables import PaymentAttempt, SandboxPayment, SandboxRefund

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SandboxPayment, SandboxRefund, PaymentAttempt],
    migration_dependencies=[],
    commands=[],
)
