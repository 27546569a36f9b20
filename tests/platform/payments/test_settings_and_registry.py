"""Provider settings from the environment, production's refusal of missing keys, and the adapter registry."""

from __future__ import annotations

import pytest

from storefront import LOCALES_DIR
from windsurf.core.i18n import translations_for
from windsurf.payments.providers.base import ErrorCode, PaymentError, PaymentProvider
from windsurf.payments.providers.chapa import ChapaProvider
from windsurf.payments.providers.registry import build_providers, fee_rates
from windsurf.payments.providers.sandbox import SandboxProvider
from windsurf.payments.service import provider_fee
from windsurf.settings import PAYMENT_PROVIDERS, Settings, SettingsError

PRODUCTION = {
    "WINDSURF_ENV": "production",
    "WINDSURF_SECRET_KEY": "Vq3x9LmP2sR7tK4wZ8yB1nC6dF0gH5jQ-aE_uI",
    "WINDSURF_DATABASE_URL": "postgres://app@db.internal/windsurf",
    "WINDSURF_PUBLIC_URL": "https://windsurf.et",
    "WINDSURF_EMAIL_BACKEND": "smtp",
    "WINDSURF_SMS_BACKEND": "http",
    "WINDSURF_SMS_URL": "https://sms.example.et/api/send",
    "WINDSURF_SMS_TOKEN": "gateway-token",
}
CHAPA_KEYS = {"WINDSURF_CHAPA_SECRET_KEY": "CHASECK-live-secret", "WINDSURF_CHAPA_WEBHOOK_SECRET": "hash"}


def test_provider_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "WINDSURF_PAYMENT_PROVIDERS": "sandbox, chapa",
            "WINDSURF_PAYMENT_TIMEOUT_SECONDS": "2.5",
            "WINDSURF_SANDBOX_NOTIFY": "duplicate",
            **CHAPA_KEYS,
        }
    )
    assert settings.payment_providers == ("sandbox", "chapa")
    assert settings.payment_timeout_seconds == 2.5 and settings.sandbox_notify == "duplicate"
    assert settings.chapa_secret_key == "CHASECK-live-secret"
    assert "CHASECK-live-secret" not in repr(settings)  # secrets stay out of logs and tracebacks


def test_the_embedded_default_is_the_sandbox_with_a_derived_key() -> None:
    settings = Settings.from_env({})
    assert settings.payment_providers == ("sandbox",)
    assert settings.effective_sandbox_url == "http://127.0.0.1:8000/sandbox-pay"
    other = Settings.from_env({"WINDSURF_SECRET_KEY": "another-secret-key"})
    assert len(settings.effective_sandbox_secret) == 64
    assert settings.effective_sandbox_secret != other.effective_sandbox_secret


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"WINDSURF_PAYMENT_PROVIDERS": "sandbox,paypal"}, "unknown providers"),
        ({"WINDSURF_PAYMENT_TIMEOUT_SECONDS": "soon"}, "must be a number"),
        ({"WINDSURF_SANDBOX_NOTIFY": "sometimes"}, "must be one of"),
    ],
)
def test_bad_provider_settings_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_production_refuses_an_enabled_provider_without_its_keys() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**PRODUCTION, "WINDSURF_PAYMENT_PROVIDERS": "chapa,webirr"})
    message = str(refused.value)
    for name in ("WINDSURF_CHAPA_SECRET_KEY", "WINDSURF_WEBIRR_API_KEY", "WINDSURF_WEBIRR_WEBHOOK_KEY"):
        assert name in message
    assert "TELEBIRR" not in message  # only what the enabled providers need

    settings = Settings.from_env({**PRODUCTION, "WINDSURF_PAYMENT_PROVIDERS": "chapa", **CHAPA_KEYS})
    assert settings.missing_payment_settings() == []


async def test_the_registry_builds_the_enabled_adapters_only() -> None:
    settings = Settings.from_env({"WINDSURF_PAYMENT_PROVIDERS": "sandbox,chapa", **CHAPA_KEYS})
    providers = build_providers(settings)
    try:
        assert list(providers) == ["sandbox", "chapa"]
        assert isinstance(providers.get("sandbox"), SandboxProvider)
        assert isinstance(providers.get("chapa"), ChapaProvider)
        assert all(isinstance(providers.get(name), PaymentProvider) for name in providers)
        with pytest.raises(PaymentError) as disabled:
            providers.get("telebirr")
        assert disabled.value.code is ErrorCode.PROVIDER_MISCONFIGURED
    finally:
        await providers.aclose()


async def test_an_adapter_without_keys_refuses_before_calling_out() -> None:
    providers = build_providers(Settings.from_env({"WINDSURF_PAYMENT_PROVIDERS": "telebirr,webirr,chapa"}))
    try:
        for name in ("telebirr", "webirr", "chapa"):
            with pytest.raises(PaymentError) as caught:
                await providers.get(name).query_payment("ord-1")
            assert caught.value.code is ErrorCode.PROVIDER_MISCONFIGURED, name
    finally:
        await providers.aclose()


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_code_has_a_message_in_amharic_and_english(code: ErrorCode) -> None:
    error = PaymentError(code, "chapa", "detail for the log")
    amharic = translations_for(LOCALES_DIR, "am").gettext(error.message)
    english = translations_for(LOCALES_DIR, "en").gettext(error.message)
    assert amharic != english and english == error.message
    assert 400 <= error.status_code < 600 and str(error) == f"chapa: {code} (detail for the log)"


def test_every_provider_has_its_contract_fee_rate() -> None:
    settings = Settings.from_env({"WINDSURF_CHAPA_FEE_BPS": "350", "WINDSURF_TELEBIRR_FEE_BPS": "120"})
    rates = fee_rates(settings)
    assert set(rates) == set(PAYMENT_PROVIDERS)
    assert provider_fee("chapa", 10_000, settings) == 350
    assert provider_fee("telebirr", 10_000, settings) == 120
    assert provider_fee("sandbox", 10_000, settings) == 0
