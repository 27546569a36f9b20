"""The whole platform, composed from components in the order traffic and data flow (see docs/infra.md)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.addons import AddonsArgs, ClusterAddons
from components.alerting import Alerting, AlertingArgs
from components.audit import Audit, AuditArgs
from components.backup import Backup, BackupArgs
from components.cache import Cache, CacheArgs
from components.certificates import Certificates, CertificatesArgs
from components.cluster import Cluster, ClusterArgs
from components.database import ADMIN_USER, Database, DatabaseArgs
from components.deployer import Deployer, DeployerArgs
from components.edge import CDN_LOG_PREFIX, ORIGIN_HEADER, Edge, EdgeArgs
from components.manifests import ALL_WORKLOADS, SERVICES, WORKER
from components.network import Network, NetworkArgs
from components.observability import Observability, ObservabilityArgs
from components.registry import Registry, RegistryArgs
from components.secrets import AppSecrets, AppSecretsArgs
from components.storage import Storage, StorageArgs
from components.workload import Workload, WorkloadArgs
from infra.config import StackSettings


def build(s: StackSettings) -> dict[str, Any]:
    """Declare every resource of one stack; returns the stack outputs."""
    p, tags = s.name_prefix, s.tags
    account_id = aws.get_caller_identity_output().account_id
    us_east_1 = aws.Provider(
        "us-east-1",
        region="us-east-1",
        allowed_account_ids=list(s.allowed_account_ids),
        default_tags={"tags": tags},
    )
    # The stack owns its zone; the runbook delegates it from the parent domain (output nameServers).
    zone = aws.route53.Zone("zone", name=s.domain, force_destroy=s.ephemeral, tags=tags)
    recovery_days = 0 if s.ephemeral else 30

    network = Network(
        "network",
        NetworkArgs(p, s.vpc_cidr, s.nat_gateways, s.log_retention_days, tags),
    )
    storage = Storage("storage", StorageArgs(p, account_id, s.log_retention_days, s.ephemeral, tags))
    audit = Audit(
        "audit",
        AuditArgs(p, s.region, account_id, storage.logs.name, storage.logs, s.log_retention_days, tags),
    )
    registry = Registry("registry", RegistryArgs(p, ALL_WORKLOADS, storage.kms_key_arn, s.ephemeral, tags))
    database = Database(
        "database",
        DatabaseArgs(
            p,
            network.vpc_id,
            network.data_subnet_ids,
            network.private_cidrs,
            s.db_instance_class,
            s.db_allocated_gb,
            s.db_max_allocated_gb,
            s.db_backup_days,
            s.db_multi_az,
            s.db_deletion_protection,
            s.db_read_replica,
            recovery_days,
            tags,
        ),
    )
    cache = Cache(
        "cache",
        CacheArgs(
            p,
            network.vpc_id,
            network.data_subnet_ids,
            network.private_cidrs,
            s.cache_node_type,
            s.cache_nodes,
            s.cache_snapshot_days,
            s.log_retention_days,
            recovery_days,
            tags,
        ),
    )
    backup = Backup(
        "backup",
        BackupArgs(p, s.db_backup_days, [database.arn], s.ephemeral, tags),
    )
    secrets = AppSecrets(
        "secrets",
        AppSecretsArgs(
            p,
            [*[svc.name for svc in SERVICES], WORKER],
            database.address,
            ADMIN_USER,
            database.master_secret_arn,
            database.app_password,
            cache.address,
            cache.auth_token,
            s.messaging.app_environment(),
            recovery_days,
            tags,
        ),
    )
    deployer = Deployer(
        "deployer",
        DeployerArgs(
            p, network.vpc_id, network.private_subnet_ids, s.github_repository, s.log_retention_days, tags
        ),
    )
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            p,
            s.cluster_version,
            s.region,
            network.vpc_id,
            network.private_subnet_ids,
            s.node_instance_types,
            s.node_capacity_type,
            s.node_min,
            s.node_desired,
            s.node_max,
            [deployer.role_arn, *s.cluster_admin_role_arns],
            tags,
        ),
    )
    outputs: dict[str, Any] = {
        "vpcId": network.vpc_id,
        "nameServers": zone.name_servers,
        "clusterName": cluster.name,
        "kubeconfig": cluster.kubeconfig,
        "deployerProject": deployer.project_name,
        "githubConnectionArn": deployer.connection_arn,
        "databaseAddress": database.address,
        "databaseAdminSecretArn": database.admin_secret_arn,
        "databaseMasterSecretArn": database.master_secret_arn,
        "redisAddress": cache.address,
        "productsBucket": storage.products.name,
        "assetsBucket": storage.assets.name,
        "repositoryUrls": registry.repository_urls,
        "trailArn": audit.trail_arn,
        "backupVault": backup.vault_name,
        "namespace": s.app_namespace,
        "publicUrl": f"https://{s.domain}",
        # Read back by infra.automation before every action: the release state lives with the stack, not in
        # the checkout of whichever CI run changed it last.
        "release": release_state(s),
    }
    if not s.deploy_workloads:
        alerting(s, account_id, database, cache, None, us_east_1)
        # Phase one of a new account (docs/infra.md): AWS only, from outside the VPC; the deployer inside the
        # VPC runs everything that talks to the private cluster API.
        return outputs
    addons = ClusterAddons(
        "addons",
        AddonsArgs(
            cluster.name,
            cluster.ready,
            network.vpc_id,
            s.region,
            cluster.oidc_provider_arn,
            cluster.oidc_provider_url,
            cluster.provider,
        ),
    )
    observability = Observability(
        "observability",
        ObservabilityArgs(
            p,
            s.region,
            account_id,
            s.log_retention_days,
            "15d" if not s.is_production else "30d",
            cluster.oidc_provider_arn,
            cluster.oidc_provider_url,
            cluster.provider,
            [*cluster.ready, addons.lb_controller],
            s.alert_email,
        ),
    )
    certificates = Certificates("certificates", CertificatesArgs(s.domain, zone.zone_id, us_east_1, tags))
    workload = Workload(
        "workload",
        WorkloadArgs(
            namespace=s.app_namespace,
            environment=s.environment,
            public_url=f"https://{s.domain}",
            image_repositories=registry.repository_urls,
            image_tag=s.image_tag,
            replicas=s.replicas,
            max_replicas=s.max_replicas,
            products_bucket=storage.products.name,
            products_bucket_arn=storage.products.arn,
            storage_kms_key_arn=storage.kms_key_arn,
            secret_names=secrets.secret_names,
            secret_arns=dict(secrets.arns),
            secrets_kms_key_arn=secrets.kms_key_arn,
            database_master_secret_arn=database.master_secret_arn,
            database_key_arn=database.key_arn,
            region=s.region,
            certificate_arn=certificates.origin_certificate_arn,
            load_balancer_security_group_id=network.load_balancer_security_group_id,
            log_bucket=storage.alb_logs.name,
            cdn_logs_bucket=storage.logs.name,
            cdn_logs_bucket_arn=storage.logs.arn,
            cdn_logs_kms_key_arn=storage.logs_kms_key_arn,
            cdn_logs_prefix=CDN_LOG_PREFIX,
            origin_header=ORIGIN_HEADER,
            origin_secret=secrets.origin_secret,
            metrics_token=secrets.metrics_token,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_provider_url=cluster.oidc_provider_url,
            provider=cluster.provider,
            depends_on=[*cluster.ready, *addons.ready, *observability.ready],
        ),
    )
    edge = Edge(
        "edge",
        EdgeArgs(
            p,
            s.domain,
            zone.zone_id,
            secrets.origin_secret,
            certificates.cloudfront_certificate_arn,
            certificates.origin_domain,
            workload.ingress_hostname,
            storage.assets.name,
            storage.assets.arn,
            storage.assets.bucket.bucket_regional_domain_name,
            storage.logs.arn,
            s.log_retention_days,
            us_east_1,
            tags,
        ),
    )
    alerting(s, account_id, database, cache, edge.distribution_id, us_east_1)
    return {
        **outputs,
        "distributionDomain": edge.distribution_domain,
        "migrationJob": workload.migration_job_name,
        # The Argo Rollouts infra.automation promotes or aborts.
        "rollouts": workload.rollouts,
        "migrationStatus": workload.migration_status,
    }


def alerting(
    s: StackSettings,
    account_id: pulumi.Input[str],
    database: Database,
    cache: Cache,
    distribution_id: pulumi.Input[str] | None,
    us_east_1: aws.Provider,
) -> Alerting:
    return Alerting(
        "alerting",
        AlertingArgs(
            s.name_prefix,
            account_id,
            s.alert_email,
            s.monthly_budget_usd,
            database.identifier,
            database.replica_identifier,
            cache.group_id,
            distribution_id,
            us_east_1,
            s.tags,
        ),
    )


def release_state(s: StackSettings) -> dict[str, Any]:
    """What the release steps change; infra.automation writes it back into the config before each action.
    Traffic (colours, canary weights) is Argo Rollouts' state in the cluster, not the stack's."""
    return {"imageTag": s.image_tag, "previousImageTag": s.previous_image_tag}


def export(outputs: dict[str, Any]) -> None:
    for key, value in outputs.items():
        pulumi.export(key, value)
