"""The application's dependency providers: what page and API handlers receive instead of looking things up.

``create_app`` builds the long-lived objects once (settings, storage, caches, sessions, the rate limiter) and
hands them to ``platform_dependencies``; handlers then name what they need as parameters. Per request there is
one unit of work (``uow``), the ``viewer`` (the logged-in account or None), the ``account`` (401 when nobody is
logged in) and the ``tenant`` that account's creator-owned rows are reached through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import SkipValidation

from windsurf.core.pagecache import PageCache
from windsurf.core.ratelimit import RateLimiter
from windsurf.core.storage import ObjectStorage
from windsurf.core.uow import Tenant, UnitOfWork, provide_uow
from windsurf.core.web import Renderer
from windsurf.identity.auth import provide_account, provide_tenant, provide_viewer
from windsurf.identity.service import Account
from windsurf.identity.sessions import SessionManager
from windsurf.payments.providers.registry import Providers
from windsurf.settings import Settings

# What a handler names to receive each dependency. They are our own objects, handed over as they are: nothing
# to validate (and a Protocol such as ObjectStorage could not be checked anyway).
SettingsDep = NamedDependency[SkipValidation[Settings]]
StorageDep = NamedDependency[SkipValidation[ObjectStorage]]
PageCacheDep = NamedDependency[SkipValidation[PageCache]]
SessionsDep = NamedDependency[SkipValidation[SessionManager]]
RateLimiterDep = NamedDependency[SkipValidation[RateLimiter]]
ProvidersDep = NamedDependency[SkipValidation[Providers]]
RendererDep = NamedDependency[SkipValidation[Renderer]]
UowDep = NamedDependency[SkipValidation[UnitOfWork]]
TenantDep = NamedDependency[SkipValidation[Tenant]]
AccountDep = NamedDependency[SkipValidation[Account]]
ViewerDep = NamedDependency[SkipValidation[Account | None]]


@dataclass(frozen=True)
class PlatformObjects:
    """The long-lived objects one application shares between its requests (and hands a face plugin)."""

    settings: Settings
    storage: ObjectStorage
    page_cache: PageCache
    sessions: SessionManager
    rate_limiter: RateLimiter
    payment_providers: Providers


def _constant(value: Any) -> Provide:
    def provide() -> Any:
        return value

    return Provide(provide, use_cache=True, sync_to_thread=False)


def _no_face() -> Renderer:
    """The renderer of a process without an HTML face: its pages are not there (the face provides its own)."""
    raise NotFoundException()


def platform_dependencies(objects: PlatformObjects) -> dict[str, Provide]:
    return {
        "renderer": Provide(_no_face, sync_to_thread=False),
        "settings": _constant(objects.settings),
        "storage": _constant(objects.storage),
        "page_cache": _constant(objects.page_cache),
        "sessions": _constant(objects.sessions),
        "rate_limiter": _constant(objects.rate_limiter),
        "payment_providers": _constant(objects.payment_providers),
        "uow": Provide(provide_uow),
        "viewer": Provide(provide_viewer),
        "account": Provide(provide_account),
        "tenant": Provide(provide_tenant),
    }
