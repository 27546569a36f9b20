"""Settings from the environment, and production's refusal to start with an unsafe one."""

from __future__ import annotations

from pathlib import Path

import pytest

from windsurf.settings import DEFAULT_SECRET_KEY, Settings, SettingsError

SAFE_PRODUCTION = {
    "WINDSURF_ENV": "production",
    "WINDSURF_SECRET_KEY": "tQ9x-3vLr_8KpZ2mWc7YhN4bJf6sDg1aEu5oRi0Tq",
    "WINDSURF_DATABASE_URL": "postgres://app@db.internal/windsurf",
    "WINDSURF_PUBLIC_URL": "https://windsurf.et",
    "WINDSURF_EMAIL_BACKEND": "smtp",
    "WINDSURF_SMS_BACKEND": "http",
    "WINDSURF_SMS_URL": "https://sms.example.et/api/send",
    "WINDSURF_SMS_TOKEN": "gateway-token",
}


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.env == "development" and not settings.is_production
    assert settings.effective_database_url == "sqlite:///var/windsurf.sqlite"
    assert not settings.uses_postgres and settings.session_cookie_name == "windsurf-session"


def test_values_are_parsed_by_type() -> None:
    settings = Settings.from_env(
        {
            "WINDSURF_DEBUG": "yes",
            "WINDSURF_PORT": "9000",
            "WINDSURF_SERVICES": "identity, storefront",
            "WINDSURF_VAR_DIR": "/tmp/ws",
            "WINDSURF_DEFAULT_LOCALE": "en",
            "WINDSURF_REDIS_URL": "",
        }
    )
    assert settings.debug is True and settings.port == 9000
    assert settings.services == ("identity", "storefront")
    assert (
        settings.var_dir == Path("/tmp/ws") and settings.default_locale == "en" and settings.redis_url == ""
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"WINDSURF_PORT": "eighty"}, "WINDSURF_PORT"),
        ({"WINDSURF_DEBUG": "maybe"}, "WINDSURF_DEBUG"),
        ({"WINDSURF_ENV": "staging"}, "WINDSURF_ENV"),
        ({"WINDSURF_SERVICES": "identity,shipping"}, "WINDSURF_SERVICES"),
        ({"WINDSURF_WORKERS": "0"}, "WINDSURF_WORKERS"),
    ],
)
def test_malformed_values_name_their_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(environ)


def test_safe_production_settings_start() -> None:
    settings = Settings.from_env(SAFE_PRODUCTION)
    assert settings.is_production and settings.uses_postgres
    assert settings.session_cookie_name == "__Host-windsurf-session"
    assert settings.csrf_cookie_name == "__Host-csrftoken"


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"WINDSURF_SECRET_KEY": DEFAULT_SECRET_KEY}, "WINDSURF_SECRET_KEY"),
        ({"WINDSURF_SECRET_KEY": "short"}, "WINDSURF_SECRET_KEY"),
        ({"WINDSURF_DEBUG": "true"}, "WINDSURF_DEBUG must be off"),
        ({"WINDSURF_DATABASE_URL": ""}, "not SQLite"),
        ({"WINDSURF_DATABASE_URL": "sqlite:///var/prod.sqlite"}, "not SQLite"),
        ({"WINDSURF_PUBLIC_URL": "http://windsurf.et"}, "WINDSURF_PUBLIC_URL"),
        ({"WINDSURF_SECRET_KEY": "k" * 40}, "WINDSURF_SECRET_KEY looks guessable"),
        ({"WINDSURF_SECRET_KEY": "ab" * 24}, "WINDSURF_SECRET_KEY looks guessable"),
        ({"WINDSURF_SMS_URL": "http://sms.example.et/api/send"}, "WINDSURF_SMS_URL"),
        ({"WINDSURF_SMS_TOKEN": ""}, "WINDSURF_SMS_TOKEN"),
        ({"WINDSURF_WORKERS": "2"}, "WINDSURF_WORKERS above 1 needs WINDSURF_REDIS_URL"),
        ({"WINDSURF_METRICS_TOKEN": "metrics"}, "WINDSURF_METRICS_TOKEN"),
        ({"WINDSURF_EMAIL_BACKEND": "console"}, "WINDSURF_EMAIL_BACKEND must be smtp"),
        ({"WINDSURF_EMAIL_BACKEND": "recording"}, "WINDSURF_EMAIL_BACKEND must be smtp"),
        ({"WINDSURF_SMS_BACKEND": "console"}, "WINDSURF_SMS_BACKEND must be http"),
        ({"WINDSURF_SMS_BACKEND": "recording"}, "WINDSURF_SMS_BACKEND must be http"),
        ({"WINDSURF_SMTP_USERNAME": "AKIAEXAMPLE"}, "WINDSURF_SMTP_PASSWORD"),
        ({"WINDSURF_ARGON2_COST": "fast"}, "WINDSURF_ARGON2_COST must be strong"),
    ],
)
def test_production_refuses_each_unsafe_setting(override: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match="refusing to start in production") as refused:
        Settings.from_env({**SAFE_PRODUCTION, **override})
    assert named in str(refused.value)


def test_production_takes_several_workers_with_redis_and_a_random_key() -> None:
    settings = Settings.from_env(
        {
            **SAFE_PRODUCTION,
            "WINDSURF_WORKERS": "4",
            "WINDSURF_REDIS_URL": "redis://cache.internal:6379/0",
            "WINDSURF_SECRET_KEY": "0123456789abcdef" * 2,  # 32 hex digits: 128 random bits
        }
    )
    assert settings.workers == 4 and not settings.serves_api_schema
    assert Settings.from_env({**SAFE_PRODUCTION, "WINDSURF_API_SCHEMA": "on"}).serves_api_schema
    assert Settings.from_env({}).serves_api_schema


def test_production_refuses_the_default_messaging_backends() -> None:
    """Left at their defaults, reset links and login codes would go to the log."""
    environ = {k: v for k, v in SAFE_PRODUCTION.items() if "SMS" not in k and "EMAIL" not in k}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ)
    assert "WINDSURF_EMAIL_BACKEND" in str(refused.value) and "WINDSURF_SMS_BACKEND" in str(refused.value)
    relay = Settings.from_env(
        {
            **SAFE_PRODUCTION,
            "WINDSURF_SMTP_HOST": "email-smtp.af-south-1.amazonaws.com",
            "WINDSURF_SMTP_PORT": "587",
            "WINDSURF_SMTP_USERNAME": "AKIAEXAMPLE",
            "WINDSURF_SMTP_PASSWORD": "ses-smtp-password",
            "WINDSURF_SMTP_STARTTLS": "true",
        }
    )
    assert relay.smtp_starttls and relay.smtp_username == "AKIAEXAMPLE"
    assert "ses-smtp-password" not in repr(relay)


def test_production_lists_every_problem_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"WINDSURF_ENV": "production", "WINDSURF_DEBUG": "1"})
    message = str(refused.value)
    for named in ("WINDSURF_SECRET_KEY", "WINDSURF_DEBUG", "WINDSURF_DATABASE_URL", "WINDSURF_PUBLIC_URL"):
        assert named in message


def test_cli_refuses_to_start_and_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from windsurf.cli import main

    monkeypatch.setenv("WINDSURF_ENV", "production")
    assert main(["migrate"]) == 2
    assert "WINDSURF_SECRET_KEY" in capsys.readouterr().err
