"""Fixtures for the provider adapters: each fake provider served on loopback, and an adapter pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.platform.payments.fakes import FakeChapa, FakeTelebirr, FakeWebirr, private_pem, public_pem
from windsurf.payments.providers.base import PaymentProvider, PaymentRequest
from windsurf.payments.providers.registry import build_provider


def provider_settings(name: str, **overrides: Any) -> Any:
    # A short timeout (the stalled-provider tests wait for it, so it is short; long enough for a busy machine to
    # accept a loopback connection) and a tiny backoff keep the tests quick.
    values: dict[str, Any] = {
        "payment_providers": (name,),
        "payment_timeout_seconds": 2.0,
        "payment_retries": 2,
        "payment_retry_backoff_seconds": 0.001,
    }
    return make_settings(**(values | overrides))


def payment_request(reference: str, amount: int = 12345, **overrides: Any) -> PaymentRequest:
    values: dict[str, Any] = {
        "reference": reference,
        "amount": amount,
        "currency": "ETB",
        "description": "Amharic for beginners (ebook)",
        "return_url": "https://windsurf.example/checkout/return",
        "notify_url": "https://windsurf.example/webhooks/provider",
        "customer_name": "Hana Tesfaye",
        "customer_email": "hana@example.com",
        "customer_phone": "+251911234567",
    }
    return PaymentRequest(**(values | overrides))


@pytest.fixture
async def chapa() -> AsyncIterator[tuple[FakeChapa, PaymentProvider]]:
    fake = FakeChapa()
    async with fake.server:
        settings = provider_settings(
            "chapa",
            chapa_base_url=fake.server.url,
            chapa_secret_key=FakeChapa.SECRET,
            chapa_webhook_secret=FakeChapa.WEBHOOK_SECRET,
        )
        adapter = build_provider("chapa", settings)
        yield fake, adapter
        await adapter.aclose()


@pytest.fixture
async def telebirr() -> AsyncIterator[tuple[FakeTelebirr, PaymentProvider]]:
    fake = FakeTelebirr()
    async with fake.server:
        settings = provider_settings(
            "telebirr",
            telebirr_base_url=fake.server.url,
            telebirr_web_base_url="https://pay.telebirr.example/payment/web/paygate?",
            telebirr_fabric_app_id=FakeTelebirr.FABRIC_APP_ID,
            telebirr_app_secret=FakeTelebirr.APP_SECRET,
            telebirr_merchant_app_id=FakeTelebirr.MERCHANT_APP_ID,
            telebirr_merchant_code=FakeTelebirr.MERCH_CODE,
            # As an environment variable carries it: one line, with literal \n escapes.
            telebirr_private_key=private_pem(fake.merchant_key).replace("\n", "\\n"),
            telebirr_public_key=public_pem(fake.telebirr_key),
        )
        adapter = build_provider("telebirr", settings)
        yield fake, adapter
        await adapter.aclose()


@pytest.fixture
async def webirr() -> AsyncIterator[tuple[FakeWebirr, PaymentProvider]]:
    fake = FakeWebirr()
    async with fake.server:
        settings = provider_settings(
            "webirr",
            webirr_base_url=fake.server.url,
            webirr_api_key=FakeWebirr.API_KEY,
            webirr_merchant_id=FakeWebirr.MERCHANT_ID,
            webirr_webhook_key=FakeWebirr.AUTH_KEY,
        )
        adapter = build_provider("webirr", settings)
        yield fake, adapter
        await adapter.aclose()
