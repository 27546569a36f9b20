"""One test per defect a review of the first infrastructure found (issue 11, numbered as there). Each one fails on
the code before the fix; the infra-app contract (test_contract.py) holds the rest."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from infra_harness import ROOT, STACKS, released_run, stack_run

from windsurf.settings import Settings

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROLLOUT_KIND = "kubernetes:argoproj.io/v1alpha1:Rollout"
RELEASE = "kubernetes:helm.sh/v3:Release"
DOC = (ROOT / "docs" / "infra.md").read_text()


def _policy(resource: Any) -> dict[str, Any]:
    return json.loads(resource.inputs["policy"])


# 1. Web pods bind 127.0.0.1.
def test_1_the_image_listens_on_every_interface() -> None:
    text = (ROOT / "Dockerfile").read_text().split("AS runtime", 1)[1]
    env = dict(re.findall(r"\b(WINDSURF_\w+)=(\S+)", text))
    settings = Settings.from_env({**env, "WINDSURF_ENV": "development"})
    assert settings.host == "0.0.0.0" and settings.port == 8000  # noqa: S104


# 3. Routing: origin.<domain> must not bypass WAF.
@pytest.mark.parametrize("stack", STACKS)
def test_3_the_origin_takes_only_cloudfront_requests_carrying_the_secret(stack: str) -> None:
    run = released_run(stack)
    origin = run.of_type("aws:cloudfront/distribution:Distribution")[0].inputs["origins"][0]
    header = origin["customHeaders"][0]
    annotations = run.of_type("kubernetes:networking.k8s.io/v1:Ingress")[0].inputs["metadata"]["annotations"]
    conditions = {k: json.loads(v) for k, v in annotations.items() if "/conditions." in k}
    assert {k.rsplit(".", 1)[1] for k in conditions} == {
        "identity",
        "builder",
        "payments",
        "storefront-stable",  # the action Argo Rollouts writes
    }
    for condition in conditions.values():
        assert condition[0]["httpHeaderConfig"] == {
            "httpHeaderName": header["name"],
            "values": [header["value"]],
        }
    secret = json.loads(
        run.one("aws:secretsmanager/secretVersion:SecretVersion", "secrets-storefront-value").inputs[
            "secretString"
        ]
    )
    assert secret["WINDSURF_EDGE_SECRET"] == header["value"] and len(header["value"]) >= 32
    policy = run.of_type("aws:cloudfront/originRequestPolicy:OriginRequestPolicy")[0].inputs
    assert "CloudFront-Viewer-Address" in policy["headersConfig"]["headers"]["items"]


# 5. Bootstrap.
@pytest.mark.parametrize("stack", STACKS)
def test_5_a_first_up_before_any_image_exists_pulls_nothing(stack: str) -> None:
    run = stack_run(stack)  # the committed stack: every tag still `bootstrap`, the registry empty
    assert not run.of_type("kubernetes:batch/v1:Job")
    for deployment in [*run.of_type(DEPLOYMENT), *run.of_type(ROLLOUT_KIND)]:
        assert deployment.inputs["spec"]["replicas"] == 0, deployment.name
    assert run.outputs["migrationStatus"] == "not-released"


def test_5_the_runbook_covers_the_opt_in_region_zones_images_and_never_targets_a_partial_graph() -> None:
    runbook = DOC.split("## Runbook", 1)[1]
    assert "aws account enable-region --region-name af-south-1" in runbook
    assert "nameServers" in runbook and "bootstrap" in runbook
    # A targeted `up` leaves out what the target depends on (the registry's KMS key, once): none in the runbook.
    assert not re.search(r"pulumi (up|preview)[^`\n]*--target", runbook)


@pytest.mark.parametrize("stack", STACKS)
def test_5_zones_are_the_stack_s_own_not_placeholders(stack: str) -> None:
    run = stack_run(stack)
    zone = run.one("aws:route53/zone:Zone", "zone")
    assert zone.inputs["name"] == run.config["windsurf:domain"]
    records = run.of_type("aws:route53/record:Record")
    assert records and {r.inputs["zoneId"] for r in records} == {zone.outputs["zoneId"]}
    assert run.outputs["nameServers"] == zone.outputs["nameServers"]
    assert not any("hostedZoneId" in key for key in run.config)


@pytest.mark.parametrize("stack", STACKS)
def test_5_dev_tears_down_and_production_keeps_its_data(stack: str) -> None:
    run = stack_run(stack)
    dev = stack == "dev"
    for bucket in run.of_type("aws:s3/bucket:Bucket"):
        assert bool(bucket.inputs.get("forceDestroy")) is dev, bucket.name
    for repository in run.of_type("aws:ecr/repository:Repository"):
        assert bool(repository.inputs.get("forceDelete")) is dev, repository.name
    for secret in run.of_type("aws:secretsmanager/secret:Secret"):
        assert (secret.inputs["recoveryWindowInDays"] == 0) is dev, secret.name


# 7. Capacity: node autoscaling, metrics for the HPAs, volumes for Grafana and Prometheus.
@pytest.mark.parametrize("stack", STACKS)
def test_7_the_cluster_can_grow_measure_and_bind_volumes(stack: str) -> None:
    run = released_run(stack)
    charts = {r.inputs["chart"]: r for r in run.of_type(RELEASE)}
    assert (
        run.config["windsurf:environment"]
        in charts["cluster-autoscaler"].inputs["values"]["autoDiscovery"]["clusterName"]
    )
    addons = {r.inputs["addonName"]: r.inputs for r in run.of_type("aws:eks/addon:Addon")}
    assert {"metrics-server", "aws-ebs-csi-driver"} <= set(addons)
    assert addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"].startswith("arn:aws:iam::")
    classes = run.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert [
        c.inputs["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] for c in classes
    ] == ["true"]
    assert classes[0].inputs["provisioner"] == "ebs.csi.aws.com"
    grafana = charts["kube-prometheus-stack"].inputs["values"]["grafana"]
    assert grafana["persistence"]["storageClassName"] == classes[0].inputs["metadata"]["name"]
    group = run.of_type("aws:eks/nodeGroup:NodeGroup")[0].inputs
    assert group["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"


# 8. Ordering: releases wait for nodes, namespaces and the load balancer controller's webhook.
@pytest.mark.parametrize("stack", STACKS)
def test_8_releases_and_workloads_wait_for_nodes_namespaces_and_the_lb_webhook(stack: str) -> None:
    run = released_run(stack)
    node_group = run.of_type("aws:eks/nodeGroup:NodeGroup")[0].urn
    namespaces = {r.inputs["metadata"]["name"]: r.urn for r in run.of_type("kubernetes:core/v1:Namespace")}
    lb = next(r for r in run.of_type(RELEASE) if r.inputs["chart"] == "aws-load-balancer-controller")
    for release in run.of_type(RELEASE):
        waits_for = run.depends_on(release)
        assert node_group in waits_for, release.name
        if release.inputs["namespace"] in namespaces:
            assert namespaces[release.inputs["namespace"]] in waits_for, release.name
        if release is not lb:
            assert lb.urn in waits_for, release.name
    for deployment in [*run.of_type(DEPLOYMENT), *run.of_type(ROLLOUT_KIND)]:
        waits_for = run.depends_on(deployment)
        assert {node_group, lb.urn, namespaces[deployment.inputs["metadata"]["namespace"]]} <= waits_for


# 9. AWS details.
@pytest.mark.parametrize("stack", STACKS)
def test_9_lifecycle_rules_never_expire_on_or_before_they_transition(stack: str) -> None:
    for config in stack_run(stack).of_type(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ):
        for rule in config.inputs["rules"]:
            if "transitions" in rule and "expiration" in rule:
                last = max(t["days"] for t in rule["transitions"])
                assert rule["expiration"]["days"] >= last + 90, (
                    config.name,
                    rule["id"],
                )  # GLACIER_IR minimum


def test_9_config_delivers_to_a_bucket_that_lets_it_write() -> None:
    run = stack_run("dev")
    recorder = run.of_type("aws:cfg/recorder:Recorder")[0].inputs
    role = run.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")[0]
    assert (
        role.inputs["awsServiceName"] == "config.amazonaws.com" and recorder["roleArn"] == role.outputs["arn"]
    )
    channel = run.of_type("aws:cfg/deliveryChannel:DeliveryChannel")[0].inputs
    bucket = next(
        b for b in run.of_type("aws:s3/bucket:Bucket") if b.outputs["bucket"] == channel["s3BucketName"]
    )
    policy = next(
        p
        for p in run.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if p.inputs["bucket"] == bucket.outputs["id"]
    )
    key = f"{bucket.outputs['arn']}/{channel['s3KeyPrefix']}/AWSLogs/111122223333/Config/af-south-1/x.json.gz"
    granted = [
        s
        for s in _policy(policy)["Statement"]
        if s["Effect"] == "Allow"
        and "config.amazonaws.com" in str(s["Principal"])
        and "s3:PutObject" in str(s["Action"])
        and any(
            re.fullmatch(r.replace("*", ".*"), key)
            for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
        )
    ]
    assert granted


def test_9_cloudtrail_may_describe_its_key_without_an_encryption_context() -> None:
    run = stack_run("dev")
    key = run.one("aws:kms/key:Key", "windsurf-dev-cloudtrail")
    for statement in _policy(key)["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if (
            statement.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
            and "kms:DescribeKey" in actions
        ):
            assert "kms:EncryptionContext" not in json.dumps(statement.get("Condition", {}))
            break
    else:
        raise AssertionError("CloudTrail cannot describe its key")


def test_9_waf_lets_uploads_through_and_still_limits_bodies_elsewhere() -> None:
    acl = stack_run("dev").of_type("aws:wafv2/webAcl:WebAcl")[0].inputs
    common = next(r for r in acl["rules"] if r["name"] == "AWSManagedRulesCommonRuleSet")
    overrides = common["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert overrides == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
    oversized = next(r for r in acl["rules"] if r["name"] == "oversized-body-outside-uploads")
    assert oversized["priority"] > common["priority"] and "block" in oversized["action"]
    paths = json.dumps(oversized["statement"])
    assert "/dashboard/" in paths and "SizeRestrictions_Body" in paths


# 11. CI cannot reach the cluster.
@pytest.mark.parametrize("stack", STACKS)
def test_11_the_deployer_runs_inside_the_vpc_with_cluster_access(stack: str) -> None:
    run = stack_run(stack)
    cluster = run.of_type("aws:eks/cluster:Cluster")[0].inputs
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    project = run.of_type("aws:codebuild/project:Project")[0].inputs
    private = {
        r.outputs["id"] for r in run.of_type("aws:ec2/subnet:Subnet") if r.inputs["tags"]["Tier"] == "private"
    }
    assert set(project["vpcConfig"]["subnets"]) == private
    deployer_role = run.one("aws:iam/role:Role", "deployer-role").outputs["arn"]
    admins = {
        a.inputs["principalArn"]
        for a in run.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    assert admins == {deployer_role, *run.config["windsurf:clusterAdminRoleArns"]}
    hook = run.of_type("aws:codebuild/webhook:Webhook")[0].inputs
    assert hook["filterGroups"][0]["filters"][0]["pattern"] == "WORKFLOW_JOB_QUEUED"


# 12. Release state: exported by the stack for the next run (the automation side: test_automation.py).
def test_12_the_stack_exports_its_release_state() -> None:
    run = released_run("staging")
    assert run.outputs["release"] == {"imageTag": "v1", "previousImageTag": "v0"}
    assert run.outputs["rollouts"] == ["identity", "builder", "payments", "storefront"]


def test_the_smoke_analysis_asks_each_preview_service_on_its_port() -> None:
    run = released_run("staging")
    services = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type("kubernetes:core/v1:Service")}
    smoke = next(
        r.inputs["spec"]
        for r in run.of_type(ROLLOUT_KIND.replace("Rollout", "AnalysisTemplate"))
        if r.inputs["metadata"]["name"] == "windsurf-smoke"
    )
    url = smoke["metrics"][0]["provider"]["web"]["url"]
    assert url == "http://{{args.service}}.{{args.namespace}}.svc.cluster.local/health/ready"
    for rollout in run.of_type(ROLLOUT_KIND):
        strategy = rollout.inputs["spec"]["strategy"]
        if "blueGreen" in strategy:
            preview = strategy["blueGreen"]["previewService"]
            assert [p["port"] for p in services[preview]["spec"]["ports"]] == [80]
