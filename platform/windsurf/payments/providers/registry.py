"""Builds the enabled provider adapters from settings (``WINDSURF_PAYMENT_PROVIDERS`` and the keys)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from windsurf.payments.providers.base import ErrorCode, PaymentError, PaymentProvider
from windsurf.payments.providers.chapa import ChapaProvider
from windsurf.payments.providers.http import ProviderHttp
from windsurf.payments.providers.sandbox import SandboxProvider
from windsurf.payments.providers.telebirr import TelebirrProvider
from windsurf.payments.providers.webirr import WebirrProvider
from windsurf.settings import Settings


class Providers:
    """The enabled adapters by name; ``get`` refuses a disabled one with ``provider_misconfigured``."""

    def __init__(self, providers: dict[str, PaymentProvider]) -> None:
        self._providers = providers

    def get(self, name: str) -> PaymentProvider:
        provider = self._providers.get(name)
        if provider is None:
            raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, name, "provider is not enabled")
        return provider

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def __iter__(self) -> Iterator[str]:
        return iter(self._providers)

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()


def fee_rates(settings: Settings) -> dict[str, int]:
    """Each provider's fee in hundredths of a percent of the amount paid, as its contract states it; the sandbox
    gateway keeps nothing. A provider added to ``build_provider`` gets its rate here too."""
    return {
        "sandbox": 0,
        "chapa": settings.chapa_fee_bps,
        "telebirr": settings.telebirr_fee_bps,
        "webirr": settings.webirr_fee_bps,
    }


def build_provider(
    name: str, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> PaymentProvider:
    """One adapter; ``transport`` replaces the network (a test's ASGI transport to the app's own gateway)."""

    def http(base_url: str) -> ProviderHttp:
        return ProviderHttp(
            name,
            base_url,
            timeout=settings.payment_timeout_seconds,
            retries=settings.payment_retries,
            backoff=settings.payment_retry_backoff_seconds,
            transport=transport,
        )

    if name == "sandbox":
        return SandboxProvider(http(settings.effective_sandbox_url), settings.effective_sandbox_secret)
    if name == "chapa":
        return ChapaProvider(
            http(settings.chapa_base_url), settings.chapa_secret_key, settings.chapa_webhook_secret
        )
    if name == "telebirr":
        return TelebirrProvider(
            http(settings.telebirr_base_url),
            web_base_url=settings.telebirr_web_base_url,
            fabric_app_id=settings.telebirr_fabric_app_id,
            app_secret=settings.telebirr_app_secret,
            merchant_app_id=settings.telebirr_merchant_app_id,
            merchant_code=settings.telebirr_merchant_code,
            private_key_pem=settings.telebirr_private_key,
            public_key_pem=settings.telebirr_public_key,
        )
    if name == "webirr":
        return WebirrProvider(
            http(settings.webirr_base_url),
            api_key=settings.webirr_api_key,
            merchant_id=settings.webirr_merchant_id,
            webhook_key=settings.webirr_webhook_key,
        )
    raise PaymentError(ErrorCode.PROVIDER_MISCONFIGURED, name, "unknown provider")


def build_providers(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Providers:
    return Providers(
        {name: build_provider(name, settings, transport=transport) for name in settings.payment_providers}
    )
