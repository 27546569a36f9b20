"""The policy pack: every rule against a passing and a violating fixture, then the pack over each stack."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from infra_harness import STACKS, policy_resources, stack_run
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from infra.policy import rules

OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
AF = PolicyProviderResource("pulumi:providers:aws", {"region": "af-south-1"}, "p", "p")
PROD = {"Environment": "production"}
POD = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [
        {
            "name": "app",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ],
}
TLS_POLICY = (
    '{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",'
    ' "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}'
)


def _bad_pod() -> dict[str, Any]:
    pod = copy.deepcopy(POD)
    pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    return pod


# rule name -> (resource type, passing props, violating props)
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "s3-bucket-block-public-access": (
        rules.ACCESS_BLOCK,
        {
            k: True
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        },
        {
            "blockPublicAcls": True,
            "blockPublicPolicy": False,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    ),
    "s3-bucket-no-public-acl": (rules.BUCKET, {"acl": "private"}, {"acl": "public-read"}),
    "s3-bucket-policy-not-public": (
        rules.BUCKET_POLICY,
        {"policy": TLS_POLICY},
        {"policy": '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}'},
    ),
    "s3-bucket-tls-only": (rules.BUCKET_POLICY, {"policy": TLS_POLICY}, {"policy": '{"Statement": []}'}),
    "s3-bucket-encrypted": (
        rules.BUCKET_ENCRYPTION,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
        {"rules": []},
    ),
    "rds-not-public": (rules.RDS, {"publiclyAccessible": False}, {"publiclyAccessible": True}),
    "rds-encrypted": (rules.RDS, {"storageEncrypted": True}, {"storageEncrypted": False}),
    "rds-multi-az-in-production": (
        rules.RDS,
        {"tags": PROD, "multiAz": True},
        {"tags": PROD, "multiAz": False},
    ),
    "rds-deletion-protection-in-production": (
        rules.RDS,
        {"tags": PROD, "deletionProtection": True},
        {"tags": PROD, "deletionProtection": False},
    ),
    "rds-backups": (rules.RDS, {"backupRetentionPeriod": 7}, {"backupRetentionPeriod": 1}),
    "rds-logs-to-cloudwatch": (
        rules.RDS,
        {"engine": "postgres", "enabledCloudwatchLogsExports": ["postgresql"]},
        {"engine": "postgres", "enabledCloudwatchLogsExports": []},
    ),
    "rds-force-ssl": (
        rules.RDS_PARAMETERS,
        {"family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
        {"family": "postgres16", "parameters": []},
    ),
    "elasticache-failover-in-production": (
        rules.REDIS,
        {"tags": PROD, "automaticFailoverEnabled": True},
        {"tags": PROD, "automaticFailoverEnabled": False},
    ),
    "elasticache-at-rest": (
        rules.REDIS,
        {"atRestEncryptionEnabled": True},
        {"atRestEncryptionEnabled": False},
    ),
    "elasticache-in-transit": (
        rules.REDIS,
        {"transitEncryptionEnabled": True, "authToken": "secret"},
        {"transitEncryptionEnabled": True},
    ),
    "eks-private-endpoint": (
        rules.EKS,
        {"vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False}},
        # FSBP EKS.1 fails a public endpoint even when CIDRs limit it.
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["196.188.0.10/32"]}},
    ),
    "eks-secrets-encrypted": (
        rules.EKS,
        {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:k"}}},
        {"encryptionConfigKeyArn": "arn:aws:kms:k"},  # a flat component-style input, not the cluster's
    ),
    "eks-audit-logging": (
        rules.EKS,
        {"enabledClusterLogTypes": ["api", "audit", "authenticator"]},
        {"enabledClusterLogTypes": ["api"]},
    ),
    "cloudfront-https": (
        rules.CLOUDFRONT,
        {
            "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"},
            "viewerCertificate": {"minimumProtocolVersion": "TLSv1.2_2021"},
        },
        {
            "defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"},
            "viewerCertificate": {"minimumProtocolVersion": "TLSv1.2_2021"},
        },
    ),
    "cloudfront-waf": (rules.CLOUDFRONT, {"webAclId": "arn:aws:wafv2:acl"}, {}),
    "cloudfront-origin-access-control": (
        rules.CLOUDFRONT,
        {
            "origins": [
                {"originId": "a", "domainName": "b.s3.af-south-1.amazonaws.com", "originAccessControlId": "o"}
            ]
        },
        {"origins": [{"originId": "a", "domainName": "b.s3.af-south-1.amazonaws.com"}]},
    ),
    "cloudtrail-multi-region": (rules.TRAIL, {"isMultiRegionTrail": True}, {"isMultiRegionTrail": False}),
    "cloudtrail-kms": (rules.TRAIL, {"kmsKeyId": "arn:aws:kms:k"}, {}),
    "cloudtrail-log-validation": (rules.TRAIL, {"enableLogFileValidation": True}, {}),
    "cloudtrail-cloudwatch": (rules.TRAIL, {"cloudWatchLogsGroupArn": "arn:aws:logs:g:*"}, {}),
    "guardduty-enabled": (rules.DETECTOR, {"enable": True}, {"enable": False}),
    "ec2-default-sg-closed": (
        rules.DEFAULT_SG,
        {"ingress": [], "egress": []},
        {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.0.0.0/8"]}]},
    ),
    "ec2-no-open-ingress": (
        rules.SECURITY_GROUP,
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "prefixListIds": ["pl-c6a54faf"]}]},
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]},
    ),
    "kms-rotation": (rules.KMS_KEY, {"enableKeyRotation": True}, {"enableKeyRotation": False}),
    "ecr-scan-on-push": (
        rules.ECR_REPOSITORY,
        {"imageScanningConfiguration": {"scanOnPush": True}},
        {"imageScanningConfiguration": {"scanOnPush": False}},
    ),
    "ecr-immutable-tags": (
        rules.ECR_REPOSITORY,
        {"imageTagMutability": "IMMUTABLE"},
        {"imageTagMutability": "MUTABLE"},
    ),
    "elasticache-backups": (rules.REDIS, {"snapshotRetentionLimit": 1}, {"snapshotRetentionLimit": 0}),
    "elasticache-minor-upgrades": (
        rules.REDIS,
        {"autoMinorVersionUpgrade": True},
        {"autoMinorVersionUpgrade": False},
    ),
    "config-recorder": (
        rules.CONFIG_RECORDER,
        {
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            "roleArn": "arn:aws:iam::1:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        },
        {
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            "roleArn": "arn:aws:iam::1:role/config",
        },
    ),
    "pod-security-restricted": (
        "kubernetes:apps/v1:Deployment",
        {"spec": {"template": {"spec": POD}}},
        {"spec": {"template": {"spec": _bad_pod()}}},
    ),
    "data-in-af-south-1": (rules.RDS, {"region": "af-south-1"}, {"region": "eu-west-1"}),
}


def _validate(name: str, type_: str, props: dict[str, Any]) -> list[str]:
    policy = next(p for p in rules.RESOURCE_RULES if p.name == name)
    violations: list[str] = []
    args = ResourceValidationArgs(type_, props, f"urn:{name}", name, OPTS, AF)
    policy.validate(args, lambda message, urn=None: violations.append(message))
    return violations


def test_rollout_pods_are_held_to_the_restricted_standard_too() -> None:
    rollout = "kubernetes:argoproj.io/v1alpha1:Rollout"
    assert _validate("pod-security-restricted", rollout, {"spec": {"template": {"spec": POD}}}) == []
    assert _validate("pod-security-restricted", rollout, {"spec": {"template": {"spec": _bad_pod()}}})


def test_every_resource_rule_has_fixtures() -> None:
    assert {p.name for p in rules.RESOURCE_RULES} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_resource_rule(name: str) -> None:
    type_, good, bad = CASES[name]
    assert _validate(name, type_, good) == []
    violations = _validate(name, type_, bad)
    assert violations and violations[0].startswith("["), violations  # every message names its control


def test_every_rule_names_its_control() -> None:
    for policy in rules.ALL_RULES:
        assert policy.enforcement_level == rules.MANDATORY
        control = policy.description.split(":")[0]
        assert control and control != policy.description, policy.name


def _resource(type_: str, name: str, props: dict[str, Any]) -> PolicyResource:
    return PolicyResource(type_, props, f"urn:{name}", name, OPTS, AF, None, [], {})


def _stack_violations(name: str, resources: list[PolicyResource]) -> list[str]:
    policy = next(p for p in rules.STACK_RULES if p.name == name)
    violations: list[str] = []
    policy.validate(StackValidationArgs(resources), lambda message, urn=None: violations.append(message))
    return violations


BUCKET = _resource(rules.BUCKET, "b", {"bucket": "b", "tags": {"Purpose": "products"}})
STACK_CASES: dict[str, tuple[list[PolicyResource], list[PolicyResource]]] = {
    "s3-account-public-access-block": ([BUCKET, _resource(rules.ACCOUNT_ACCESS_BLOCK, "a", {})], [BUCKET]),
    "s3-every-bucket-blocks-public-access": (
        [BUCKET, _resource(rules.ACCESS_BLOCK, "p", {"bucket": "b"})],
        [BUCKET],
    ),
    "s3-every-bucket-tls-only": ([BUCKET, _resource(rules.BUCKET_POLICY, "p", {"bucket": "b"})], [BUCKET]),
    "s3-every-bucket-encrypted": (
        [BUCKET, _resource(rules.BUCKET_ENCRYPTION, "e", {"bucket": "b"})],
        [BUCKET],
    ),
    "s3-every-bucket-logs-access": (
        [BUCKET, _resource(rules.BUCKET_LOGGING, "l", {"bucket": "b"})],
        [BUCKET],
    ),
    "rds-private-subnets": (
        [
            _resource(rules.SUBNET, "s", {"id": "s1", "tags": {"Tier": "data"}}),
            _resource(rules.RDS_SUBNETS, "g", {"subnetIds": ["s1"]}),
        ],
        [
            _resource(rules.SUBNET, "s", {"id": "s1", "tags": {"Tier": "public"}}),
            _resource(rules.RDS_SUBNETS, "g", {"subnetIds": ["s1"]}),
        ],
    ),
    "vpc-default-sg-and-flow-logs": (
        [
            _resource(rules.VPC, "v", {"id": "v1"}),
            _resource(rules.DEFAULT_SG, "d", {"vpcId": "v1"}),
            _resource(rules.FLOW_LOG, "f", {"vpcId": "v1"}),
        ],
        [_resource(rules.VPC, "v", {"id": "v1"}), _resource(rules.FLOW_LOG, "f", {"vpcId": "v1"})],
    ),
    "guardduty-present": ([_resource(rules.DETECTOR, "d", {"enable": True})], []),
    "s3-buckets-use-kms": (
        [
            BUCKET,
            _resource(
                rules.BUCKET_ENCRYPTION,
                "e",
                {
                    "bucket": "b",
                    "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
                },
            ),
            _resource(rules.BUCKET, "a", {"bucket": "a", "tags": {"Purpose": "alb-logs"}}),
            _resource(
                rules.BUCKET_ENCRYPTION,
                "ea",
                {
                    "bucket": "a",
                    "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
                },
            ),
        ],
        [
            BUCKET,
            _resource(
                rules.BUCKET_ENCRYPTION,
                "e",
                {
                    "bucket": "b",
                    "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
                },
            ),
        ],
    ),
    "ecr-lifecycle": (
        [
            _resource(rules.ECR_REPOSITORY, "r", {"name": "x/storefront"}),
            _resource(rules.ECR_LIFECYCLE, "l", {"repository": "x/storefront"}),
        ],
        [_resource(rules.ECR_REPOSITORY, "r", {"name": "x/storefront"})],
    ),
    "config-enabled": (
        [
            _resource(rules.CONFIG_RECORDER, "r", {}),
            _resource(rules.CONFIG_RECORDER_STATUS, "s", {"isEnabled": True}),
        ],
        [_resource(rules.CONFIG_RECORDER, "r", {})],
    ),
    "ebs-default-encryption": ([_resource(rules.EBS_DEFAULT_ENCRYPTION, "e", {"enabled": True})], []),
    "waf-logging": (
        [
            _resource(rules.WEB_ACL, "w", {"arn": "arn:waf:1"}),
            _resource(rules.WEB_ACL_LOGGING, "l", {"resourceArn": "arn:waf:1"}),
        ],
        [_resource(rules.WEB_ACL, "w", {"arn": "arn:waf:1"})],
    ),
    "secretsmanager-rotation": (
        [
            _resource(rules.RDS, "db", {"manageMasterUserPassword": True}),
            _resource(rules.RDS, "replica", {"replicateSourceDb": "db"}),
            _resource(rules.SECRET, "s", {"name": "windsurf/dev/redis-auth"}),
            _resource(rules.SECRET, "r", {"name": "windsurf/dev/reports", "arn": "arn:secret:r"}),
            _resource(rules.SECRET_ROTATION, "rr", {"secretId": "arn:secret:r"}),
        ],
        [_resource(rules.RDS, "db", {"password": "hunter2-but-longer"})],
    ),
}


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (rules.SG_RULE, {"type": "ingress", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}),
        (rules.SG_INGRESS_RULE, {"fromPort": 5432, "toPort": 5432, "cidrIpv6": "::/0"}),
    ],
)
def test_security_group_rules_written_as_their_own_resources_are_checked(type_: str, props: dict) -> None:
    assert _validate("ec2-no-open-ingress", type_, props)
    assert (
        _validate("ec2-no-open-ingress", type_, {**props, "cidrBlocks": ["10.0.0.0/8"], "cidrIpv6": None})
        == []
    )


def test_every_stack_rule_has_fixtures() -> None:
    assert {p.name for p in rules.STACK_RULES} == set(STACK_CASES)


@pytest.mark.parametrize("name", sorted(STACK_CASES))
def test_stack_rule(name: str) -> None:
    good, bad = STACK_CASES[name]
    assert _stack_violations(name, good) == []
    assert _stack_violations(name, bad)


def test_a_non_rotating_secret_holding_database_credentials_fails_secretsmanager_1() -> None:
    database = _resource(rules.RDS, "db", {"manageMasterUserPassword": True})
    credentials = '{"engine": "postgres", "username": "reporting", "password": "s3cr3t"}'
    secret = _resource(rules.SECRET, "reporting", {"name": "windsurf/production/reporting-database"})
    value = _resource(rules.SECRET_VERSION, "v", {"secretId": "reporting", "secretString": credentials})
    violations = _stack_violations("secretsmanager-rotation", [database, secret, value])
    assert violations == ["[SecretsManager.1] secret windsurf/production/reporting-database does not rotate"]
    rotation = _resource(rules.SECRET_ROTATION, "rot", {"secretId": "windsurf/production/reporting-database"})
    assert _stack_violations("secretsmanager-rotation", [database, secret, value, rotation]) == []


def test_every_rotation_exemption_gives_its_reason() -> None:
    assert all(len(reason) > 40 for reason in rules.UNROTATED_SECRETS.values())


def test_restricted_pod_rule_rejects_host_access() -> None:
    pod = {**copy.deepcopy(POD), "hostNetwork": True, "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
    problems = rules.restricted_pod_problems(pod)
    assert "hostNetwork is forbidden" in problems and "hostPath volumes are forbidden" in problems


@pytest.mark.parametrize("stack", STACKS)
def test_whole_pack_passes_on_every_resource_of_the_stack(stack: str) -> None:
    resources = policy_resources(stack_run(stack))
    violations: list[str] = []
    for resource in resources:
        args = ResourceValidationArgs(
            resource.resource_type, resource.props, resource.urn, resource.name, OPTS, resource.provider
        )
        for policy in rules.RESOURCE_RULES:
            policy.validate(
                args, lambda message, urn=None, r=resource: violations.append(f"{r.name}: {message}")
            )
    for policy in rules.STACK_RULES:
        policy.validate(StackValidationArgs(resources), lambda message, urn=None: violations.append(message))
    assert violations == []
    checked = {r.resource_type for r in resources}
    assert {
        rules.RDS,
        rules.REDIS,
        rules.EKS,
        rules.CLOUDFRONT,
        rules.TRAIL,
        rules.BUCKET,
        rules.ECR_REPOSITORY,
        rules.CONFIG_RECORDER,
        rules.WEB_ACL,
        rules.SECRET,
    } <= checked
    # SecretsManager.1 passes because the exemptions name what the stack writes, not because nothing is there.
    secrets = {
        str(r.props.get("name")).rsplit("/", 1)[-1] for r in resources if r.resource_type == rules.SECRET
    }
    assert {"database-admin", "redis-auth", "migrate"} <= secrets <= set(rules.UNROTATED_SECRETS)
