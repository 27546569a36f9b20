"""The windsurf services on EKS: per service an IRSA-bound ServiceAccount, its secrets synced from Secrets
Manager,
Deployments with HPA and PodDisruptionBudget, Services, and one ALB Ingress that routes by path.

Releases are Argo Rollouts (the controller comes with components/addons.py). Pulumi only puts `imageTag` on
each Rollout's pod template; the controller does the rest. Backend services go blue-green: new pods behind the
`-preview` Service, a smoke check before the switch, the app's error rate and p99 after it, and a switch back
when either fails. The storefront goes canary: the ALB's weights move in steps, each measured against the app's
metrics in Prometheus, and a failed measurement aborts the Rollout with all traffic back on the stable pods.
The migration Job for `imageTag` must complete before any Rollout changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import manifests as m
from components.iam import irsa_role

INGRESS_NAME = "windsurf"
SCRAPED_WITH_ENV_OF = "storefront"  # whose synced Secret the scraper reads the metrics token from


@dataclass(frozen=True)
class WorkloadArgs:
    namespace: str
    environment: str
    public_url: str
    image_repositories: Mapping[str, pulumi.Input[str]]
    image_tag: str
    replicas: int
    max_replicas: int
    products_bucket: pulumi.Input[str]
    products_bucket_arn: pulumi.Input[str]
    storage_kms_key_arn: pulumi.Input[str]
    secret_names: dict[str, str]
    secret_arns: dict[str, pulumi.Input[str]]
    secrets_kms_key_arn: pulumi.Input[str]
    database_master_secret_arn: pulumi.Input[str]
    database_key_arn: pulumi.Input[str]
    region: str
    certificate_arn: pulumi.Input[str]
    load_balancer_security_group_id: pulumi.Input[str]
    log_bucket: pulumi.Input[str]
    origin_header: str
    origin_secret: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    provider: k8s.Provider
    depends_on: list[pulumi.Resource]


class Workload(pulumi.ComponentResource):
    ingress_hostname: pulumi.Output[str]
    migration_job_name: str
    migration_status: pulumi.Output[str]
    rollouts: list[str]

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:workload:Workload", name, None, opts)
        self._args = args
        self._opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=args.depends_on)
        ns = args.namespace

        for workload in m.ALL_WORKLOADS:
            self._identity(workload)
        job = self._migration_job() if args.image_tag != m.UNRELEASED else None
        after_migration = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=[*args.depends_on, *([job] if job else [])]
        )

        self._analysis_templates()
        self.rollouts = []
        rollouts = []
        for service in m.SERVICES:
            self.rollouts.append(service.name)
            if service.release == "blue-green":
                strategy = m.blue_green_strategy(service.name, ns)
                service_names = [service.name, f"{service.name}-preview"]
            else:
                strategy = m.canary_strategy(service.name, ns, INGRESS_NAME)
                service_names = [f"{service.name}-stable", f"{service.name}-canary"]
            # The controller narrows each Service to its ReplicaSet (rollouts-pod-template-hash).
            for name in service_names:
                self._service(name, m.labels(service.name))
            rollouts.append(self._rollout(service.name, service.routers, strategy, after_migration))
        self._worker(after_migration)
        self._network_policy()
        self._monitoring()
        # The ALB's weighted action for the storefront is the controller's to write: the Ingress waits for
        # its Rollout, so the annotation exists soon after the rule that uses it.
        ingress = self._ingress(rollouts)

        self.ingress_hostname = ingress.status.apply(
            lambda status: (
                (status.load_balancer.ingress or [None])[0].hostname
                if status and status.load_balancer and status.load_balancer.ingress
                else ""
            )
        )
        self.migration_job_name = job_name(args.image_tag) if job else ""
        self.migration_status = (
            job.status.apply(migration_status) if job else pulumi.Output.from_input("not-released")
        )
        self.register_outputs(
            {
                "ingress_hostname": self.ingress_hostname,
                "migration_job": self.migration_job_name,
                "namespace": ns,
            }
        )

    def _identity(self, workload: str) -> None:
        """ServiceAccount + IAM role (own S3 prefix, own secret) + the Secret synced from Secrets Manager."""
        args = self._args
        policy = pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": self._statements(workload)})
        role = irsa_role(
            f"{self._args.environment}-{workload}-pod",
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_provider_url=args.oidc_provider_url,
            namespace=args.namespace,
            service_account=workload,
            policy=policy,
            parent=self,
        )
        k8s.core.v1.ServiceAccount(
            f"{workload}-sa",
            metadata=m.metadata(
                workload, args.namespace, workload, annotations={"eks.amazonaws.com/role-arn": role.arn}
            ),
            automount_service_account_token=False,
            opts=self._opts,
        )
        # The store authenticates as the workload's own ServiceAccount, so it can read only that role's
        # secret.
        store = k8s.apiextensions.CustomResource(
            f"{workload}-secret-store",
            api_version="external-secrets.io/v1",
            kind="SecretStore",
            metadata=m.metadata(workload, args.namespace, workload),
            spec={
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": args.region,
                        "auth": {"jwt": {"serviceAccountRef": {"name": workload}}},
                    }
                }
            },
            opts=self._opts,
        )
        k8s.apiextensions.CustomResource(
            f"{workload}-external-secret",
            api_version="external-secrets.io/v1",
            kind="ExternalSecret",
            metadata=m.metadata(f"{workload}-env", args.namespace, workload),
            spec={
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "SecretStore", "name": workload},
                "target": {"name": f"{workload}-env", "creationPolicy": "Owner"},
                "dataFrom": [{"extract": {"key": args.secret_names[workload]}}],
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[store, *args.depends_on]
            ),
        )

    def _statements(self, workload: str) -> list[dict[str, Any]]:
        """The workload's own secret, plus the shared uploads prefix as far as STORAGE_ACCESS allows."""
        args = self._args
        statements: list[dict[str, Any]] = [
            {
                "Sid": "OwnSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": args.secret_arns[workload],
            },
            {
                "Sid": "DecryptOwnSecret",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": args.secrets_kms_key_arn,
            },
        ]
        if workload == m.MIGRATE:
            # The table owner's password, rotated by RDS, read by `windsurf migrate` when it starts.
            statements += [
                {
                    "Sid": "DatabaseOwnerSecret",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": args.database_master_secret_arn,
                },
                {
                    "Sid": "DecryptDatabaseOwnerSecret",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": args.database_key_arn,
                },
            ]
        access = m.STORAGE_ACCESS.get(workload)
        if access is None:
            return statements
        writes = access == "read-write"
        statements += [
            {
                "Sid": "Uploads",
                "Effect": "Allow",
                "Action": ["s3:GetObject", *(["s3:PutObject", "s3:DeleteObject"] if writes else [])],
                "Resource": pulumi.Output.concat(args.products_bucket_arn, "/", m.UPLOADS_PREFIX, "*"),
            },
            {
                "Sid": "ListUploads",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": args.products_bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{m.UPLOADS_PREFIX}*"]}},
            },
            {
                "Sid": "UploadsKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", *(["kms:GenerateDataKey"] if writes else [])],
                "Resource": args.storage_kms_key_arn,
            },
        ]
        return statements

    def _env(self, workload: str, routers: str) -> dict[str, Any]:
        env = {
            "WINDSURF_ENV": "production",  # the process mode (not the stack): real backends, secure cookies
            "WINDSURF_HOST": m.BIND_HOST,
            "WINDSURF_PORT": str(m.APP_PORT),
            "WINDSURF_PUBLIC_URL": self._args.public_url,
            "WINDSURF_S3_BUCKET": self._args.products_bucket,
            "WINDSURF_S3_PREFIX": m.UPLOADS_PREFIX,
            "WINDSURF_WORKERS": "2",
            # The worker Deployment runs the jobs; web pods must not run a second, inline worker each.
            "WINDSURF_INLINE_WORKER": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if routers:
            env["WINDSURF_SERVICES"] = routers
        return env

    def _image(self, workload: str, tag: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(self._args.image_repositories[workload], ":", tag)

    def _analysis_templates(self) -> None:
        for name, spec in (
            (m.HEALTH_TEMPLATE, m.health_analysis_template(self._args.namespace)),
            (m.SMOKE_TEMPLATE, m.smoke_analysis_template(self._args.namespace)),
        ):
            k8s.apiextensions.CustomResource(
                f"{name}-analysis",
                api_version=m.ROLLOUT_API,
                kind="AnalysisTemplate",
                metadata=m.metadata(name, self._args.namespace, "rollouts"),
                spec=spec,
                opts=self._opts,
            )

    def _pod_template(self, app: str, tag: str, routers: str, command: str) -> pulumi.Output[Any]:
        served = command == "serve"
        return pulumi.Output.all(self._image(app, tag), self._args.products_bucket).apply(
            lambda values: m.pod_template(
                app=app,
                track=None,
                image=values[0],
                args=[command],
                env={**self._env(app, routers), "WINDSURF_S3_BUCKET": values[1]},
                secret_name=f"{app}-env",
                service_account=app,
                probes=served,
                resources=m.WEB_RESOURCES if served else m.WORKER_RESOURCES,
            )
        )

    def _rollout(
        self, app: str, routers: str, strategy: dict[str, Any], opts: pulumi.ResourceOptions
    ) -> k8s.apiextensions.CustomResource:
        args = self._args
        template = self._pod_template(app, args.image_tag, routers, "serve")
        # Before the first release there is no image to pull: no pods.
        replicas = 0 if args.image_tag == m.UNRELEASED else args.replicas
        rollout = k8s.apiextensions.CustomResource(
            f"{app}-rollout",
            api_version=m.ROLLOUT_API,
            kind="Rollout",
            metadata=m.metadata(
                app,
                args.namespace,
                app,
                annotations={"windsurf.et/image-tag": args.image_tag, **m.CHECKOV_SKIPS},
            ),
            spec=template.apply(lambda t: m.rollout_spec(app, replicas, t, strategy)),
            opts=opts,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{app}-hpa",
            metadata=m.metadata(app, args.namespace, app),
            spec=m.hpa_spec(app, args.replicas, args.max_replicas, kind="Rollout"),
            opts=opts,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{app}-pdb",
            metadata=m.metadata(app, args.namespace, app),
            spec=m.pdb_spec(app, None),
            opts=opts,
        )
        return rollout

    def _worker(self, opts: pulumi.ResourceOptions) -> None:
        """`windsurf worker`: no traffic to shift, so a plain Deployment that rolls with the release."""
        args, app = self._args, m.WORKER
        template = self._pod_template(app, args.image_tag, "", "worker")
        replicas = 0 if args.image_tag == m.UNRELEASED else args.replicas
        k8s.apps.v1.Deployment(
            f"{app}-deployment",
            metadata=m.metadata(
                app,
                args.namespace,
                app,
                annotations={"windsurf.et/image-tag": args.image_tag, **m.CHECKOV_SKIPS},
            ),
            spec=template.apply(lambda t: m.deployment_spec(app, None, replicas, t)),
            opts=opts,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{app}-hpa",
            metadata=m.metadata(app, args.namespace, app),
            spec=m.hpa_spec(app, args.replicas, args.max_replicas),
            opts=opts,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{app}-pdb",
            metadata=m.metadata(app, args.namespace, app),
            spec=m.pdb_spec(app, None),
            opts=opts,
        )

    def _service(self, name: str, selector: dict[str, str]) -> None:
        app = selector["app.kubernetes.io/name"]
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=m.metadata(name, self._args.namespace, app),
            spec=m.service_spec(selector),
            opts=self._opts,
        )

    def _migration_job(self) -> k8s.batch.v1.Job:
        """`windsurf migrate` for the release being rolled out; Pulumi waits for the Job to succeed."""
        args = self._args
        template = self._image(m.MIGRATE, args.image_tag).apply(
            lambda image: m.pod_template(
                app=m.MIGRATE,
                track=None,
                image=image,
                args=["migrate"],
                env=self._env(m.MIGRATE, ""),
                secret_name=f"{m.MIGRATE}-env",
                service_account=m.MIGRATE,
                probes=False,
                resources=m.WORKER_RESOURCES,
            )
        )
        return k8s.batch.v1.Job(
            "migrate-job",
            metadata=m.metadata(
                job_name(args.image_tag), args.namespace, m.MIGRATE, annotations=dict(m.CHECKOV_SKIPS)
            ),
            spec=template.apply(
                lambda t: {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": m.MIGRATION_DEADLINE_S,
                    "template": {**t, "spec": {**t["spec"], "restartPolicy": "Never"}},
                }
            ),
            opts=pulumi.ResourceOptions.merge(
                self._opts,
                pulumi.ResourceOptions(
                    delete_before_replace=True,
                    custom_timeouts=pulumi.CustomTimeouts(
                        create=m.MIGRATION_PULUMI_TIMEOUT, update=m.MIGRATION_PULUMI_TIMEOUT
                    ),
                ),
            ),
        )

    def _network_policy(self) -> None:
        """Pods take traffic only on the app port (from the ALB's targets in the VPC and from Prometheus)."""
        k8s.networking.v1.NetworkPolicy(
            "app-network-policy",
            metadata={"name": "windsurf-app", "namespace": self._args.namespace},
            spec={
                "podSelector": {"matchLabels": {"app.kubernetes.io/part-of": m.PART_OF}},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": m.APP_PORT, "protocol": "TCP"}]}],
            },
            opts=self._opts,
        )

    def _monitoring(self) -> None:
        """Prometheus scrapes every app Service's /metrics; the rules page on what buyers would feel."""
        k8s.apiextensions.CustomResource(
            "app-service-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata={
                "name": "windsurf",
                "namespace": self._args.namespace,
                "labels": m.labels("monitoring"),
            },
            spec={
                "selector": {"matchLabels": {"app.kubernetes.io/part-of": m.PART_OF}},
                "endpoints": [
                    {
                        "port": "http",
                        "path": "/metrics",
                        "interval": "30s",
                        # The app answers /metrics only with its token: the storefront's synced Secret holds
                        # the same value every workload's does (components/secrets.py).
                        "authorization": {
                            "type": "Bearer",
                            "credentials": {
                                "name": f"{SCRAPED_WITH_ENV_OF}-env",
                                "key": "WINDSURF_METRICS_TOKEN",
                            },
                        },
                    }
                ],
            },
            opts=self._opts,
        )
        k8s.apiextensions.CustomResource(
            "app-alerts",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={
                "name": "windsurf",
                "namespace": self._args.namespace,
                "labels": m.labels("monitoring"),
            },
            spec={"groups": [{"name": "windsurf", "rules": m.alert_rules(self._args.namespace)}]},
            opts=self._opts,
        )

    def _ingress(self, rollouts: list[pulumi.Resource]) -> k8s.networking.v1.Ingress:
        args = self._args
        # Argo Rollouts names the weighted action after the stable Service (trafficRouting.alb).
        canary_action = "storefront-stable"
        private_action = "private-path"
        paths = [m.ingress_path(path, private_action, "use-annotation") for path in m.PRIVATE_PATHS]
        backends = []
        for service in m.SERVICES:
            backend = canary_action if service.release == "canary" else service.name
            backends.append(backend)
            for path in service.paths:
                paths.append(
                    m.ingress_path(path, backend, "use-annotation" if backend == canary_action else 80)
                )
        annotations = pulumi.Output.all(
            args.certificate_arn, args.load_balancer_security_group_id, args.log_bucket, args.origin_secret
        ).apply(
            lambda v: {
                "alb.ingress.kubernetes.io/scheme": "internet-facing",
                "alb.ingress.kubernetes.io/target-type": "ip",
                "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
                "alb.ingress.kubernetes.io/certificate-arn": v[0],
                "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "alb.ingress.kubernetes.io/security-groups": v[1],
                "alb.ingress.kubernetes.io/manage-backend-security-group-rules": "true",
                "alb.ingress.kubernetes.io/healthcheck-path": "/health/ready",
                "alb.ingress.kubernetes.io/load-balancer-attributes": (
                    f"access_logs.s3.enabled=true,access_logs.s3.bucket={v[2]},access_logs.s3.prefix=alb,"
                    "routing.http.drop_invalid_header_fields.enabled=true,deletion_protection.enabled="
                    + ("true" if args.environment == "production" else "false")
                ),
                f"alb.ingress.kubernetes.io/actions.{private_action}": m.fixed_response_action(404),
                # Requests without CloudFront's secret header match no rule: the ALB's default answer is 404.
                **{
                    f"alb.ingress.kubernetes.io/conditions.{backend}": m.origin_header_condition(
                        args.origin_header, v[3]
                    )
                    for backend in backends
                },
            }
        )
        return k8s.networking.v1.Ingress(
            "windsurf-ingress",
            metadata={
                "name": INGRESS_NAME,
                "namespace": args.namespace,
                "labels": m.labels("ingress"),
                "annotations": annotations,
            },
            spec={"ingressClassName": "alb", "rules": [{"http": {"paths": paths}}]},
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(depends_on=rollouts)),
        )


def migration_status(status: Any) -> str:
    """`succeeded`, `failed` (the Job gave up: deadline or retries spent) or `running`."""
    if status is None:
        return "running"
    if getattr(status, "succeeded", None):
        return "succeeded"
    conditions = getattr(status, "conditions", None) or []
    if any(c.type == "Failed" and c.status == "True" for c in conditions):
        return "failed"
    return "running"


def job_name(image_tag: str) -> str:
    """One Job per release: `migrate-<tag>`, reduced to a valid DNS label."""
    slug = re.sub(r"[^a-z0-9-]+", "-", image_tag.lower()).strip("-")
    return f"migrate-{slug}"[:63].rstrip("-")
