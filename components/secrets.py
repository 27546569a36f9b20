"""Application secrets in Secrets Manager: one secret per service (its own IAM role may read only that one)
plus
one for the migration Job, each a JSON object of the environment variables the `windsurf` process reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.database import APP_USER, DATABASE_NAME
from components.kms import encryption_key

MIGRATIONS = "migrate"


@dataclass(frozen=True)
class AppSecretsArgs:
    name_prefix: str
    services: Sequence[str]
    database_address: pulumi.Input[str]
    database_admin_user: str
    database_master_secret_arn: pulumi.Input[str]
    database_app_password: pulumi.Input[str]
    redis_address: pulumi.Input[str]
    redis_auth_token: pulumi.Input[str]
    recovery_window_days: int
    tags: dict[str, str]


class AppSecrets(pulumi.ComponentResource):
    """`secret_names[service]`: the name an ExternalSecret reads; `arns[service]`: for IAM policies."""

    secret_names: dict[str, str]
    arns: dict[str, pulumi.Output[str]]
    kms_key_arn: pulumi.Output[str]
    origin_secret: pulumi.Output[str]

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:secrets:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(
            f"{args.name_prefix}-app-secrets", "Application secrets in Secrets Manager", self
        )
        self.kms_key_arn = key.arn
        # Signs sessions and CSRF tokens; shared by every service so a session started on one is valid on all.
        secret_key = random.RandomPassword(f"{name}-secret-key", length=64, special=False, opts=child)
        # CloudFront sends it to the origin; the ALB forwards only requests carrying it, and the app trusts
        # CloudFront's viewer-address header only on those requests (windsurf.core.web.client_ip).
        origin = random.RandomPassword(f"{name}-origin-secret", length=48, special=False, opts=child)
        self.origin_secret = pulumi.Output.secret(origin.result)

        def postgres_url(user: str, password: pulumi.Input[str] | None) -> pulumi.Output[str]:
            credentials: list[pulumi.Input[str]] = [quote(user, safe="")]
            if password is not None:
                # '#', '%', '?' or '/' in a generated password would end or corrupt the URL's user part.
                credentials += [":", pulumi.Output.from_input(password).apply(lambda p: quote(p, safe=""))]
            return pulumi.Output.concat(
                "postgres://",
                *credentials,
                "@",
                args.database_address,
                ":5432/",
                DATABASE_NAME,
                "?sslmode=verify-full",
            )

        redis_url = pulumi.Output.concat(
            "rediss://:", args.redis_auth_token, "@", args.redis_address, ":6379/0"
        )
        # Prometheus sends it to /metrics (the ServiceMonitor reads it from the pods' own synced Secret); the
        # Rollouts' analysis and the alerts have nothing to measure without it.
        metrics_token = random.RandomPassword(f"{name}-metrics-token", length=64, special=False, opts=child)
        runtime = {
            "WINDSURF_SECRET_KEY": secret_key.result,
            "WINDSURF_METRICS_TOKEN": metrics_token.result,
            "WINDSURF_DATABASE_URL": postgres_url(APP_USER, args.database_app_password),
            "WINDSURF_REDIS_URL": redis_url,
            "WINDSURF_EDGE_SECRET": origin.result,
        }
        contents: dict[str, dict[str, pulumi.Input[str]]] = {service: runtime for service in args.services}
        contents[MIGRATIONS] = {
            **runtime,
            # No password: RDS rotates it, so `windsurf migrate` reads the current one from RDS's secret.
            "WINDSURF_MIGRATION_DATABASE_URL": postgres_url(args.database_admin_user, None),
            "WINDSURF_MIGRATION_DATABASE_SECRET": args.database_master_secret_arn,
        }
        self.secret_names, self.arns = {}, {}
        for owner, values in contents.items():
            secret_name = f"windsurf/{args.name_prefix}/{owner}"
            secret = aws.secretsmanager.Secret(
                f"{name}-{owner}",
                name=secret_name,
                description=f"Environment of the windsurf {owner} pods",
                kms_key_id=key.arn,
                recovery_window_in_days=args.recovery_window_days,
                tags={**args.tags, "Service": owner},
                opts=child,
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{owner}-value",
                secret_id=secret.id,
                # json_dumps is typed Output[str]; secret() is generic in a way mypy cannot solve here.
                secret_string=pulumi.Output.secret(cast(Any, pulumi.Output.json_dumps(values))),
                opts=child,
            )
            self.secret_names[owner] = secret_name
            self.arns[owner] = secret.arn
        self.register_outputs({"arns": self.arns})
