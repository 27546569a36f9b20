"""Metrics and logs: kube-prometheus-stack (Prometheus, Grafana, Alertmanager) in `monitoring`, Fluent Bit in
`logging` shipping every container's stdout to CloudWatch Logs through its own IRSA role."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.iam import irsa_role

PROMETHEUS_CHART = ("kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "77.5.0")
FLUENT_BIT_CHART = ("fluent-bit", "https://fluent.github.io/helm-charts", "0.52.0")


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


class Observability(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("windsurf:observability:Observability", name, None, opts)
        k8s_child = pulumi.ResourceOptions(parent=self, provider=args.provider)
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
                        # Scrape the ServiceMonitors of every namespace (the windsurf pods expose /metrics).
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "podMonitorSelectorNilUsesHelmValues": False,
                    }
                },
                "grafana": {"persistence": {"enabled": True}},
            },
            opts=k8s_child,
        )
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
