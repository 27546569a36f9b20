"""S3: product files (private, presigned URLs), public assets (read only by CloudFront), logs and backups.

Every bucket is a `SecureBucket`: public access blocked, ACLs disabled, default encryption, versioning, a TLS-
only bucket policy, lifecycle rules and server access logging to the logs bucket. Every bucket is SSE-KMS (FSBP
S3.17) except `alb-logs`: Elastic Load Balancing delivers access logs only to SSE-S3 buckets, so that bucket
holds nothing else (the policy pack allows SSE-S3 there alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from components.kms import encryption_key

# The account Elastic Load Balancing delivers access logs from in af-south-1.
ELB_LOG_ACCOUNT_AF_SOUTH_1 = "098369216593"


StatementFactory = Callable[[pulumi.Output[str]], list[dict[str, Any]]]


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """S3.5: deny every request that does not arrive over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@dataclass(frozen=True)
class SecureBucketArgs:
    purpose: str
    kms_key_arn: pulumi.Input[str] | None  # None: SSE-S3 (log delivery targets only)
    lifecycle_rules: Sequence[dict[str, Any]]
    log_bucket: pulumi.Input[str] | None
    tags: dict[str, str]
    # Statements (given the bucket ARN) added to the TLS-only policy; None: another component owns the policy.
    extra_statements: StatementFactory | None = lambda _arn: []
    # Dev only: `pulumi destroy` empties the bucket (every version) instead of failing on a non-empty one.
    force_destroy: bool = False


class SecureBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:storage:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            name, tags={**args.tags, "Purpose": args.purpose}, force_destroy=args.force_destroy, opts=child
        )
        self.bucket, self.name, self.arn = bucket, bucket.bucket, bucket.arn

        access_block = aws.s3.BucketPublicAccessBlock(  # S3.1/2/3/8
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(  # S3.12: ACLs off, the bucket owner owns every object
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        default: dict[str, Any] = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
            if args.kms_key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                cast(Any, {"apply_server_side_encryption_by_default": default, "bucket_key_enabled": True})
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket.id, rules=cast(Any, list(args.lifecycle_rules)), opts=child
        )
        if args.log_bucket is not None:
            aws.s3.BucketLogging(  # S3.9
                f"{name}-logging",
                bucket=bucket.id,
                target_bucket=args.log_bucket,
                target_prefix=f"s3-access/{args.purpose}/",
                opts=child,
            )
        if args.extra_statements is not None:
            aws.s3.BucketPolicy(
                f"{name}-policy",
                bucket=bucket.id,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [tls_only_statement(bucket.arn), *args.extra_statements(bucket.arn)],
                    }
                ),
                # A policy put before the access block is in place would be checked against the old settings.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[access_block]),
            )
        self.register_outputs({"name": self.name, "arn": self.arn})


def _expire_noncurrent(days: int) -> dict[str, Any]:
    return {
        "id": "expire-noncurrent-versions",
        "status": "Enabled",
        "filter": {},
        "noncurrent_version_expiration": {"noncurrent_days": days},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    }


# Glacier Instant Retrieval bills 90 days for every object; moving an object there for less is a loss, and S3
# rejects a rule that expires objects on or before the day it transitions them.
GLACIER_IR_MIN_DAYS = 90


def _archive(id_: str, transition_days: int, expire_days: int) -> dict[str, Any]:
    """Expire after `expire_days`; move to Glacier IR first only when the object stays there long enough."""
    rule: dict[str, Any] = {
        "id": id_,
        "status": "Enabled",
        "filter": {},
        "expiration": {"days": expire_days},
        "noncurrent_version_expiration": {"noncurrent_days": 30},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    }
    if expire_days >= transition_days + GLACIER_IR_MIN_DAYS:
        rule["transitions"] = [{"days": transition_days, "storage_class": "GLACIER_IR"}]
    return rule


@dataclass(frozen=True)
class StorageArgs:
    name_prefix: str
    account_id: pulumi.Input[str]
    log_retention_days: int
    force_destroy: bool
    tags: dict[str, str]


