"""The rules every stack must pass, each naming the AWS Foundational Security Best Practices (FSBP) control or
the
Pod Security Standard it enforces. Importable without starting a policy server (that happens in __main__.py).

Properties are the engine's camelCase names. Values unknown during a preview are absent or not yet strings;
rules
treat those as "cannot tell yet" rather than as violations, and the check runs again on `up`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

REGION = "af-south-1"
MANDATORY = EnforcementLevel.MANDATORY

Props = Mapping[str, Any]
Check = Callable[[Props, ResourceValidationArgs], str | None]

BUCKET = "aws:s3/bucket:Bucket"
ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
RDS = "aws:rds/instance:Instance"
RDS_PARAMETERS = "aws:rds/parameterGroup:ParameterGroup"
RDS_SUBNETS = "aws:rds/subnetGroup:SubnetGroup"
SUBNET = "aws:ec2/subnet:Subnet"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
EKS = "aws:eks/cluster:Cluster"  # the provider resource the cluster component declares
KMS_KEY = "aws:kms/key:Key"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
CONFIG_RECORDER = "aws:cfg/recorder:Recorder"
CONFIG_RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
EBS_DEFAULT_ENCRYPTION = "aws:ebs/encryptionByDefault:EncryptionByDefault"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CLOUDFRONT = "aws:cloudfront/distribution:Distribution"
TRAIL = "aws:cloudtrail/trail:Trail"
DETECTOR = "aws:guardduty/detector:Detector"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
POD_OWNERS = {
    "kubernetes:core/v1:Pod": lambda spec: spec,
    "kubernetes:apps/v1:Deployment": lambda spec: spec.get("template", {}).get("spec"),
    # Argo Rollouts' ReplicaSets run this template (components/workload.py).
    "kubernetes:argoproj.io/v1alpha1:Rollout": lambda spec: spec.get("template", {}).get("spec"),
    "kubernetes:apps/v1:StatefulSet": lambda spec: spec.get("template", {}).get("spec"),
    "kubernetes:apps/v1:DaemonSet": lambda spec: spec.get("template", {}).get("spec"),
    "kubernetes:batch/v1:Job": lambda spec: spec.get("template", {}).get("spec"),
    "kubernetes:batch/v1:CronJob": lambda spec: (
        spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    ),
}
DATA_STORES = (
    BUCKET,
    RDS,
    REDIS,
    "aws:rds/cluster:Cluster",
    "aws:dynamodb/table:Table",
    "aws:secretsmanager/secret:Secret",
    "aws:efs/fileSystem:FileSystem",
    "aws:ebs/volume:Volume",
)


def _resource_rule(name: str, control: str, description: str, types: Iterable[str], check: Check):
    types = frozenset(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type in types:
            problem = check(args.props, args)
            if problem:
                report(f"[{control}] {problem}", None)

    return ResourceValidationPolicy(
        name=name, description=f"{control}: {description}", validate=validate, enforcement_level=MANDATORY
    )


def _is_production(props: Props) -> bool:
    return (props.get("tags") or {}).get("Environment") == "production"


def _policy_document(props: Props) -> dict[str, Any] | None:
    text = props.get("policy")
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


# ---- S3 ----


def _check_access_block(props: Props, _: ResourceValidationArgs) -> str | None:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [flag for flag in flags if props.get(flag) is not True]
    return f"public access block must set {', '.join(off)} to true" if off else None


def _check_tls_only(props: Props, _: ResourceValidationArgs) -> str | None:
    document = _policy_document(props)
    if document is None:
        return None
    for statement in document.get("Statement", []):
        condition = statement.get("Condition", {}).get("Bool", {})
        if statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false":
            return None
    return "bucket policy must deny requests where aws:SecureTransport is false"


def _check_no_public_grant(props: Props, _: ResourceValidationArgs) -> str | None:
    document = _policy_document(props)
    for statement in (document or {}).get("Statement", []):
        principal = statement.get("Principal")
        public = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
        if statement.get("Effect") == "Allow" and public and not statement.get("Condition"):
            return "bucket policy must not allow everyone (Principal *) without a condition"
    return None


def _check_bucket_encryption(props: Props, _: ResourceValidationArgs) -> str | None:
    rules = props.get("rules") or []
    algorithms = {(r.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for r in rules}
    return (
        None
        if algorithms and algorithms <= {"aws:kms", "aws:kms:dsse", "AES256"}
        else "default encryption missing"
    )


def _check_no_public_acl(props: Props, _: ResourceValidationArgs) -> str | None:
    acl = props.get("acl")
    return (
        f"bucket ACL {acl!r} is public"
        if acl in ("public-read", "public-read-write", "authenticated-read")
        else None
    )


# ---- RDS ----


def _is_replica(props: Props) -> bool:
    return bool(props.get("replicateSourceDb"))


def _check_rds_private(props: Props, _: ResourceValidationArgs) -> str | None:
    return "publiclyAccessible must be false" if props.get("publiclyAccessible") is not False else None


def _check_rds_encrypted(props: Props, _: ResourceValidationArgs) -> str | None:
    return "storageEncrypted must be true" if props.get("storageEncrypted") is not True else None


def _check_rds_multi_az(props: Props, _: ResourceValidationArgs) -> str | None:
    if _is_production(props) and not _is_replica(props) and props.get("multiAz") is not True:
        return "production databases must be Multi-AZ"
    return None


def _check_rds_deletion_protection(props: Props, _: ResourceValidationArgs) -> str | None:
    if _is_production(props) and not _is_replica(props) and props.get("deletionProtection") is not True:
        return "production databases must have deletion protection"
    return None


def _check_rds_backups(props: Props, _: ResourceValidationArgs) -> str | None:
    if _is_replica(props):
        return None
    days = props.get("backupRetentionPeriod") or 0
    return f"backupRetentionPeriod must be at least 7 days, got {days}" if days < 7 else None


def _check_rds_logs(props: Props, _: ResourceValidationArgs) -> str | None:
    exports = props.get("enabledCloudwatchLogsExports") or []
    if str(props.get("engine", "postgres")).startswith("postgres") and "postgresql" not in exports:
        return "PostgreSQL logs must be exported to CloudWatch Logs"
    return None


def _check_rds_force_ssl(props: Props, _: ResourceValidationArgs) -> str | None:
    if not str(props.get("family", "")).startswith("postgres"):
        return None
    values = {p.get("name"): str(p.get("value")) for p in props.get("parameters") or []}
    return (
        None if values.get("rds.force_ssl") == "1" else "PostgreSQL parameter groups must set rds.force_ssl=1"
    )


# ---- ElastiCache, EKS, CloudFront, CloudTrail, GuardDuty, EC2 ----


def _check_redis_failover(props: Props, _: ResourceValidationArgs) -> str | None:
    if _is_production(props) and props.get("automaticFailoverEnabled") is not True:
        return "production replication groups need automatic failover"
    return None


def _check_redis_at_rest(props: Props, _: ResourceValidationArgs) -> str | None:
    return (
        "atRestEncryptionEnabled must be true"
        if props.get("atRestEncryptionEnabled") not in (True, "true")
        else None
    )


def _check_redis_in_transit(props: Props, _: ResourceValidationArgs) -> str | None:
    if props.get("transitEncryptionEnabled") is not True:
        return "transitEncryptionEnabled must be true"
    if "authToken" not in props and not props.get("userGroupIds"):
        return "Redis needs AUTH (authToken) or RBAC user groups"
    return None


def _check_eks_endpoint(props: Props, _: ResourceValidationArgs) -> str | None:
    # FSBP EKS.1 fails any public endpoint, whatever CIDRs limit it.
    if (props.get("vpcConfig") or {}).get("endpointPublicAccess") is not False:
        return "the API endpoint must not be public (vpcConfig.endpointPublicAccess false)"
    return None


def _check_eks_secrets(props: Props, _: ResourceValidationArgs) -> str | None:
    config = props.get("encryptionConfig") or {}
    if "secrets" in (config.get("resources") or []) and (config.get("provider") or {}).get("keyArn"):
        return None
    return "Kubernetes secrets must be encrypted with a KMS key"


def _check_eks_logs(props: Props, _: ResourceValidationArgs) -> str | None:
    missing = {"api", "audit", "authenticator"} - set(props.get("enabledClusterLogTypes") or [])
    return f"control-plane logs missing: {', '.join(sorted(missing))}" if missing else None


def _behaviors(props: Props) -> list[Props]:
    return [props.get("defaultCacheBehavior") or {}, *(props.get("orderedCacheBehaviors") or [])]


def _check_cloudfront_https(props: Props, _: ResourceValidationArgs) -> str | None:
    if any(
        b.get("viewerProtocolPolicy") not in ("https-only", "redirect-to-https") for b in _behaviors(props)
    ):
        return "every cache behavior must redirect to or require HTTPS"
    minimum = (props.get("viewerCertificate") or {}).get("minimumProtocolVersion", "")
    return (
        None
        if str(minimum).startswith("TLSv1.2")
        else f"viewer TLS minimum must be TLSv1.2_*, got {minimum!r}"
    )


def _check_cloudfront_waf(props: Props, _: ResourceValidationArgs) -> str | None:
    return None if props.get("webAclId") else "the distribution must be associated with a WAF web ACL"


def _check_cloudfront_oac(props: Props, _: ResourceValidationArgs) -> str | None:
    for origin in props.get("origins") or []:
        if ".s3." in str(origin.get("domainName", "")) and not origin.get("originAccessControlId"):
            return f"S3 origin {origin.get('originId')} must use origin access control"
    return None


def _check_trail_multi_region(props: Props, _: ResourceValidationArgs) -> str | None:
    return None if props.get("isMultiRegionTrail") is True else "the trail must be multi-region"


def _check_trail_kms(props: Props, _: ResourceValidationArgs) -> str | None:
    return None if props.get("kmsKeyId") else "trail log files must be encrypted with a KMS key"


def _check_trail_validation(props: Props, _: ResourceValidationArgs) -> str | None:
    return None if props.get("enableLogFileValidation") is True else "log file validation must be enabled"


def _check_trail_cloudwatch(props: Props, _: ResourceValidationArgs) -> str | None:
    return None if props.get("cloudWatchLogsGroupArn") else "the trail must deliver to CloudWatch Logs"


def _check_guardduty(props: Props, _: ResourceValidationArgs) -> str | None:
    return None if props.get("enable", True) is True else "the GuardDuty detector must be enabled"


def _check_default_sg(props: Props, _: ResourceValidationArgs) -> str | None:
    return (
        "the default security group must have no rules"
        if props.get("ingress") or props.get("egress")
        else None
    )


WORLD = {"0.0.0.0/0", "::/0"}


def _check_open_ingress(props: Props, args: ResourceValidationArgs) -> str | None:
    """EC2.18/EC2.19: nothing takes traffic from the whole internet; the ALB takes CloudFront's prefix list.

    Rules written as their own resources count as much as inline ones."""
    if args.resource_type == SECURITY_GROUP:
        rules = props.get("ingress") or []
    elif args.resource_type == SG_RULE:
        rules = [props] if props.get("type") == "ingress" else []
    else:  # SG_INGRESS_RULE
        rules = [{"cidrBlocks": [props.get("cidrIpv4")], "ipv6CidrBlocks": [props.get("cidrIpv6")]}]
    for rule in rules:
        world = WORLD & {*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])}
        if world:
            return f"ingress from {sorted(world)[0]} is forbidden (the load balancer takes CloudFront only)"
    return None


def _check_kms_rotation(props: Props, _: ResourceValidationArgs) -> str | None:
    if props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return None
    return (
        None if props.get("enableKeyRotation") is True else "symmetric keys must rotate (enableKeyRotation)"
    )


def _check_ecr_scan(props: Props, _: ResourceValidationArgs) -> str | None:
    scanning = props.get("imageScanningConfiguration") or {}
    return None if scanning.get("scanOnPush") is True else "images must be scanned on push"


def _check_ecr_immutable(props: Props, _: ResourceValidationArgs) -> str | None:
    return None if props.get("imageTagMutability") == "IMMUTABLE" else "image tags must be immutable"


def _check_redis_backups(props: Props, _: ResourceValidationArgs) -> str | None:
    days = props.get("snapshotRetentionLimit") or 0
    return None if days >= 1 else "automatic backups must be kept (snapshotRetentionLimit >= 1)"


def _check_redis_minor_upgrades(props: Props, _: ResourceValidationArgs) -> str | None:
    return (
        None if props.get("autoMinorVersionUpgrade") in (True, "true") else "minor upgrades must be automatic"
    )


def _check_config_recorder(props: Props, _: ResourceValidationArgs) -> str | None:
    group = props.get("recordingGroup") or {}
    if group.get("allSupported") is not True or group.get("includeGlobalResourceTypes") is not True:
        return "the recorder must record every supported and global resource type"
    if "aws-service-role/config.amazonaws.com/" not in str(props.get("roleArn")):
        return "the recorder must use the AWS Config service-linked role"
    return None


# ---- Kubernetes ----


def restricted_pod_problems(pod: Props) -> list[str]:
    """The Pod Security Standard "restricted" profile (v1.30), plus a read-only root filesystem."""
    problems = []
    pod_sc = pod.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            problems.append(f"{flag} is forbidden")
    if any("hostPath" in volume for volume in pod.get("volumes") or []):
        problems.append("hostPath volumes are forbidden")
    for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        sc = container.get("securityContext") or {}
        name = container.get("name", "?")
        run_as_non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if run_as_non_root is not True:
            problems.append(f"{name}: runAsNonRoot must be true")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            problems.append(f"{name}: runAsUser 0 is forbidden")
        if sc.get("privileged"):
            problems.append(f"{name}: privileged is forbidden")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation must be false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{name}: capabilities must drop ALL")
        if set((sc.get("capabilities") or {}).get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: only NET_BIND_SERVICE may be added")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: readOnlyRootFilesystem must be true")
    return problems


def _check_pod_security(props: Props, args: ResourceValidationArgs) -> str | None:
    pod = POD_OWNERS[args.resource_type](props.get("spec") or {})
    if not isinstance(pod, Mapping):
        return None  # computed during preview
    problems = restricted_pod_problems(pod)
    return "; ".join(problems) if problems else None


# ---- Region ----


def _check_region(props: Props, args: ResourceValidationArgs) -> str | None:
    region = props.get("region") or (args.provider.props.get("region") if args.provider else None)
    if region is None:
        return (
            None  # unknown until the provider is configured; the stack's aws:region is checked by config.py
        )
    return None if region == REGION else f"data stores must live in {REGION}, found {region}"


RESOURCE_RULES = [
    _resource_rule(
        "s3-bucket-block-public-access",
        "S3.2/S3.3/S3.8",
        "buckets block every kind of public access",
        [ACCESS_BLOCK, ACCOUNT_ACCESS_BLOCK],
        _check_access_block,
    ),
    _resource_rule(
        "s3-bucket-no-public-acl",
        "S3.2/S3.3",
        "no bucket is granted to everyone by ACL",
        [BUCKET, "aws:s3/bucketAcl:BucketAcl"],
        _check_no_public_acl,
    ),
    _resource_rule(
        "s3-bucket-policy-not-public",
        "S3.2/S3.3",
        "no bucket policy allows everyone unconditionally",
        [BUCKET_POLICY],
        _check_no_public_grant,
    ),
    _resource_rule(
        "s3-bucket-tls-only",
        "S3.5",
        "bucket policies deny requests without TLS",
        [BUCKET_POLICY],
        _check_tls_only,
    ),
    _resource_rule(
        "s3-bucket-encrypted",
        "S3.17",
        "buckets encrypt objects by default (SSE-KMS or SSE-S3 for logs)",
        [BUCKET_ENCRYPTION],
        _check_bucket_encryption,
    ),
    _resource_rule(
        "rds-not-public", "RDS.2", "databases are not publicly accessible", [RDS], _check_rds_private
    ),
    _resource_rule("rds-encrypted", "RDS.3", "database storage is encrypted", [RDS], _check_rds_encrypted),
    _resource_rule(
        "rds-multi-az-in-production", "RDS.5", "production databases run Multi-AZ", [RDS], _check_rds_multi_az
    ),
    _resource_rule(
        "rds-deletion-protection-in-production",
        "RDS.8",
        "production databases are deletion protected",
        [RDS],
        _check_rds_deletion_protection,
    ),
    _resource_rule(
        "rds-backups",
        "RDS.11",
        "databases keep automatic backups for at least 7 days",
        [RDS],
        _check_rds_backups,
    ),
    _resource_rule(
        "rds-logs-to-cloudwatch", "RDS.9", "PostgreSQL logs go to CloudWatch Logs", [RDS], _check_rds_logs
    ),
    _resource_rule(
        "rds-force-ssl",
        "RDS.force_ssl",
        "PostgreSQL accepts TLS connections only",
        [RDS_PARAMETERS],
        _check_rds_force_ssl,
    ),
    _resource_rule(
        "elasticache-failover-in-production",
        "ElastiCache.3",
        "production Redis fails over automatically",
        [REDIS],
        _check_redis_failover,
    ),
    _resource_rule(
        "elasticache-at-rest",
        "ElastiCache.4",
        "Redis data is encrypted at rest",
        [REDIS],
        _check_redis_at_rest,
    ),
    _resource_rule(
        "elasticache-in-transit",
        "ElastiCache.5",
        "Redis traffic is encrypted and authenticated",
        [REDIS],
        _check_redis_in_transit,
    ),
    _resource_rule(
        "eks-private-endpoint",
        "EKS.1",
        "the cluster API is not open to the internet",
        [EKS],
        _check_eks_endpoint,
    ),
    _resource_rule(
        "eks-secrets-encrypted",
        "EKS.3",
        "Kubernetes secrets are envelope-encrypted with KMS",
        [EKS],
        _check_eks_secrets,
    ),
    _resource_rule(
        "eks-audit-logging",
        "EKS.8",
        "control-plane api, audit and authenticator logs are on",
        [EKS],
        _check_eks_logs,
    ),
    _resource_rule(
        "cloudfront-https",
        "CloudFront.3",
        "viewers use HTTPS with TLS 1.2 or later",
        [CLOUDFRONT],
        _check_cloudfront_https,
    ),
    _resource_rule(
        "cloudfront-waf",
        "CloudFront.6",
        "distributions are protected by WAF",
        [CLOUDFRONT],
        _check_cloudfront_waf,
    ),
    _resource_rule(
        "cloudfront-origin-access-control",
        "CloudFront.13",
        "S3 origins use origin access control",
        [CLOUDFRONT],
        _check_cloudfront_oac,
    ),
    _resource_rule(
        "cloudtrail-multi-region",
        "CloudTrail.1",
        "the trail records every region",
        [TRAIL],
        _check_trail_multi_region,
    ),
    _resource_rule(
        "cloudtrail-kms", "CloudTrail.2", "trail logs are encrypted with KMS", [TRAIL], _check_trail_kms
    ),
    _resource_rule(
        "cloudtrail-log-validation",
        "CloudTrail.4",
        "log file validation is on",
        [TRAIL],
        _check_trail_validation,
    ),
    _resource_rule(
        "cloudtrail-cloudwatch",
        "CloudTrail.5",
        "the trail streams to CloudWatch Logs",
        [TRAIL],
        _check_trail_cloudwatch,
    ),
    _resource_rule(
        "guardduty-enabled", "GuardDuty.1", "GuardDuty detectors are enabled", [DETECTOR], _check_guardduty
    ),
    _resource_rule(
        "ec2-default-sg-closed",
        "EC2.2",
        "the default security group allows no traffic",
        [DEFAULT_SG],
        _check_default_sg,
    ),
    _resource_rule(
        "ec2-no-open-ingress",
        "EC2.18/EC2.19",
        "no security group or rule takes traffic from the whole internet",
        [SECURITY_GROUP, SG_RULE, SG_INGRESS_RULE],
        _check_open_ingress,
    ),
    _resource_rule("kms-rotation", "KMS.4", "customer keys rotate yearly", [KMS_KEY], _check_kms_rotation),
    _resource_rule(
        "ecr-scan-on-push", "ECR.1", "images are scanned on push", [ECR_REPOSITORY], _check_ecr_scan
    ),
    _resource_rule(
        "ecr-immutable-tags", "ECR.2", "image tags are immutable", [ECR_REPOSITORY], _check_ecr_immutable
    ),
    _resource_rule(
        "elasticache-backups", "ElastiCache.1", "Redis keeps automatic backups", [REDIS], _check_redis_backups
    ),
    _resource_rule(
        "elasticache-minor-upgrades",
        "ElastiCache.2",
        "Redis takes minor version upgrades",
        [REDIS],
        _check_redis_minor_upgrades,
    ),
    _resource_rule(
        "config-recorder",
        "Config.1",
        "Config records everything through its service-linked role",
        [CONFIG_RECORDER],
        _check_config_recorder,
    ),
    _resource_rule(
        "pod-security-restricted",
        "PSS restricted",
        "every pod meets the restricted profile",
        POD_OWNERS,
        _check_pod_security,
    ),
    _resource_rule(
        "data-in-af-south-1", "Data residency", f"data stores live in {REGION}", DATA_STORES, _check_region
    ),
]


# ---- Stack rules: relations between resources ----


def _by_type(resources: list[PolicyResource], type_: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == type_]


def _bucket_ids(resources: list[PolicyResource]) -> dict[str, PolicyResource]:
    return {str(r.props.get("bucket") or r.props.get("id")): r for r in _by_type(resources, BUCKET)}


def _stack_rule(
    name: str,
    control: str,
    description: str,
    check: Callable[[list[PolicyResource]], list[tuple[str, str | None]]],
):
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for message, urn in check(list(args.resources)):
            report(f"[{control}] {message}", urn)

    return StackValidationPolicy(
        name=name, description=f"{control}: {description}", validate=validate, enforcement_level=MANDATORY
    )


def _every_bucket_has(
    type_: str, what: str
) -> Callable[[list[PolicyResource]], list[tuple[str, str | None]]]:
    def check(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
        covered = {str(r.props.get("bucket")) for r in _by_type(resources, type_)}
        return [
            (f"bucket {name} has no {what}", r.urn)
            for name, r in _bucket_ids(resources).items()
            if name not in covered and not _is_log_bucket_exempt(type_, r)
        ]

    return check


def _is_log_bucket_exempt(type_: str, bucket: PolicyResource) -> bool:
    # The logs bucket cannot log into itself; every other bucket logs into it.
    return type_ == BUCKET_LOGGING and (bucket.props.get("tags") or {}).get("Purpose") == "logs"


def _account_block(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    if _by_type(resources, BUCKET) and not _by_type(resources, ACCOUNT_ACCESS_BLOCK):
        return [("the account-level S3 public access block is not managed by this stack", None)]
    return []


def _buckets_use_kms(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    """S3.17 is about KMS keys: SSE-S3 passes only for the bucket ALB access logs need (they accept nothing
    else), recognised by its Purpose tag."""
    buckets = _bucket_ids(resources)
    problems: list[tuple[str, str | None]] = []
    for config in _by_type(resources, BUCKET_ENCRYPTION):
        bucket = buckets.get(str(config.props.get("bucket")))
        rules = config.props.get("rules") or []
        algorithms = {(r.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for r in rules}
        exempt = bucket is not None and (bucket.props.get("tags") or {}).get("Purpose") == "alb-logs"
        if not algorithms <= {"aws:kms", "aws:kms:dsse"} and not exempt:
            problems.append(
                (f"bucket {config.props.get('bucket')} is not encrypted with a KMS key", config.urn)
            )
    return problems


def _db_subnets_private(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    subnets = {str(r.props.get("id")): r for r in _by_type(resources, SUBNET)}
    problems: list[tuple[str, str | None]] = []
    for group in _by_type(resources, RDS_SUBNETS):
        for subnet_id in group.props.get("subnetIds") or []:
            subnet = subnets.get(str(subnet_id))
            if subnet and (
                (subnet.props.get("tags") or {}).get("Tier") == "public"
                or subnet.props.get("mapPublicIpOnLaunch")
            ):
                problems.append((f"DB subnet group uses public subnet {subnet.name}", group.urn))
    return problems


def _vpc_hygiene(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    problems: list[tuple[str, str | None]] = []
    default_sg_vpcs = {str(r.props.get("vpcId")) for r in _by_type(resources, DEFAULT_SG)}
    flow_log_vpcs = {str(r.props.get("vpcId")) for r in _by_type(resources, FLOW_LOG)}
    for vpc in _by_type(resources, VPC):
        vpc_id = str(vpc.props.get("id"))
        if vpc_id not in default_sg_vpcs:
            problems.append((f"VPC {vpc.name} leaves its default security group unmanaged (EC2.2)", vpc.urn))
        if vpc_id not in flow_log_vpcs:
            problems.append((f"VPC {vpc.name} has no flow log (EC2.6)", vpc.urn))
    return problems


def _ecr_lifecycle(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    covered = {str(r.props.get("repository")) for r in _by_type(resources, ECR_LIFECYCLE)}
    return [
        (f"repository {r.props.get('name')} has no lifecycle policy", r.urn)
        for r in _by_type(resources, ECR_REPOSITORY)
        if str(r.props.get("name")) not in covered
    ]


def _config_enabled(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    recording = [r for r in _by_type(resources, CONFIG_RECORDER_STATUS) if r.props.get("isEnabled") is True]
    return (
        [] if _by_type(resources, CONFIG_RECORDER) and recording else [("AWS Config is not recording", None)]
    )


def _ebs_default_encryption(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    enabled = [r for r in _by_type(resources, EBS_DEFAULT_ENCRYPTION) if r.props.get("enabled", True) is True]
    return [] if enabled else [("EBS encryption by default is not enabled in the region", None)]


def _waf_logging(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    logged = {str(r.props.get("resourceArn")) for r in _by_type(resources, WEB_ACL_LOGGING)}
    return [
        (f"web ACL {r.name} does not log", r.urn)
        for r in _by_type(resources, WEB_ACL)
        if str(r.props.get("arn")) not in logged
    ]


def _guardduty_present(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    return [] if _by_type(resources, DETECTOR) else [("the stack's account has no GuardDuty detector", None)]


STACK_RULES = [
    _stack_rule(
        "s3-account-public-access-block", "S3.1", "the account blocks public S3 access", _account_block
    ),
    _stack_rule(
        "s3-every-bucket-blocks-public-access",
        "S3.8",
        "every bucket has a public access block",
        _every_bucket_has(ACCESS_BLOCK, "public access block"),
    ),
    _stack_rule(
        "s3-every-bucket-tls-only",
        "S3.5",
        "every bucket has a TLS-only policy",
        _every_bucket_has(BUCKET_POLICY, "bucket policy"),
    ),
    _stack_rule(
        "s3-every-bucket-encrypted",
        "S3.17",
        "every bucket has default encryption",
        _every_bucket_has(BUCKET_ENCRYPTION, "default encryption"),
    ),
    _stack_rule("s3-buckets-use-kms", "S3.17", "buckets are encrypted with KMS keys", _buckets_use_kms),
    _stack_rule(
        "s3-every-bucket-logs-access",
        "S3.9",
        "every bucket (but the log bucket) has access logging",
        _every_bucket_has(BUCKET_LOGGING, "server access logging"),
    ),
    _stack_rule(
        "rds-private-subnets",
        "RDS.46",
        "databases sit in subnets without internet routes",
        _db_subnets_private,
    ),
    _stack_rule(
        "vpc-default-sg-and-flow-logs",
        "EC2.2/EC2.6",
        "every VPC closes its default SG and logs flows",
        _vpc_hygiene,
    ),
    _stack_rule("guardduty-present", "GuardDuty.1", "the account runs GuardDuty", _guardduty_present),
    _stack_rule("ecr-lifecycle", "ECR.3", "every repository has a lifecycle policy", _ecr_lifecycle),
    _stack_rule("config-enabled", "Config.1", "AWS Config records in the account", _config_enabled),
    _stack_rule("ebs-default-encryption", "EC2.7", "new EBS volumes are encrypted", _ebs_default_encryption),
    _stack_rule("waf-logging", "WAF.11", "every web ACL logs its decisions", _waf_logging),
]

ALL_RULES = [*RESOURCE_RULES, *STACK_RULES]
