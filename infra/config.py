"""Typed stack settings: everything that differs between dev, staging and production, read once from the stack
file.

Components receive these values instead of branching on the environment name, so the difference between stacks
is
visible in stacks/Pulumi.<stack>.yaml alone. A wrong or missing value stops the program with a message naming
the
key, before any resource is registered.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

REGION = "af-south-1"
ENVIRONMENTS = ("dev", "staging", "production")


class SettingsError(ValueError):
    """A stack setting is missing or invalid; the message names the key as written in the stack file."""


@dataclass(frozen=True)
class Messaging:
    """How the app sends email (an SMTP relay: Amazon SES's endpoint or another) and SMS (an HTTP gateway).

    Addresses are plain stack settings; the credentials are config secrets an operator sets per stack
    (`pulumi config set --secret windsurf:smtpPassword ...`, see docs/infra.md), never committed in clear.
    """

    smtp_host: str
    smtp_port: int
    email_from: str
    sms_url: str
    sms_sender: str
    smtp_username: pulumi.Output[str]
    smtp_password: pulumi.Output[str]
    sms_token: pulumi.Output[str]

    def app_environment(self) -> dict[str, pulumi.Input[str]]:
        """The `WINDSURF_*` variables the pods read (production refuses to start without them)."""
        return {
            "WINDSURF_EMAIL_BACKEND": "smtp",
            "WINDSURF_SMTP_HOST": self.smtp_host,
            "WINDSURF_SMTP_PORT": str(self.smtp_port),
            "WINDSURF_SMTP_STARTTLS": "true",
            "WINDSURF_SMTP_USERNAME": self.smtp_username,
            "WINDSURF_SMTP_PASSWORD": self.smtp_password,
            "WINDSURF_EMAIL_FROM": self.email_from,
            "WINDSURF_SMS_BACKEND": "http",
            "WINDSURF_SMS_URL": self.sms_url,
            "WINDSURF_SMS_SENDER": self.sms_sender,
            "WINDSURF_SMS_TOKEN": self.sms_token,
        }


@dataclass(frozen=True)
class StackSettings:
    environment: str
    region: str
    allowed_account_ids: tuple[str, ...]
    domain: str
    vpc_cidr: str
    nat_gateways: int
    cluster_version: str
    cluster_admin_role_arns: tuple[str, ...]
    github_repository: str
    node_instance_types: tuple[str, ...]
    node_capacity_type: str
    node_min: int
    node_desired: int
    node_max: int
    db_instance_class: str
    db_allocated_gb: int
    db_max_allocated_gb: int
    db_backup_days: int
    db_multi_az: bool
    db_deletion_protection: bool
    db_read_replica: bool
    cache_node_type: str
    cache_nodes: int
    cache_snapshot_days: int
    log_retention_days: int
    app_namespace: str
    replicas: int
    max_replicas: int
    image_tag: str
    previous_image_tag: str
    ephemeral: bool
    deploy_workloads: bool
    alert_email: str
    monthly_budget_usd: int
    messaging: Messaging

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def name_prefix(self) -> str:
        return f"windsurf-{self.environment}"

    @property
    def tags(self) -> dict[str, str]:
        """Tags on every AWS resource: cost reports and the policy pack read `Environment`."""
        return {"Project": "stan-store-windsurf", "Environment": self.environment, "ManagedBy": "pulumi"}


class _Reader:
    """Reads one key at a time and turns any problem into a SettingsError naming `<namespace>:<key>`."""

    def __init__(self, config: pulumi.Config) -> None:
        self._config = config

    def _fail(self, key: str, problem: str) -> SettingsError:
        return SettingsError(f"stack setting {self._config.name}:{key} {problem}")

    def raw(self, key: str) -> Any:
        text = self._config.get(key)
        if text is None:
            raise self._fail(key, "is missing; set it with `pulumi config set`")
        # Pulumi hands YAML lists, numbers and booleans over as JSON text and plain strings as they are.
        try:
            return json.loads(text)
        except ValueError:
            return text

    def secret(self, key: str) -> pulumi.Output[str]:
        value = self._config.get_secret(key)
        if value is None:
            raise self._fail(key, "is missing; set it with `pulumi config set --secret` (docs/infra.md)")
        return value

    def optional_boolean(self, key: str, default: bool) -> bool:
        return default if self._config.get(key) is None else self.boolean(key)

    def string(self, key: str, check: Callable[[str], bool] | None = None, expected: str = "") -> str:
        self.raw(key)  # presence
        value = self._config.get(key)  # as written: "1.33" stays text
        if not isinstance(value, str) or not value:
            raise self._fail(key, f"must be a non-empty string, got {value!r}")
        if check is not None and not check(value):
            raise self._fail(key, f"must be {expected}, got {value!r}")
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self._fail(key, f"must be an integer, got {value!r}")
        try:
            number = int(value)
        except ValueError as exc:
            raise self._fail(key, f"must be an integer, got {value!r}") from exc
        if not low <= number <= high:
            raise self._fail(key, f"must be between {low} and {high}, got {number}")
        return number

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise self._fail(key, f"must be true or false, got {value!r}")
        return value

    def strings(
        self, key: str, check: Callable[[str], bool], expected: str, allow_empty: bool
    ) -> tuple[str, ...]:
        value = self.raw(key)
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise self._fail(key, f"must be a list, got {value!r}")
        if not value and not allow_empty:
            raise self._fail(key, "must not be empty")
        for item in value:
            if not isinstance(item, str) or not check(item):
                raise self._fail(key, f"items must be {expected}, got {item!r}")
        return tuple(value)


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value)
    except ValueError:
        return False
    return True


def _is_role_arn(value: str) -> bool:
    return bool(re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+", value))


def load_settings(
    config: pulumi.Config | None = None, aws_config: pulumi.Config | None = None
) -> StackSettings:
    """Build the settings from the current stack's configuration (namespace `windsurf`, plus `aws:region`)."""
    read = _Reader(config or pulumi.Config("windsurf"))
    aws_reader = _Reader(aws_config or pulumi.Config("aws"))
    region = aws_reader.string("region", lambda v: v == REGION, f"{REGION}: creator data stays in Cape Town")
    # The AWS provider refuses to touch any other account: a stack can never be applied to the wrong one.
    allowed_accounts = aws_reader.strings(
        "allowedAccountIds", lambda v: bool(re.fullmatch(r"\d{12}", v)), "12-digit AWS account ids", False
    )
    node_min = read.integer("nodeMin", 1, 100)
    node_desired = read.integer("nodeDesired", node_min, 100)
    replicas = read.integer("replicas", 1, 50)
    settings = StackSettings(
        environment=read.string("environment", lambda v: v in ENVIRONMENTS, f"one of {ENVIRONMENTS}"),
        region=region,
        allowed_account_ids=allowed_accounts,
        domain=read.string("domain", lambda v: "." in v and " " not in v, "a DNS name"),
        vpc_cidr=read.string(
            "vpcCidr",
            lambda v: _is_cidr(v) and ipaddress.ip_network(v).prefixlen <= 16,
            "a /16 or larger CIDR",
        ),
        nat_gateways=read.integer("natGateways", 1, 3),
        cluster_version=read.string(
            "clusterVersion", lambda v: v.startswith("1."), "a Kubernetes 1.x version"
        ),
        cluster_admin_role_arns=read.strings(
            "clusterAdminRoleArns", _is_role_arn, "IAM role ARNs (arn:aws:iam::<account>:role/<name>)", True
        ),
        github_repository=read.string(
            "githubRepository",
            lambda v: v.startswith("https://github.com/"),
            "https://github.com/<owner>/<repo>",
        ),
        node_instance_types=read.strings(
            "nodeInstanceTypes", lambda v: "." in v, "EC2 instance types", False
        ),
        node_capacity_type=read.string(
            "nodeCapacityType", lambda v: v in ("ON_DEMAND", "SPOT"), "ON_DEMAND or SPOT"
        ),
        node_min=node_min,
        node_desired=node_desired,
        node_max=read.integer("nodeMax", node_desired, 200),
        db_instance_class=read.string(
            "dbInstanceClass", lambda v: v.startswith("db."), "an RDS class (db.*)"
        ),
        db_allocated_gb=read.integer("dbAllocatedGb", 20, 10_000),
        db_max_allocated_gb=read.integer("dbMaxAllocatedGb", 20, 65_536),
        db_backup_days=read.integer("dbBackupDays", 7, 35),
        db_multi_az=read.boolean("dbMultiAz"),
        db_deletion_protection=read.boolean("dbDeletionProtection"),
        db_read_replica=read.boolean("dbReadReplica"),
        cache_node_type=read.string(
            "cacheNodeType", lambda v: v.startswith("cache."), "a node type (cache.*)"
        ),
        cache_nodes=read.integer("cacheNodes", 1, 6),
        cache_snapshot_days=read.integer("cacheSnapshotDays", 1, 35),
        log_retention_days=read.integer("logRetentionDays", 30, 3653),
        app_namespace=read.string(
            "appNamespace", lambda v: v in ("creator-staging", "creator-production"), "a creator-* namespace"
        ),
        replicas=replicas,
        max_replicas=read.integer("maxReplicas", replicas, 100),
        image_tag=read.string("imageTag"),
        previous_image_tag=read.string("previousImageTag"),
        ephemeral=read.boolean("ephemeral"),
        deploy_workloads=read.optional_boolean("deployWorkloads", True),
        alert_email=read.string("alertEmail", lambda v: "@" in v, "an email address"),
        monthly_budget_usd=read.integer("monthlyBudgetUsd", 50, 1_000_000),
        messaging=Messaging(
            smtp_host=read.string("smtpHost", lambda v: "." in v and " " not in v, "a host name"),
            smtp_port=read.integer("smtpPort", 1, 65535),
            email_from=read.string("emailFrom", lambda v: "@" in v, "a sender address"),
            sms_url=read.string("smsUrl", lambda v: v.startswith("https://"), "an https:// URL"),
            sms_sender=read.string("smsSender"),
            smtp_username=read.secret("smtpUsername"),
            smtp_password=read.secret("smtpPassword"),
            sms_token=read.secret("smsToken"),
        ),
    )
    _check_consistency(settings, read)
    return settings


def _check_consistency(settings: StackSettings, read: _Reader) -> None:
    """Rules across keys: production must keep the protections the policy pack also enforces."""
    if settings.db_max_allocated_gb < settings.db_allocated_gb:
        raise read._fail("dbMaxAllocatedGb", "must be at least dbAllocatedGb")
    if settings.cache_nodes < 2 and settings.environment != "dev":
        raise read._fail("cacheNodes", "must be at least 2 outside dev (automatic failover needs a replica)")
    if settings.is_production:
        for key, value in (
            ("dbMultiAz", settings.db_multi_az),
            ("dbDeletionProtection", settings.db_deletion_protection),
        ):
            if not value:
                raise read._fail(key, "must be true in production")
        if settings.nat_gateways != 3:
            raise read._fail("natGateways", "must be 3 in production (one per AZ)")
        if settings.ephemeral:
            raise read._fail("ephemeral", "must be false in production (it lets a destroy delete data)")
        if settings.node_capacity_type != "ON_DEMAND":
            raise read._fail("nodeCapacityType", "must be ON_DEMAND in production")
    for arn in settings.cluster_admin_role_arns:
        if arn.split(":")[4] not in settings.allowed_account_ids:
            raise read._fail("clusterAdminRoleArns", f"must name roles of the stack's account, got {arn}")
