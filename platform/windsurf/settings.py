"""Typed settings read from ``WINDSURF_*`` environment variables.

Settings are built on demand (``Settings.from_env()``), never at import time, so tests and the CLI can build an
application from any environment without reloading modules. Every field has a default that serves the embedded
platform (SQLite, in-memory stores, local files, the sandbox gateway); production refuses unsafe values.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

ALL_SERVICES = ("identity", "stores", "catalog", "storefront", "payments")
PAYMENT_PROVIDERS = ("sandbox", "chapa", "telebirr", "webirr")
DEFAULT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - refused in production
Environment = Literal["development", "test", "production"]


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: Environment = "development"
    debug: bool = False
    secret_key: str = DEFAULT_SECRET_KEY
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_request_mb: int = 60
    trust_forwarded_for: bool = False
    # The secret CloudFront adds to every origin request (header X-Windsurf-Origin); a request carrying it came
    # through the edge, so CloudFront's viewer-address header names the real caller. "" -> never trusted.
    edge_secret: str = field(default="", repr=False)
    services: tuple[str, ...] = ALL_SERVICES
    face: str = "storefront.plugin:StorefrontPlugin"  # the HTML face: a Litestar plugin, by dotted path
    var_dir: Path = Path("var")
    database_url: str = ""
    migration_database_url: str = ""
    # The Secrets Manager secret (ARN) RDS keeps the owner's rotating password in; read by `windsurf migrate`
    # (windsurf.core.owner_secret), never copied into the environment.
    migration_database_secret: str = ""
    database_pool_size: int = 10
    redis_url: str = ""
    redis_namespace: str = "windsurf"
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_endpoint_url: str = ""
    # CloudFront's access logs (standard log format, gzip): the bucket and prefix the edge writes them to, or a
    # local folder of such files. Neither set: no log ingestion (the embedded default counts every view itself).
    analytics_log_bucket: str = ""
    analytics_log_prefix: str = "cloudfront"
    analytics_log_dir: str = ""
    analytics_flush_seconds: float = 10.0  # how often a serving process adds its counted views to the rollups
    media_url: str = ""  # where public images are served from (a CDN in front of the bucket); "" -> /media
    max_file_mb: int = 50  # largest product file a creator may upload
    offload: bool = (
        True  # slow work in worker threads (windsurf.core.offload); off only to measure the difference
    )
    offload_cpu_threads: int = 0  # hashing, images, QR codes at once per process; 0: one per core
    offload_io_threads: int = 16  # blocking file, S3 and SMTP calls at once per process
    argon2_cost: Literal["strong", "fast"] = "strong"  # fast: argon2id's least cost, for the test suite
    sms_backend: Literal["console", "recording", "http"] = "console"
    sms_url: str = ""  # the SMS gateway's send endpoint (sms_backend=http)
    sms_token: str = ""  # its bearer token
    sms_sender: str = ""  # the sender name or short code the gateway registered for us
    email_backend: Literal["console", "smtp", "recording"] = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""  # AUTH with these (Amazon SES: the SMTP credentials of its IAM user)
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False  # upgrade to TLS before sending; always on when a username is set
    email_from: str = "Stan Store Windsurf <no-reply@windsurf.et>"
    sms_inbound_secret: str = (
        ""  # the secret the SMS gateway's inbound (STOP reply) webhook carries; "" = off
    )
    broadcast_daily_email_limit: int = 2000  # broadcast emails one creator may send a day (Addis Ababa days)
    broadcast_daily_sms_limit: int = 500  # broadcast SMS one creator may send a day
    broadcast_email_per_second: float = 5.0  # throttle per channel, per worker
    broadcast_sms_per_second: float = 2.0
    telegram_bot_token: str = ""  # the platform's bot, which creators make an admin of their channel
    telegram_api_url: str = "https://api.telegram.org"
    default_locale: Literal["am", "en"] = "am"
    session_idle_minutes: int = 60 * 24
    session_absolute_hours: int = 24 * 14
    inline_worker: bool = True
    ledger_holding_days: int = 7  # a sale's earnings become available for payout this many days after it
    payout_minimum_santim: int = 10_000  # the smallest payout a creator may request (100 birr)
    platform_fee_bps: int = 500  # the platform's fee on each sale, in hundredths of a percent (5%)
    # What each provider keeps of a payment, in hundredths of a percent, as the merchant contract says.
    chapa_fee_bps: int = 0
    telebirr_fee_bps: int = 0
    webirr_fee_bps: int = 0
    page_cache: bool = True  # rendered pages in Redis (and each process's near cache) in front of the table
    page_near_cache_ms: int = 2000  # how long a process keeps what it read from Redis; 0: no near cache
    # False renders buyers' pages on every request and stores none: only the benchmark's uncached baseline
    stored_pages: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    metrics_token: str = ""  # /metrics answers only "Authorization: Bearer <token>"; empty: not served
    api_schema: Literal["auto", "on", "off"] = "auto"  # auto: /schema everywhere but production
    # Payment providers (windsurf.payments.providers). Keys come only from the environment; none is in the repo.
    payment_providers: tuple[str, ...] = ("sandbox",)
    payment_timeout_seconds: float = 10.0  # per provider call (connect, read, write, pool)
    payment_retries: int = 2  # extra attempts for calls that are safe to repeat, on transient errors only
    payment_retry_backoff_seconds: float = 0.5  # doubles with each retry
    sandbox_secret: str = field(default="", repr=False)  # "" -> derived from the secret key
    sandbox_url: str = ""  # "" -> <public_url>/sandbox-pay, the gateway this process serves
    sandbox_notify: Literal["deliver", "delay", "duplicate", "drop"] = "deliver"
    sandbox_notify_delay_seconds: int = 30
    chapa_base_url: str = "https://api.chapa.co"
    chapa_secret_key: str = field(default="", repr=False)
    chapa_webhook_secret: str = field(default="", repr=False)
    telebirr_base_url: str = "https://developerportal.ethiotelebirr.et:38443/apiaccess/payment/gateway"
    telebirr_web_base_url: str = "https://developerportal.ethiotelebirr.et:38443/payment/web/paygate?"
    telebirr_fabric_app_id: str = ""
    telebirr_app_secret: str = field(default="", repr=False)
    telebirr_merchant_app_id: str = ""
    telebirr_merchant_code: str = ""
    telebirr_private_key: str = field(default="", repr=False)  # PEM; literal \n escapes read as line breaks
    telebirr_public_key: str = ""  # telebirr's PEM public key, for notifications
    webirr_base_url: str = "https://api.webirr.net:8080"
    webirr_api_key: str = field(default="", repr=False)
    webirr_merchant_id: str = ""
    webirr_webhook_key: str = field(default="", repr=False)
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``WINDSURF_<NAME>`` variables, then apply keyword overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        hints = get_type_hints(cls)
        for f in fields(cls):
            if f.name == "extra":
                continue
            key = f"WINDSURF_{f.name.upper()}"
            if key in environ and environ[key] != "":
                values[f.name] = _parse(key, environ[key], hints[f.name])
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'windsurf.sqlite'}"

    @property
    def effective_migration_database_url(self) -> str:
        return self.migration_database_url or self.effective_database_url

    @property
    def uses_postgres(self) -> bool:
        return self.effective_database_url.startswith(("postgres://", "postgresql://"))

    @property
    def serves_api_schema(self) -> bool:
        return self.api_schema == "on" or (self.api_schema == "auto" and not self.is_production)

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def session_cookie_name(self) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless it is Secure, path=/ and host-only.
        return "__Host-windsurf-session" if self.is_production else "windsurf-session"

    @property
    def csrf_cookie_name(self) -> str:
        return "__Host-csrftoken" if self.is_production else "csrftoken"

    @property
    def effective_sandbox_secret(self) -> str:
        """The sandbox gateway's API key and notification signing key (derived, so no setting is needed)."""
        if self.sandbox_secret:
            return self.sandbox_secret
        return hmac.new(self.secret_key.encode(), b"windsurf-sandbox-pay", hashlib.sha256).hexdigest()

    @property
    def effective_sandbox_url(self) -> str:
        return (self.sandbox_url or f"{self.public_url.rstrip('/')}/sandbox-pay").rstrip("/")

    def missing_payment_settings(self) -> list[str]:
        """The variables an enabled provider needs and lacks (production refuses to start with any)."""
        required = {
            "chapa": ["chapa_secret_key", "chapa_webhook_secret"],
            "telebirr": [
                "telebirr_fabric_app_id",
                "telebirr_app_secret",
                "telebirr_merchant_app_id",
                "telebirr_merchant_code",
                "telebirr_private_key",
                "telebirr_public_key",
            ],
            "webirr": ["webirr_api_key", "webirr_merchant_id", "webirr_webhook_key"],
        }
        return [
            f"WINDSURF_{name.upper()}"
            for provider in self.payment_providers
            for name in required.get(provider, [])
            if not getattr(self, name)
        ]

    def validate(self) -> None:
        unknown = set(self.services) - set(ALL_SERVICES)
        if unknown:
            raise SettingsError(
                f"WINDSURF_SERVICES names unknown services {sorted(unknown)}; known: {', '.join(ALL_SERVICES)}"
            )
        unknown = set(self.payment_providers) - set(PAYMENT_PROVIDERS)
        if unknown:
            raise SettingsError(
                f"WINDSURF_PAYMENT_PROVIDERS names unknown providers {sorted(unknown)}; "
                f"known: {', '.join(PAYMENT_PROVIDERS)}"
            )
        if self.payment_timeout_seconds <= 0 or self.payment_retries < 0:
            raise SettingsError(
                "WINDSURF_PAYMENT_TIMEOUT_SECONDS must be positive, WINDSURF_PAYMENT_RETRIES >= 0"
            )
        if self.workers < 1:
            raise SettingsError("WINDSURF_WORKERS must be at least 1")
        if self.offload_cpu_threads < 0:
            raise SettingsError("WINDSURF_OFFLOAD_CPU_THREADS must be 0 (one per core) or more")
        if self.offload_io_threads < 1:
            raise SettingsError("WINDSURF_OFFLOAD_IO_THREADS must be at least 1")
        if self.is_production:
            problems = []
            if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
                problems.append("WINDSURF_SECRET_KEY must be set to a random value of at least 32 characters")
            elif estimated_entropy_bits(self.secret_key) < MIN_SECRET_BITS:
                problems.append(
                    "WINDSURF_SECRET_KEY looks guessable (too few distinct characters); use a random value "
                    "such as the output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
            if self.metrics_token and estimated_entropy_bits(self.metrics_token) < MIN_SECRET_BITS:
                problems.append("WINDSURF_METRICS_TOKEN looks guessable; use a long random value")
            # The console and recording backends would put reset links and login codes in the log (or
            # nowhere): production sends through a real relay and gateway, which the stacks configure.
            if self.email_backend != "smtp":
                problems.append("WINDSURF_EMAIL_BACKEND must be smtp (console and recording lose the mail)")
            elif self.smtp_username and not self.smtp_password:
                problems.append("WINDSURF_SMTP_PASSWORD must be set with WINDSURF_SMTP_USERNAME")
            if self.sms_backend != "http":
                problems.append("WINDSURF_SMS_BACKEND must be http (console and recording lose the codes)")
            elif not (self.sms_url.startswith("https://") and self.sms_token):
                problems.append("WINDSURF_SMS_URL (https://) and WINDSURF_SMS_TOKEN must be set")
            if self.workers > 1 and not self.redis_url:
                # Sessions, rate limits and caches in memory would differ between the worker processes.
                problems.append("WINDSURF_WORKERS above 1 needs WINDSURF_REDIS_URL")
            if self.debug:
                problems.append("WINDSURF_DEBUG must be off")
            if self.argon2_cost != "strong":
                problems.append("WINDSURF_ARGON2_COST must be strong")
            if not self.uses_postgres:
                problems.append("WINDSURF_DATABASE_URL must point at PostgreSQL, not SQLite")
            if not self.public_url.startswith("https://"):
                problems.append("WINDSURF_PUBLIC_URL must be an https:// URL")
            missing = self.missing_payment_settings()
            if missing:
                problems.append("the enabled payment providers need " + ", ".join(missing))
            if problems:
                raise SettingsError("refusing to start in production: " + "; ".join(problems))


MIN_SECRET_BITS = 100


def estimated_entropy_bits(value: str) -> float:
    """An upper bound on the value's entropy from its character frequencies (Shannon, times its length).

    It cannot prove a key random, but it catches the keys people type: 32 identical characters score 0,
    "abababab..." 1 bit a character, while secrets.token_urlsafe(32) scores about 200.
    """
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def _parse(key: str, raw: str, annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Literal:
        allowed = [str(choice) for choice in get_args(annotation)]
        if raw not in allowed:
            raise SettingsError(f"{key} must be one of {', '.join(allowed)}, not {raw!r}")
        return raw
    if origin is tuple:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if annotation is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{key} must be true or false, not {raw!r}")
    if annotation is int:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{key} must be a whole number, not {raw!r}") from None
    if annotation is float:
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{key} must be a number, not {raw!r}") from None
    if annotation is Path:
        return Path(raw)
    return raw
