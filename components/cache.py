"""ElastiCache Redis for sessions, rate limits and caches: encrypted at rest and in transit, AUTH token
required,
automatic failover across AZs whenever the stack asks for more than one node."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.kms import encryption_key

REDIS_PORT = 6379


@dataclass(frozen=True)
class CacheArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_cidrs: Sequence[str]
    node_type: str
    nodes: int
    snapshot_days: int
    log_retention_days: int
    secret_recovery_days: int
    tags: dict[str, str]


class Cache(pulumi.ComponentResource):
    address: pulumi.Output[str]
    auth_token: pulumi.Output[str]
    auth_secret_arn: pulumi.Output[str]
    group_id: pulumi.Output[str]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:cache:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(f"{args.name_prefix}-redis", "ElastiCache data at rest and snapshots", self)

        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets", subnet_ids=list(args.subnet_ids), tags=args.tags, opts=child
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Redis from the EKS node subnets only",
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": REDIS_PORT,
                    "to_port": REDIS_PORT,
                    "cidr_blocks": list(args.client_cidrs),
                }
            ],
            egress=[],
            tags=args.tags,
            opts=child,
        )
        # ElastiCache AUTH tokens allow only printable ASCII without '@', '"' and '/': letters and digits are
        # safe.
        token = random.RandomPassword(f"{name}-auth-token", length=64, special=False, opts=child)
        secret = aws.secretsmanager.Secret(
            f"{name}-auth-secret",
            name=f"windsurf/{args.name_prefix}/redis-auth",
            description="ElastiCache Redis AUTH token",
            kms_key_id=key.arn,
            recovery_window_in_days=args.secret_recovery_days,
            tags=args.tags,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-secret-value", secret_id=secret.id, secret_string=token.result, opts=child
        )
        slow_log = aws.cloudwatch.LogGroup(
            f"{name}-slow-log",
            name=f"/windsurf/{args.name_prefix}/redis-slow-log",
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        replicated = args.nodes > 1
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=args.name_prefix,
            description="Windsurf sessions, rate limits and caches",
            engine="redis",
            engine_version="7.1",
            parameter_group_name="default.redis7",
            node_type=args.node_type,
            num_cache_clusters=args.nodes,
            port=REDIS_PORT,
            automatic_failover_enabled=replicated,  # ElastiCache.3
            multi_az_enabled=replicated,
            at_rest_encryption_enabled=True,  # ElastiCache.4
            kms_key_id=key.arn,
            transit_encryption_enabled=True,  # ElastiCache.5
            transit_encryption_mode="required",
            auth_token=token.result,
            auth_token_update_strategy="ROTATE",  # noqa: S106 - a strategy name, not a secret
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_group.id],
            snapshot_retention_limit=args.snapshot_days,  # ElastiCache.1
            snapshot_window="00:00-01:00",
            maintenance_window="sun:01:30-sun:02:30",
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[
                {
                    "destination": slow_log.name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": "slow-log",
                }
            ],
            tags=args.tags,
            opts=child,
        )
        self.address = group.primary_endpoint_address
        self.group_id = group.replication_group_id
        self.auth_token = pulumi.Output.secret(token.result)
        self.auth_secret_arn = secret.arn
        self.register_outputs({"address": self.address, "auth_secret_arn": self.auth_secret_arn})
