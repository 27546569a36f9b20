"""The whole program of every stack under mocks: what must hold in each environment."""

from __future__ import annotations

import ipaddress

from infra_harness import StackRun, released_run, stack_run

SG = "aws:ec2/securityGroup:SecurityGroup"
RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"

ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"


def _primary(run: StackRun) -> dict:
    return next(r.inputs for r in run.of_type(RDS) if "replicateSourceDb" not in r.inputs)


def test_production_is_multi_az_and_protected() -> None:
    run = stack_run("production")
    db = _primary(run)
    assert db["multiAz"] and db["deletionProtection"] and db["backupRetentionPeriod"] == 35
    assert len([r for r in run.of_type(RDS) if "replicateSourceDb" in r.inputs]) == 1, "analytics replica"
    redis = run.of_type(REDIS)[0].inputs
    assert redis["automaticFailoverEnabled"] and redis["multiAzEnabled"] and redis["numCacheClusters"] == 3
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert run.of_type("aws:eks/nodeGroup:NodeGroup")[0].inputs["capacityType"] == "ON_DEMAND"


def test_dev_is_cheap() -> None:
    run = stack_run("dev")
    db = _primary(run)
    assert not db["multiAz"] and not db["deletionProtection"] and db["backupRetentionPeriod"] == 7
    assert db["instanceClass"] == "db.t4g.medium"
    assert not [r for r in run.of_type(RDS) if "replicateSourceDb" in r.inputs]
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert run.of_type(REDIS)[0].inputs["numCacheClusters"] == 1
    group = run.of_type("aws:eks/nodeGroup:NodeGroup")[0].inputs
    assert group["capacityType"] == "SPOT" and len(group["instanceTypes"]) >= 2


def test_nothing_is_open_to_the_internet_and_the_alb_takes_cloudfront_only(run: StackRun) -> None:
    for sg in run.of_type(SG):
        for rule in sg.inputs.get("ingress", []):
            for cidr in rule.get("cidrBlocks", []):
                assert ipaddress.ip_network(cidr).prefixlen > 0, sg.name
            assert "::/0" not in rule.get("ipv6CidrBlocks", []), sg.name
    alb = run.one(SG, "network-alb-sg").inputs["ingress"]
    assert alb == [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "prefixListIds": ["pl-c6a54faf"]}]
    default = run.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0].inputs
    assert not default.get("ingress") and not default.get("egress")


