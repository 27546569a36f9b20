import os

from piccolo.conf.apps import AppConfig

from windsurf.checkout.tables import DiscountCode, Order, ProductSales, Refund

APP_CONFIG = AppConfig(
    app_name="checkout",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Order, DiscountCode, ProductSales, Refund],
    migration_dependencies=[],
    commands=[],
)
