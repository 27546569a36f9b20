"""RDS PostgreSQL 16 in the data subnets: encrypted, private, TLS-only, backed up with point-in-time recovery.

Two roles use it: the admin (master) user owns the tables and runs `windsurf migrate`; the application
connects as `windsurf_app`, which owns no table, so row-level security applies to it. The admin password is
RDS's own (`manage_master_user_password`): RDS keeps it in a Secrets Manager secret and rotates it every 7 days
(Security Hub SecretsManager.1), and `windsurf migrate` reads it from there when it starts
(windsurf.core.owner_secret). The app role's password is generated here and kept in Secrets Manager.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.iam import service_trust_policy
from components.kms import encryption_key

POSTGRES_PORT = 5432
ADMIN_USER = "windsurf_admin"  # not the default "postgres", so guessing the admin name is not half the work
APP_USER = "windsurf_app"
DATABASE_NAME = "windsurf"
# Where the image keeps RDS's certificate authorities (see the Dockerfile): the app verifies the server with it.
RDS_CA_BUNDLE = "/etc/ssl/certs/rds-af-south-1-bundle.pem"


@dataclass(frozen=True)
class DatabaseArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_cidrs: Sequence[str]
    instance_class: str
    allocated_gb: int
    max_allocated_gb: int
    backup_days: int
    multi_az: bool
    deletion_protection: bool
    read_replica: bool
    secret_recovery_days: int
    tags: dict[str, str]


class Database(pulumi.ComponentResource):
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    master_secret_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    app_password: pulumi.Output[str]
    admin_secret_arn: pulumi.Output[str]
    replica_address: pulumi.Output[str] | None
    identifier: pulumi.Output[str]
    arn: pulumi.Output[str]
    replica_identifier: pulumi.Output[str] | None

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(
            f"{args.name_prefix}-rds", "RDS storage, snapshots and Performance Insights", self
        )

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets", subnet_ids=list(args.subnet_ids), tags=args.tags, opts=child
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="PostgreSQL from the EKS node subnets only",
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": POSTGRES_PORT,
                    "to_port": POSTGRES_PORT,
                    "cidr_blocks": list(args.client_cidrs),
                }
            ],
            egress=[],
            tags=args.tags,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family="postgres16",
            description="Windsurf: TLS only, slow queries and connections logged",
            parameters=[
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": "500"},
                {"name": "log_connections", "value": "1"},
                {"name": "log_disconnections", "value": "1"},
            ],
            tags=args.tags,
            opts=child,
        )
        monitoring_role = aws.iam.Role(
            f"{name}-monitoring-role",
            assume_role_policy=service_trust_policy("monitoring.rds.amazonaws.com"),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=monitoring_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            opts=child,
        )

        app_password = random.RandomPassword(f"{name}-app-password", length=40, special=False, opts=child)

        common = {
            "instance_class": args.instance_class,
            "publicly_accessible": False,  # RDS.2
            "vpc_security_group_ids": [security_group.id],
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": key.arn,
            "performance_insights_retention_period": 7,
            "monitoring_interval": 60,
            "monitoring_role_arn": monitoring_role.arn,
            "auto_minor_version_upgrade": True,
            "ca_cert_identifier": "rds-ca-rsa2048-g1",
            "copy_tags_to_snapshot": True,
            "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"],  # RDS.9
            "tags": args.tags,
        }
        primary = aws.rds.Instance(
            f"{name}-primary",
            identifier=args.name_prefix,
            engine="postgres",
            engine_version="16",
            db_name=DATABASE_NAME,
            username=ADMIN_USER,
            # RDS generates the password, keeps it in its own secret (encrypted with this key) and rotates it.
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            db_subnet_group_name=subnet_group.name,
            parameter_group_name=parameters.name,
            allocated_storage=args.allocated_gb,
            max_allocated_storage=args.max_allocated_gb,
            storage_type="gp3",
            storage_encrypted=True,  # RDS.3
            kms_key_id=key.arn,
            multi_az=args.multi_az,  # RDS.5
            deletion_protection=args.deletion_protection,  # RDS.8
            backup_retention_period=args.backup_days,  # RDS.11; enables point-in-time recovery
            backup_window="00:00-01:00",  # 03:00-04:00 in Addis Ababa, the quietest hour
            maintenance_window="sun:01:30-sun:02:30",
            iam_database_authentication_enabled=True,
            skip_final_snapshot=not args.deletion_protection,
            final_snapshot_identifier=f"{args.name_prefix}-final" if args.deletion_protection else None,
            apply_immediately=not args.deletion_protection,
            **common,
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        self.replica_address = None
        self.replica_identifier = None
        self.identifier = primary.identifier
        self.arn = primary.arn
        if args.read_replica:
            # The analytics replica takes long reporting queries off the primary; it inherits encryption.
            replica = aws.rds.Instance(
                f"{name}-analytics-replica",
                identifier=f"{args.name_prefix}-analytics",
                replicate_source_db=primary.identifier,
                storage_encrypted=True,
                kms_key_id=key.arn,
                parameter_group_name=parameters.name,
                skip_final_snapshot=True,
                **common,
                opts=child,
            )
            self.replica_address = replica.address
            self.replica_identifier = replica.identifier

        master_secret_arn = primary.master_user_secrets.apply(lambda secrets: secrets[0].secret_arn)
        secret = aws.secretsmanager.Secret(
            f"{name}-admin-secret",
            name=f"windsurf/{args.name_prefix}/database-admin",
            description="Database connection facts and the app role's credentials (the owner's are RDS's own)",
            kms_key_id=key.arn,
            # 0 deletes at once (dev): a recreated stack can reuse the name without waiting out the window.
            recovery_window_in_days=args.secret_recovery_days,
            tags=args.tags,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-admin-secret-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps(
                {
                    "engine": "postgres",
                    "host": primary.address,
                    "port": POSTGRES_PORT,
                    "dbname": DATABASE_NAME,
                    "username": ADMIN_USER,
                    "master_secret_arn": master_secret_arn,
                    "app_username": APP_USER,
                    "app_password": app_password.result,
                }
            ),
            opts=child,
        )
        self.address = primary.address
        self.port = primary.port
        self.master_secret_arn = master_secret_arn
        self.key_arn = key.arn
        self.app_password = pulumi.Output.secret(app_password.result)
        self.admin_secret_arn = secret.arn
        self.register_outputs(
            {
                "address": self.address,
                "replica_address": self.replica_address,
                "admin_secret_arn": self.admin_secret_arn,
            }
        )
