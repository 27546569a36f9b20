"""The windsurf services on EKS: per service an IRSA-bound ServiceAccount, its secrets synced from Secrets
Manager,
Deployments with HPA and PodDisruptionBudget, Services, and one ALB Ingress that routes by path.

Releases: backend services run two colours (blue, green); the live Service selects `activeColor`, the preview
Service the other one. The storefront runs stable and canary Deployments; the ALB splits traffic by
`canaryWeight`. The migration Job for `imageTag` must complete before any Deployment changes.
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

COLORS = ("blue", "green")
METRICS_TOKEN_KEY = "token"  # noqa: S105 - the key inside the Secret, not a value


@dataclass(frozen=True)
class WorkloadArgs:
    namespace: str
    environment: str
    public_url: str
    image_repositories: Mapping[str, pulumi.Input[str]]
    image_tag: str
    color_tags: dict[str, str]
    active_color: str
    storefront_stable_tag: str
    storefront_canary_tag: str
    canary_weight: int
    replicas: int
    max_replicas: int
    products_bucket: pulumi.Input[str]
    products_bucket_arn: pulumi.Input[str]
    storage_kms_key_arn: pulumi.Input[str]
    secret_names: dict[str, str]
    secret_arns: dict[str, pulumi.Input[str]]
    secrets_kms_key_arn: pulumi.Input[str]
    region: str
    certificate_arn: pulumi.Input[str]
    load_balancer_security_group_id: pulumi.Input[str]
    log_bucket: pulumi.Input[str]
    origin_header: str
    origin_secret: pulumi.Input[str]
    metrics_token: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    provider: k8s.Provider
    depends_on: list[pulumi.Resource]


class Workload(pulumi.ComponentResource):
    ingress_hostname: pulumi.Output[str]
    migration_job_name: str
    migration_status: pulumi.Output[str]
    preview_services: list[str]

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

        self.preview_services = []
        for service in m.SERVICES:
            self.preview_services.append(
                f"{service.name}-preview" if service.release == "blue-green" else f"{service.name}-canary"
            )
            if service.release == "blue-green":
                for color in COLORS:
                    self._deployment(
                        service.name, color, args.color_tags[color], service.routers, after_migration
                    )
                self._service(service.name, {**m.labels(service.name, args.active_color)})
                inactive = next(c for c in COLORS if c != args.active_color)
                self._service(f"{service.name}-preview", m.labels(service.name, inactive))
            else:
                for track, tag in (
                    ("stable", args.storefront_stable_tag),
                    ("canary", args.storefront_canary_tag),
                ):
                    self._deployment(service.name, track, tag, service.routers, after_migration)
                    self._service(f"{service.name}-{track}", m.labels(service.name, track))
        self._deployment(m.WORKER, None, args.image_tag, "", after_migration, command="worker")
        self._network_policy()
        self._monitoring()
        ingress = self._ingress()

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

    def _deployment(
        self,
        app: str,
        track: str | None,
        tag: str,
        routers: str,
        opts: pulumi.ResourceOptions,
        command: str = "serve",
    ) -> None:
        args = self._args
        name = f"{app}-{track}" if track else app
        served = command == "serve"
        template = pulumi.Output.all(self._image(app, tag), args.products_bucket).apply(
            lambda values: m.pod_template(
                app=app,
                track=track,
                image=values[0],
                args=[command],
                env={**self._env(app, routers), "WINDSURF_S3_BUCKET": values[1]},
                secret_name=f"{app}-env",
                service_account=app,
                probes=served,
                resources=m.WEB_RESOURCES if served else m.WORKER_RESOURCES,
            )
        )
        # A track that never received a release runs no pods: there is no image to pull yet.
        replicas = 0 if tag == m.UNRELEASED else args.replicas
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=m.metadata(
                name,
                args.namespace,
                app,
                track,
                annotations={
                    "windsurf.et/image-tag": tag,
                    **m.CHECKOV_SKIPS,
                },
            ),
            spec=template.apply(lambda t: m.deployment_spec(app, track, replicas, t)),
            opts=opts,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=m.metadata(name, args.namespace, app, track),
            spec=m.hpa_spec(name, args.replicas, args.max_replicas),
            opts=opts,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=m.metadata(name, args.namespace, app, track),
            spec=m.pdb_spec(app, track),
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
        """Prometheus scrapes every app Service's /metrics with its bearer token; the rules page on what buyers
        would feel."""
        # The operator reads the token from a Secret beside the ServiceMonitor (it cannot read Secrets Manager).
        token = k8s.core.v1.Secret(
            "metrics-token",
            metadata={
                "name": "windsurf-metrics-token",
                "namespace": self._args.namespace,
                "labels": m.labels("monitoring"),
            },
            type="Opaque",
            string_data={METRICS_TOKEN_KEY: self._args.metrics_token},
            opts=self._opts,
        )
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
                        # The app answers /metrics only to this token (WINDSURF_METRICS_TOKEN, same value).
                        "authorization": {
                            "type": "Bearer",
                            "credentials": {"name": token.metadata.name, "key": METRICS_TOKEN_KEY},
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

    def _ingress(self) -> k8s.networking.v1.Ingress:
        args = self._args
        canary_action = "storefront-weighted"
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
                f"alb.ingress.kubernetes.io/actions.{canary_action}": m.weighted_forward_action(
                    "storefront-stable", "storefront-canary", args.canary_weight
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
                "name": "windsurf",
                "namespace": args.namespace,
                "labels": m.labels("ingress"),
                "annotations": annotations,
            },
            spec={"ingressClassName": "alb", "rules": [{"http": {"paths": paths}}]},
            opts=self._opts,
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
