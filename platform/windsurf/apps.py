"""The platform's Piccolo apps, one per domain: the registry the engine binding and migrations share.

It lives here rather than in ``piccolo_conf`` so that ``core.db`` and ``piccolo_conf`` never import each other.
"""

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(
    apps=[
        "windsurf.core.piccolo_app",
        "windsurf.identity.piccolo_app",
        "windsurf.stores.piccolo_app",
        "windsurf.catalog.piccolo_app",
        "windsurf.checkout.piccolo_app",
        "windsurf.delivery.piccolo_app",
        "windsurf.payments.piccolo_app",
        "windsurf.ledger.piccolo_app",
        "windsurf.audience.piccolo_app",
        "windsurf.analytics.piccolo_app",
        "windsurf.flags.piccolo_app",
    ]
)
