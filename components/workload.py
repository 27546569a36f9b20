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
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    provider: k8s.Provider
    depends_on: list[pulumi.Resource]


class Workload(pulumi.ComponentResource):
    ingress_hostname: pulumi.Output[str]
    migration_job_name: str
    migration_succeeded: pulumi.Output[Any]

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:workload:Workload", name, None, opts)
        self._args = args
        self._opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=args.depends_on)
        ns = args.namespace

        for workload in m.ALL_WORKLOADS:
            self._identity(workload)
        job = self._migration_job()
        after_migration = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[job])

        for service in m.SERVICES:
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
        ingress = self._ingress()

        self.ingress_hostname = ingress.status.apply(
            lambda status: (
                (status.load_balancer.ingress or [None])[0].hostname
                if status and status.load_balancer and status.load_balancer.ingress
                else ""
            )
        )
        self.migration_job_name = job_name(args.image_tag)
        self.migration_succeeded = job.status.apply(lambda status: bool(status and status.succeeded))
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
        policy = pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OwnPrefix",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                        "Resource": pulumi.Output.concat(args.products_bucket_arn, "/", workload, "/*"),
                    },
                    {
                        "Sid": "ListOwnPrefix",
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": args.products_bucket_arn,
                        "Condition": {"StringLike": {"s3:prefix": [f"{workload}/*"]}},
                    },
                    {
                        "Sid": "OwnSecret",
                        "Effect": "Allow",
                        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                        "Resource": args.secret_arns[workload],
                    },
                    {
                        "Sid": "DecryptOwnData",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                        "Resource": [args.storage_kms_key_arn, args.secrets_kms_key_arn],
                    },
                ],
            }
        )
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

    def _env(self, workload: str, routers: str) -> dict[str, Any]:
        env = {
            "WINDSURF_ENV": "production",  # the process mode (not the stack): real backends, secure cookies
            "WINDSURF_PUBLIC_URL": self._args.public_url,
            "WINDSURF_S3_BUCKET": self._args.products_bucket,
            "WINDSURF_S3_PREFIX": f"{workload}/",
            "WINDSURF_WORKERS": "2",
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
                cpu="500m" if served else "250m",
                memory="512Mi",
            )
        )
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
                    **({} if served else m.WORKER_CHECKOV_SKIPS),
                },
            ),
            spec=template.apply(lambda t: m.deployment_spec(app, track, args.replicas, t)),
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
                cpu="250m",
                memory="512Mi",
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
                    "activeDeadlineSeconds": 900,
                    "template": {**t, "spec": {**t["spec"], "restartPolicy": "Never"}},
                }
            ),
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(delete_before_replace=True)),
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

    def _ingress(self) -> k8s.networking.v1.Ingress:
        args = self._args
        canary_action = "storefront-weighted"
        paths = []
        for service in m.SERVICES:
            for path in service.paths:
                if service.release == "canary":
                    paths.append(m.ingress_path(path, canary_action, "use-annotation"))
                else:
                    paths.append(m.ingress_path(path, service.name, 80))
        annotations = pulumi.Output.all(
            args.certificate_arn, args.load_balancer_security_group_id, args.log_bucket
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


def job_name(image_tag: str) -> str:
    """One Job per release: `migrate-<tag>`, reduced to a valid DNS label."""
    slug = re.sub(r"[^a-z0-9-]+", "-", image_tag.lower()).strip("-")
    return f"migrate-{slug}"[:63].rstrip("-")
