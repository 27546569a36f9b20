"""The HTML face: a Litestar plugin named by a dotted path (``WINDSURF_FACE``), as Django's INSTALLED_APPS.

The platform never imports its face; it loads the class the setting names and gives it the objects it shares
(``PlatformObjects``). A face brings its pages, templates, static files and translations, and may put an ASGI
fast path in front of the whole application (``wrap_asgi``), as the storefront does for cached store pages.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp

if TYPE_CHECKING:
    from windsurf.dependencies import PlatformObjects


class Face(InitPluginProtocol, Protocol):
    locales_dir: Path  # the translations the platform's own messages (SMS, email) use too

    def wrap_asgi(self, handler: ASGIApp) -> ASGIApp:
        """The application's ASGI handler, or a fast path in front of it."""
        ...


class FaceFactory(Protocol):
    def __call__(self, objects: PlatformObjects) -> Face: ...


def load_face(dotted_path: str) -> FaceFactory:
    """``package.module:Name`` (or ``package.module.Name``) -> the face plugin class."""
    module_name, _, attribute = (
        dotted_path.partition(":") if ":" in dotted_path else dotted_path.rpartition(".")
    )
    if not module_name or not attribute:
        raise ValueError(f"WINDSURF_FACE must look like package.module:Plugin, not {dotted_path!r}")
    factory: FaceFactory = getattr(importlib.import_module(module_name), attribute)
    return factory
