"""Monitoring, alerting and operations around the platform: what is watched, who hears about it, what is kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from infra_harness import STACKS, released_run, stack_run
from litestar.testing import TestClient
from prometheus_client.metrics import MetricWrapperBase

from windsurf.app import create_app
from windsurf.settings import Settings

CUSTOM = "kubernetes:apiextensions.k8s.io/v1:CustomResource"


def custom(run, kind: str) -> list[dict]:
    return [r.inputs for r in run.resources if r.type.endswith(f":{kind}")]


def test_the_app_is_scraped_and_alert_rules_use_metrics_it_exports(tmp_path: Path) -> None:
    run = released_run("dev")
    monitor = custom(run, "ServiceMonitor")[0]
    services = [r.inputs for r in run.of_type("kubernetes:core/v1:Service")]
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
    assert {s["metadata"]["name"] for s in scraped} >= {"identity", "builder", "storefront-stable"}
    assert all(
        monitor["spec"]["endpoints"][0]["port"] in [p["name"] for p in s["spec"]["ports"]] for s in scraped
    )

    # The scraper presents the token kept in the Secret beside it, the value every pod's environment carries.
    credentials = monitor["spec"]["endpoints"][0]["authorization"]["credentials"]
    [secret] = [
        r.inputs
        for r in run.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == credentials["name"]
    ]
    token = secret["stringData"][credentials["key"]]
    for service in ("identity", "builder", "payments", "storefront"):
        other = run.one("aws:secretsmanager/secretVersion:SecretVersion", f"secrets-{service}-value")
        assert json.loads(other.inputs["secretString"])["WINDSURF_METRICS_TOKEN"] == token
    app = create_app(
        Settings(services=("storefront",), var_dir=tmp_path, log_json=False, metrics_token=token)
    )
    with TestClient(app) as client:
        client.get("/static/does-not-exist.css")
        scraped_text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
        exported = set(re.findall(r"^# TYPE (\w+) (\w+)", scraped_text, re.MULTILINE))
    names = {name for name, kind in exported} | {
        f"{name}_bucket" for name, kind in exported if kind == "histogram"
    }
    rules = custom(run, "PrometheusRule")[0]["spec"]["groups"][0]["rules"]
    used = {m for rule in rules for m in re.findall(r"\b(windsurf_\w+)", rule["expr"])}
    assert used <= names, used - names
    # The Rollouts' analysis (error rate, p99) asks Prometheus for series the app really exports, by the labels
    # they carry; the Kubernetes Service label is the scrape's (ServiceMonitor above).
    health = next(t for t in custom(run, "AnalysisTemplate") if t["metadata"]["name"] == "windsurf-health")
    queries = [m["provider"]["prometheus"]["query"] for m in health["spec"]["metrics"]]
    assert (
        {m for q in queries for m in re.findall(r"\b(windsurf_\w+)", q)}
        == {
            "windsurf_requests_total",
            "windsurf_request_duration_seconds_bucket",
        }
        <= names
    )
    labelled = {metric: set(collector._labelnames) for metric, collector in _collectors().items()}
    for query in queries:
        for metric, matchers in re.findall(r"\b(windsurf_\w+)\{([^}]*)\}", query):
            assert set(re.findall(r"(\w+)\s*[=!~]", matchers)) - {"namespace", "service"} <= labelled[metric]
    # Labels the rules filter or group by are labels the app's series carry (namespace and service are the
    # scrape's own).
    labelled = {metric: set(collector._labelnames) for metric, collector in _collectors().items()}
    for rule in rules:
        for metric, matchers in re.findall(r"\b(windsurf_\w+)\{([^}]*)\}", rule["expr"]):
            wanted = set(re.findall(r"(\w+)\s*[=!~]", matchers)) - {"namespace", "service"}
            assert wanted <= labelled[metric], (rule["alert"], metric, wanted)
    assert {
        "WindsurfHighErrorRate",
        "WindsurfSlowRequests",
        "WindsurfWorkerDown",
        "WindsurfJobBacklogOld",
        "WindsurfJobBacklogLarge",
        "WindsurfDeadJobs",
        "WindsurfPaymentNotificationsFailing",
        "WindsurfNoPaidNotifications",
    } <= {r["alert"] for r in rules}
    error_rate = next(r for r in rules if r["alert"] == "WindsurfHighErrorRate")["expr"]
    assert 'status=~"5.."' in error_rate


def _collectors() -> dict[str, object]:
    """The app's own collectors by every series name they export (a histogram's `_bucket` included)."""
    from windsurf.core import metrics

    found: dict[str, object] = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
                for suffix in suffixes.get(family.type, [""]):
                    found[family.name + suffix] = value
    return found


def test_grafana_admin_password_comes_from_a_generated_secret_and_alerts_are_mailed() -> None:
    run = released_run("staging")
    chart = next(
        r
        for r in run.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "kube-prometheus-stack"
    )
    values = chart.inputs["values"]
    admin = values["grafana"]["admin"]
    secret = next(
        r.inputs
        for r in run.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == admin["existingSecret"]
    )
    assert len(secret["stringData"][admin["passwordKey"]]) >= 32 and "adminPassword" not in values["grafana"]
    receivers = values["alertmanager"]["config"]["receivers"]
    assert any(
        c["to"] == run.config["windsurf:alertEmail"] for r in receivers for c in r.get("email_configs", [])
    )


@pytest.mark.parametrize("stack", STACKS)
def test_cloudwatch_alarms_and_security_findings_reach_on_call(stack: str) -> None:
    run = released_run(stack)
    topics = {t.outputs["arn"] for t in run.of_type("aws:sns/topic:Topic")}
    alarms = {
        a.inputs["name"].split(f"windsurf-{stack}-", 1)[1]: a
        for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    expected = {"rds-cpu", "rds-storage", "redis-cpu", "redis-memory", "alb-5xx", "cloudfront-5xx"}
    if run.config["windsurf:dbReadReplica"]:
        expected.add("rds-replica-lag")
    assert expected <= set(alarms)
    for alarm in alarms.values():
        assert set(alarm.inputs["alarmActions"]) <= topics
    assert "us-east-1" in alarms["cloudfront-5xx"].provider  # CloudFront's metrics exist only there
    rules = {
        r.inputs["name"]: json.loads(r.inputs["eventPattern"])
        for r in run.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    sources = {p["source"][0] for p in rules.values()}
    assert sources == {"aws.guardduty", "aws.securityhub"}
    assert {t.inputs["arn"] for t in run.of_type("aws:cloudwatch/eventTarget:EventTarget")} <= topics
    for policy in run.of_type("aws:sns/topicPolicy:TopicPolicy"):
        principals = json.loads(policy.inputs["policy"])["Statement"][0]["Principal"]["Service"]
        assert {"events.amazonaws.com", "cloudwatch.amazonaws.com"} <= set(principals)
    budget = run.of_type("aws:budgets/budget:Budget")[0].inputs
    assert budget["limitAmount"] == str(run.config["windsurf:monthlyBudgetUsd"])


@pytest.mark.parametrize("stack", STACKS)
def test_vpc_endpoints_backups_and_account_guard(stack: str) -> None:
    run = stack_run(stack)
    endpoints = {
        e.inputs["serviceName"].rsplit(".", 1)[-1]
        if "ecr" not in e.inputs["serviceName"]
        else e.inputs["serviceName"].split("af-south-1.", 1)[1]: e.inputs
        for e in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert {"s3", "ecr.api", "ecr.dkr", "sts", "logs"} <= set(endpoints)
    private_tables = [r for r in run.of_type("aws:ec2/routeTable:RouteTable") if "public" not in r.name]
    assert set(endpoints["s3"]["routeTableIds"]) == {r.outputs["id"] for r in private_tables}
    plan = run.of_type("aws:backup/plan:Plan")[0].inputs
    assert plan["rules"][0]["lifecycle"]["deleteAfter"] == run.config["windsurf:dbBackupDays"]
    selection = run.of_type("aws:backup/selection:Selection")[0].inputs
    database = next(
        r for r in run.of_type("aws:rds/instance:Instance") if "replicateSourceDb" not in r.inputs
    )
    assert selection["resources"] == [database.outputs["arn"]]
    assert run.of_type("aws:backup/vault:Vault")[0].inputs["kmsKeyArn"]
    us_east_1 = run.one("pulumi:providers:aws", "us-east-1").inputs
    assert json.loads(us_east_1["allowedAccountIds"]) == run.config["aws:allowedAccountIds"]
