"""Account-level detection: CloudTrail, GuardDuty, Security Hub (FSBP and CIS) and the AWS Config recorder.

Each environment lives in its own AWS account (deployment strategy §1), so these account-wide services belong
to
the stack of that account.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import service_trust_policy
from components.kms import encryption_key

GUARDDUTY_FEATURES = {
    "S3_DATA_EVENTS": [],
    "EKS_AUDIT_LOGS": [],
    "RDS_LOGIN_EVENTS": [],
    # Runtime monitoring for EKS, with GuardDuty managing its agent add-on.
    "RUNTIME_MONITORING": [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}],
}


@dataclass(frozen=True)
class AuditArgs:
    name_prefix: str
    region: str
    account_id: pulumi.Input[str]
    log_bucket: pulumi.Input[str]
    log_bucket_policy: pulumi.Resource | None
    log_retention_days: int
    tags: dict[str, str]


class Audit(pulumi.ComponentResource):
    trail_arn: pulumi.Output[str]
    detector_id: pulumi.Output[str]

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:audit:Audit", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(
            f"{args.name_prefix}-cloudtrail",
            "CloudTrail log files and log group",
            self,
            policy=_trail_key_policy(args.account_id, args.region),
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-trail-logs",
            name=f"/windsurf/{args.name_prefix}/cloudtrail",
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            tags=args.tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-trail-role",
            assume_role_policy=service_trust_policy("cloudtrail.amazonaws.com"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-trail-role-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": pulumi.Output.concat(group.arn, ":*"),
                        }
                    ],
                }
            ),
            opts=child,
        )
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.name_prefix,
            s3_bucket_name=args.log_bucket,
            s3_key_prefix="cloudtrail",
            is_multi_region_trail=True,  # CloudTrail.1
            include_global_service_events=True,
            enable_log_file_validation=True,  # CloudTrail.4
            kms_key_id=key.arn,  # CloudTrail.2
            cloud_watch_logs_group_arn=pulumi.Output.concat(group.arn, ":*"),  # CloudTrail.5
            cloud_watch_logs_role_arn=role.arn,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[p for p in [args.log_bucket_policy] if p]),
        )
        self.trail_arn = trail.arn

        detector = aws.guardduty.Detector(  # GuardDuty.1
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            tags=args.tags,
            opts=child,
        )
        for feature, extra in GUARDDUTY_FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{name}-guardduty-{feature.lower().replace('_', '-')}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=extra or None,
                opts=child,
            )
        self.detector_id = detector.id

        hub = aws.securityhub.Account(
            f"{name}-securityhub",
            enable_default_standards=False,  # subscribed explicitly below, so the set is reviewed in code
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
            opts=child,
        )
        for short, arn in (
            (
                "fsbp",
                f"arn:aws:securityhub:{args.region}::standards/aws-foundational-security-best-practices/v/1.0.0",
            ),
            ("cis", f"arn:aws:securityhub:{args.region}::standards/cis-aws-foundations-benchmark/v/3.0.0"),
        ):
            aws.securityhub.StandardsSubscription(
                f"{name}-standard-{short}",
                standards_arn=arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[hub]),
            )

        # Config.1: the service-linked role. With it, Config delivers to the bucket under the logs bucket's own
        # policy for config.amazonaws.com (components/storage.py); AWS_ConfigRole on a plain role grants no
        # s3:PutObject, so deliveries through such a role were refused.
        config_role = aws.iam.ServiceLinkedRole(
            f"{name}-config-role", aws_service_name="config.amazonaws.com", opts=child
        )
        recorder = aws.cfg.Recorder(
            f"{name}-config-recorder",
            name=args.name_prefix,
            role_arn=config_role.arn,
            recording_group={"all_supported": True, "include_global_resource_types": True},
            opts=child,
        )
        channel = aws.cfg.DeliveryChannel(
            f"{name}-config-delivery",
            name=args.name_prefix,
            s3_bucket_name=args.log_bucket,
            s3_key_prefix="config",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[recorder]),
        )
        aws.cfg.RecorderStatus(
            f"{name}-config-recorder-status",
            name=recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
        )
        self.register_outputs({"trail_arn": self.trail_arn, "detector_id": self.detector_id})


def _trail_key_policy(account_id: pulumi.Input[str], region: str) -> pulumi.Output[str]:
    """The account administers the key; CloudTrail encrypts with it; CloudWatch Logs uses it for the group."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    # DescribeKey carries no encryption context, so it cannot share the statement below.
                    "Sid": "CloudTrailDescribes",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:DescribeKey",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "CloudTrailEncrypts",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:GenerateDataKey*",
                    "Resource": "*",
                    "Condition": {
                        "StringLike": {
                            "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                                "arn:aws:cloudtrail:*:", account_id, ":trail/*"
                            )
                        }
                    },
                },
                {
                    "Sid": "CloudWatchLogsUses",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                },
            ],
        }
    )
