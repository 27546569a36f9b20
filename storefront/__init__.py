"""The HTML face of the platform: page controllers, Jinja2 templates, static files and translations."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
LOCALES_DIR = HERE / "locales"
HTMX_VERSION = "2.0.11"
HTMX_PATH = f"/static/vendor/htmx-{HTMX_VERSION}.min.js"


def static_router() -> Router:
    """Static files; every file name that carries a version may be cached for a year without revalidation."""
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(public=True, max_age=31536000, immutable=True),
        include_in_schema=False,
    )
