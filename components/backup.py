"""AWS Backup: a daily snapshot plan for the database in its own encrypted vault, on top of RDS's point-in-time
recovery, so a deleted instance (or a bad automated-backup window) still leaves restorable copies. Restore steps:
docs/infra.md, runbook."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import service_trust_policy
from components.kms import encryption_key

BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)


@dataclass(frozen=True)
class BackupArgs:
    name_prefix: str
    retention_days: int
    resource_arns: list[pulumi.Input[str]]
    force_destroy: bool
    tags: dict[str, str]


class Backup(pulumi.ComponentResource):
    vault_name: pulumi.Output[str]

    def __init__(self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:backup:Backup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(f"{args.name_prefix}-backup", "AWS Backup vault", self)
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=f"{args.name_prefix}-vault",
            kms_key_arn=key.arn,
            force_destroy=args.force_destroy,
            tags=args.tags,
            opts=child,
        )
        plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-daily",
            rules=[
                {
                    "rule_name": "daily",
                    "target_vault_name": vault.name,
                    "schedule": "cron(30 1 * * ? *)",  # 04:30 in Addis Ababa, after the RDS backup window
                    "start_window": 60,
                    "completion_window": 360,
                    "lifecycle": {"delete_after": args.retention_days},
                }
            ],
            tags=args.tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role", assume_role_policy=service_trust_policy("backup.amazonaws.com"), opts=child
        )
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-role-{index}", role=role.name, policy_arn=arn, opts=child)
            for index, arn in enumerate(BACKUP_POLICIES)
        ]
        aws.backup.Selection(
            f"{name}-selection",
            name=f"{args.name_prefix}-data",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=list(args.resource_arns),
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        self.vault_name = vault.name
        self.register_outputs({"vault_name": vault.name})
