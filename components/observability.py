"""Metrics and logs: kube-prometheus-stack (Prometheus, Grafana, Alertmanager) in `monitoring`, Fluent Bit in
`logging` shipping every container's stdout to CloudWatch Logs through its own IRSA role."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.addons import requests
from components.iam import irsa_role

PROMETHEUS_CHART = ("kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "77.5.0")
FLUENT_BIT_CHART = ("fluent-bit", "https://fluent.github.io/helm-charts", "0.52.0")
GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - the Secret's name, not a password


def alertmanager_config(email: str, name_prefix: str) -> dict[str, object]:
    """Critical alerts page on-call by email at once; warnings go out grouped, at most every four hours."""
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "oncall-email",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"receiver": "null", "matchers": ['alertname="Watchdog"']},
                {"receiver": "oncall-email", "matchers": ['severity="critical"'], "repeat_interval": "1h"},
            ],
        },
        "receivers": [
            {"name": "null"},
            {
                "name": "oncall-email",
                "email_configs": [
                    {
                        "to": email,
                        "from": f"alertmanager@{name_prefix}.windsurf.et",
                        "smarthost": "email-smtp.af-south-1.amazonaws.com:587",
                        "send_resolved": True,
                    }
                ],
            },
        ],
    }


@dataclass(frozen=True)
class ObservabilityArgs:
    name_prefix: str
    region: str
    account_id: pulumi.Input[str]
    log_retention_days: int
    prometheus_retention: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    provider: k8s.Provider
    ready: list[pulumi.Resource]
    alert_email: str


class Observability(pulumi.ComponentResource):
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("windsurf:observability:Observability", name, None, opts)
        k8s_child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=args.ready)
        # Grafana's admin password: generated, kept in a Secret the chart reads (never a chart default).
        grafana_password = random.RandomPassword(
            f"{name}-grafana-admin", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        grafana_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={"name": GRAFANA_ADMIN_SECRET, "namespace": "monitoring"},
            string_data={"admin-user": "admin", "admin-password": grafana_password.result},
            opts=k8s_child,
        )
        log_group_prefix = f"/windsurf/{args.name_prefix}/containers"
        chart, repo, version = PROMETHEUS_CHART
        prometheus = k8s.helm.v3.Release(
            f"{name}-prometheus",
            name="prometheus",
            chart=chart,
            version=version,
            namespace="monitoring",
            repository_opts={"repo": repo},
            values={
                "prometheus": {
                    "prometheusSpec": {
                        "retention": args.prometheus_retention,
                        "resources": requests("200m", "1Gi"),
                        "storageSpec": {
                            "volumeClaimTemplate": {
                                "spec": {
                                    "storageClassName": "gp3",
                                    "accessModes": ["ReadWriteOnce"],
                                    "resources": {"requests": {"storage": "50Gi"}},
                                }
                            }
                        },
                        # Scrape the ServiceMonitors of every namespace (the windsurf pods expose /metrics).
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "podMonitorSelectorNilUsesHelmValues": False,
                    }
                },
                "prometheusOperator": {"resources": requests("50m", "128Mi")},
                "kube-state-metrics": {"resources": requests("25m", "64Mi")},
                "prometheus-node-exporter": {"resources": requests("25m", "32Mi")},
                "grafana": {
                    "resources": requests("100m", "256Mi"),
                    "persistence": {"enabled": True, "storageClassName": "gp3"},
                    "admin": {
                        "existingSecret": GRAFANA_ADMIN_SECRET,
                        "userKey": "admin-user",
                        "passwordKey": "admin-password",
                    },
                },
                "alertmanager": {
                    "config": alertmanager_config(args.alert_email, args.name_prefix),
                    "alertmanagerSpec": {"resources": requests("25m", "64Mi")},
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[*args.ready, grafana_secret]
            ),
        )
        self.ready = [prometheus]
        fluent_role = irsa_role(
            f"{name}-fluent-bit",
            namespace="logging",
            service_account="fluent-bit",
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_provider_url=args.oidc_provider_url,
            parent=self,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                                "logs:PutRetentionPolicy",
                            ],
                            "Resource": pulumi.Output.concat(
                                "arn:aws:logs:",
                                args.region,
                                ":",
                                args.account_id,
                                ":log-group:",
                                log_group_prefix,
                                "*",
                            ),
                        }
                    ],
                }
            ),
        )
        chart, repo, version = FLUENT_BIT_CHART
        fluent_bit = k8s.helm.v3.Release(
            f"{name}-fluent-bit",
            name="fluent-bit",
            chart=chart,
            version=version,
            namespace="logging",
            repository_opts={"repo": repo},
            values={
                "resources": requests("50m", "64Mi"),
                "serviceAccount": {
                    "name": "fluent-bit",
                    "annotations": {"eks.amazonaws.com/role-arn": fluent_role.arn},
                },
                "config": {
                    "outputs": "\n".join(
                        [
                            "[OUTPUT]",
                            "    Name cloudwatch_logs",
                            "    Match kube.*",
                            f"    region {args.region}",
                            f"    log_group_template {log_group_prefix}/$kubernetes['namespace_name']",
                            f"    log_group_name {log_group_prefix}/other",
                            "    log_stream_prefix pod-",
                            "    auto_create_group On",
                            f"    log_retention_days {args.log_retention_days}",
                            "",
                        ]
                    )
                },
            },
            opts=k8s_child,
        )
        self.register_outputs({"prometheus": prometheus.status, "fluent_bit": fluent_bit.status})