def test_every_bucket_is_private_encrypted_versioned_and_tls_only(run: StackRun) -> None:
    buckets = {r.outputs["id"] for r in run.of_type("aws:s3/bucket:Bucket")}
    assert len(buckets) == 5

    def by_bucket(type_: str) -> dict[str, dict]:
        return {r.inputs["bucket"]: r.inputs for r in run.of_type(type_)}

    blocks = by_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    encryption = by_bucket(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    versioning = by_bucket("aws:s3/bucketVersioning:BucketVersioning")
    policies = by_bucket("aws:s3/bucketPolicy:BucketPolicy")
    for bucket in buckets:
        assert all(
            blocks[bucket][k]
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        assert encryption[bucket]["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in (
            "aws:kms",
            "AES256",
        )
        assert versioning[bucket]["versioningConfiguration"]["status"] == "Enabled"
        assert '"aws:SecureTransport": "false"' in policies[bucket]["policy"]


def test_every_pod_is_restricted(run: StackRun) -> None:
    run = released_run(run.stack)
    kinds = ("kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job", ROLLOUT)
    pods = [r.inputs["spec"]["template"]["spec"] for kind in kinds for r in run.of_type(kind)]
    assert len(pods) == 6  # a Rollout per service (4), the worker, the migration Job
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 1000
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_argo_rollouts_shift_traffic_and_pulumi_does_not(run: StackRun) -> None:
    run = released_run(run.stack)
    namespace = run.config["windsurf:appNamespace"]
    services = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type("kubernetes:core/v1:Service")}
    templates = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(ANALYSIS_TEMPLATE)}
    rollouts = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(ROLLOUT)}
    assert set(rollouts) == {"identity", "builder", "payments", "storefront"}

    def analyses(strategy: dict) -> list[dict]:
        found = [strategy[k] for k in ("prePromotionAnalysis", "postPromotionAnalysis") if k in strategy]
        return found + [step["analysis"] for step in strategy.get("steps", []) if "analysis" in step]

    for name in ("identity", "builder", "payments"):
        blue_green = rollouts[name]["strategy"]["blueGreen"]
        assert (blue_green["activeService"], blue_green["previewService"]) == (name, f"{name}-preview")
        assert blue_green["autoPromotionEnabled"] is True
        assert blue_green["prePromotionAnalysis"]["templates"] == [{"templateName": "windsurf-smoke"}]
        assert blue_green["postPromotionAnalysis"]["templates"] == [{"templateName": "windsurf-health"}]
        assert {"name": "service", "value": f"{name}-preview"} in blue_green["prePromotionAnalysis"]["args"]
        for analysis in analyses(blue_green):
            assert {"name": "namespace", "value": namespace} in analysis["args"]
    canary = rollouts["storefront"]["strategy"]["canary"]
    assert (canary["stableService"], canary["canaryService"]) == ("storefront-stable", "storefront-canary")
    ingress = run.of_type("kubernetes:networking.k8s.io/v1:Ingress")[0].inputs
    assert canary["trafficRouting"]["alb"]["ingress"] == ingress["metadata"]["name"]
    weights = [step["setWeight"] for step in canary["steps"] if "setWeight" in step]
    assert weights == sorted(weights) and weights[-1] < 100
    # Every weight is measured before the next one.
    kinds = [next(iter(step)) for step in canary["steps"]]
    assert kinds == ["setWeight", "analysis"] * len(weights)
    for strategy in (
        canary,
        *[rollouts[n]["strategy"]["blueGreen"] for n in ("identity", "builder", "payments")],
    ):
        for analysis in analyses(strategy):
            for template in analysis["templates"]:
                wanted = {a["name"] for a in templates[template["templateName"]]["spec"]["args"]}
                assert wanted <= {a["name"] for a in analysis["args"]}
        for key in ("activeService", "previewService", "stableService", "canaryService"):
            if key in strategy:
                assert strategy[key] in services, strategy[key]
    # The storefront's rules forward through the action Argo Rollouts writes for the stable Service; Pulumi
    # sets no weights of its own.
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    storefront = [p for p in paths if p["path"] in ("/", "/@*", "/static/*")]
    assert {p["backend"]["service"]["name"] for p in storefront} == {"storefront-stable"}
    assert {p["backend"]["service"]["port"]["name"] for p in storefront} == {"use-annotation"}
    annotations = ingress["metadata"]["annotations"]
    assert not any(key.startswith("alb.ingress.kubernetes.io/actions.storefront") for key in annotations)
    assert "alb.ingress.kubernetes.io/conditions.storefront-stable" in annotations
    hpa_targets = {
        r.inputs["spec"]["scaleTargetRef"]["name"]: r.inputs["spec"]["scaleTargetRef"]["kind"]
        for r in run.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    }
    assert {name: hpa_targets[name] for name in rollouts} == dict.fromkeys(rollouts, "Rollout")
    rollout_chart = next(
        r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "argo-rollouts"
    )
    assert rollout_chart.inputs["version"] == "2.41.0"
    for rollout in run.of_type(ROLLOUT):
        assert rollout_chart.urn in run.depends_on(rollout)


def test_deployments_wait_for_the_migration_job_and_outputs_are_exported(run: StackRun) -> None:
    run = released_run(run.stack)
    assert run.outputs["migrationJob"] == "migrate-v1"
    assert run.outputs["migrationStatus"] == "succeeded"
    job = run.of_type("kubernetes:batch/v1:Job")[0]
    assert job.inputs["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    for deployment in [*run.of_type("kubernetes:apps/v1:Deployment"), *run.of_type(ROLLOUT)]:
        assert job.urn in run.depends_on(deployment), deployment.name