class Storage(pulumi.ComponentResource):
    products: SecureBucket
    assets: SecureBucket
    logs: SecureBucket
    alb_logs: SecureBucket
    backups: SecureBucket
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(f"{args.name_prefix}-s3", "S3 product files, assets and backups", self)
        self.kms_key_arn = key.arn
        # S3.1: the account-wide switch, so a bucket created outside this program cannot be made public
        # either.
        aws.s3.AccountPublicAccessBlock(
            f"{name}-account-public-access-block",
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        logs_key = encryption_key(
            f"{args.name_prefix}-logs",
            "Log files delivered by S3, CloudTrail, Config and CloudFront",
            self,
            policy=_log_key_policy(args.account_id),
        )
        self.logs = SecureBucket(
            f"{name}-logs",
            SecureBucketArgs(
                purpose="logs",
                kms_key_arn=logs_key.arn,
                lifecycle_rules=[_archive("archive-logs", 30, args.log_retention_days)],
                log_bucket=None,  # the log bucket does not log into itself
                tags=args.tags,
                force_destroy=args.force_destroy,
                extra_statements=_log_delivery_statements(args.account_id),
            ),
            child,
        )
        self.logs_kms_key_arn = logs_key.arn  # the CDN's access logs are read back by the worker (analytics)
        self.alb_logs = SecureBucket(
            f"{name}-alb-logs",
            SecureBucketArgs(
                purpose="alb-logs",
                kms_key_arn=None,  # ELB writes access logs to SSE-S3 buckets only
                lifecycle_rules=[_archive("archive-alb-logs", 30, args.log_retention_days)],
                log_bucket=self.logs.name,
                tags=args.tags,
                force_destroy=args.force_destroy,
                extra_statements=_alb_log_statements,
            ),
            child,
        )
        common: dict[str, Any] = {
            "kms_key_arn": key.arn,
            "log_bucket": self.logs.name,
            "tags": args.tags,
            "force_destroy": args.force_destroy,
        }
        self.products = SecureBucket(
            f"{name}-products",
            SecureBucketArgs(purpose="products", lifecycle_rules=[_expire_noncurrent(90)], **common),
            child,
        )
        self.assets = SecureBucket(
            f"{name}-assets",
            SecureBucketArgs(
                purpose="assets", lifecycle_rules=[_expire_noncurrent(30)], extra_statements=None, **common
            ),
            child,
        )
        self.backups = SecureBucket(
            f"{name}-backups",
            SecureBucketArgs(
                purpose="backups", lifecycle_rules=[_archive("archive-backups", 30, 365)], **common
            ),
            child,
        )
        self.register_outputs(
            {
                "products": self.products.name,
                "assets": self.assets.name,
                "logs": self.logs.name,
                "alb_logs": self.alb_logs.name,
                "backups": self.backups.name,
            }
        )


def _log_delivery_statements(account_id: pulumi.Input[str]) -> StatementFactory:
    """Who may write into the logs bucket: each AWS service under its own prefix, only for this account."""

    def statements(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
        def under(prefix: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(bucket_arn, "/", prefix, "/*")

        same_account = {"StringEquals": {"aws:SourceAccount": account_id}}
        owner_full_control = {
            "StringEquals": {"aws:SourceAccount": account_id, "s3:x-amz-acl": "bucket-owner-full-control"}
        }
        return [
            {
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": under("s3-access"),
                "Condition": same_account,
            },
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket_arn,
                "Condition": same_account,
            },
            {
                "Sid": "CloudTrailAndConfigWrite",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]},
                "Action": "s3:PutObject",
                "Resource": [under("cloudtrail"), under("config")],
                "Condition": owner_full_control,
            },
            {
                "Sid": "CloudFrontStandardLogsV2",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": under("cloudfront"),
                "Condition": owner_full_control,
            },
        ]

    return statements


def _alb_log_statements(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "AlbAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNT_AF_SOUTH_1}:root"},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, "/alb/*"),
        }
    ]


def _log_key_policy(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The services that deliver into the logs bucket encrypt with its key, for this account only."""
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
                    "Sid": "LogDeliveryEncrypts",
                    "Effect": "Allow",
                    "Principal": {
                        "Service": [
                            "logging.s3.amazonaws.com",
                            "cloudtrail.amazonaws.com",
                            "config.amazonaws.com",
                            "delivery.logs.amazonaws.com",
                        ]
                    },
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ],
        }
    )
