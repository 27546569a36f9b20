"""EKS from the provider's own resources (so the policy pack sees `aws:eks/cluster:Cluster` on a real engine):
a private control plane with audit logging and KMS-encrypted secrets, a managed node group in the private
subnets, the OIDC provider for IAM roles for service accounts, access entries for the deployer and the
engineers, the managed add-ons the workloads need (metrics for the HPAs, the EBS CSI driver and a default
StorageClass for volume claims), and the namespaces of the deployment strategy.

`ready` lists what every Helm release and workload must wait for: nodes to run on, namespaces to live in and
the add-ons (a release applied before the node group exists waits until Pulumi's timeout, then fails).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.iam import irsa_role, service_trust_policy
from components.kms import encryption_key

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",  # shell access via SSM instead of SSH keys
)
EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
# EKS add-ons beyond the three every cluster starts with (vpc-cni, kube-proxy, coredns): metrics-server feeds
# the HorizontalPodAutoscalers; the EBS CSI driver provisions Grafana's and Prometheus's volumes.
MANAGED_ADDONS = ("metrics-server", "aws-ebs-csi-driver")
# Pod Security admission per namespace: the creator namespaces enforce "restricted"; the platform agents that
# read node logs and metrics (Fluent Bit, node-exporter) need host access and are confined to their own
# namespaces.
NAMESPACES = {
    "monitoring": "privileged",
    "logging": "privileged",
    "argo-rollouts": "restricted",
    "creator-staging": "restricted",
    "creator-production": "restricted",
}


@dataclass(frozen=True)
class ClusterArgs:
    name_prefix: str
    version: str
    region: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    instance_types: tuple[str, ...]
    capacity_type: str  # ON_DEMAND or SPOT
    node_min: int
    node_desired: int
    node_max: int
    admin_principal_arns: Sequence[pulumi.Input[str]]
    tags: dict[str, str]


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_provider_url: pulumi.Output[str]
    provider: k8s.Provider
    node_group: aws.eks.NodeGroup
    namespaces: dict[str, k8s.core.v1.Namespace]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        secrets_key = encryption_key(
            f"{args.name_prefix}-eks-secrets", "EKS envelope encryption of Secrets", self
        )
        cluster_role = aws.iam.Role(
            f"{name}-role", assume_role_policy=service_trust_policy("eks.amazonaws.com"), opts=child
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-role-policy",
            role=cluster_role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=child,
        )
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.name_prefix,
            version=args.version,
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": list(args.private_subnet_ids),
                # EKS.1: the API is reached from inside the VPC only (the deployer runs there).
                "endpoint_private_access": True,
                "endpoint_public_access": False,
            },
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,  # EKS.8
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": secrets_key.arn}},  # EKS.3
            access_config={
                "authentication_mode": "API",
                # Access is granted by the entries below, never implicitly to whoever ran the first `up`.
                "bootstrap_cluster_creator_admin_permissions": False,
            },
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer if ids else "")
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"], tags=args.tags, opts=child
        )
        self.name = cluster.name
        self.oidc_provider_arn = oidc.arn
        self.oidc_provider_url = issuer

        access = self._access_entries(name, cluster, args)
        self.node_group = self._nodes(name, cluster, args)
        addons = self._addons(name, cluster, args)

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
                lambda v: kubeconfig(v[0], v[1], v[2], args.region)
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=access),
        )
        k8s_child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.namespaces = {
            namespace: k8s.core.v1.Namespace(
                f"{name}-ns-{namespace}",
                metadata={"name": namespace, "labels": _pod_security_labels(level)},
                opts=k8s_child,
            )
            for namespace, level in NAMESPACES.items()
        }
        # kube-system exists in every cluster; patch its labels instead of trying to create it.
        k8s.core.v1.NamespacePatch(
            f"{name}-ns-kube-system",
            metadata={"name": "kube-system", "labels": _pod_security_labels("privileged")},
            opts=k8s_child,
        )
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata={
                "name": "gp3",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            volume_binding_mode="WaitForFirstConsumer",
            reclaim_policy="Delete",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=addons),
        )
        self.ready = [self.node_group, *self.namespaces.values(), *addons, storage_class]
        self.register_outputs(
            {
                "name": self.name,
                "kubeconfig": self.kubeconfig,
                "oidc_provider_arn": self.oidc_provider_arn,
                "namespaces": json.dumps(sorted([*NAMESPACES, "kube-system"])),
            }
        )

    def _access_entries(
        self, name: str, cluster: aws.eks.Cluster, args: ClusterArgs
    ) -> list[pulumi.Resource]:
        """Cluster-admin access for the in-VPC deployer and the engineers' roles (API authentication mode)."""
        created: list[pulumi.Resource] = []
        for index, principal in enumerate(args.admin_principal_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-access-{index}",
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            created.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-access-{index}-admin",
                    cluster_name=cluster.name,
                    principal_arn=principal,
                    policy_arn=CLUSTER_ADMIN_POLICY,
                    access_scope={"type": "cluster"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
            )
        return created

    def _nodes(self, name: str, cluster: aws.eks.Cluster, args: ClusterArgs) -> aws.eks.NodeGroup:
        child = pulumi.ResourceOptions(parent=self)
        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-policy-{index}", role=node_role.name, policy_arn=arn, opts=child
            )
            for index, arn in enumerate(NODE_POLICIES)
        ]
        template = aws.ec2.LaunchTemplate(
            f"{name}-node-template",
            # IMDSv2 only, one hop: pods cannot borrow the node's role through the metadata service.
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {"volume_size": 50, "volume_type": "gp3", "encrypted": "true"},
                }
            ],
            tags=args.tags,
            opts=child,
        )
        return aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=list(args.private_subnet_ids),
            instance_types=list(args.instance_types),
            capacity_type=args.capacity_type,
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            scaling_config={
                "min_size": args.node_min,
                "desired_size": args.node_desired,
                "max_size": args.node_max,
            },
            update_config={"max_unavailable": 1},
            tags={
                **args.tags,
                # The cluster autoscaler finds the group by these tags.
                "k8s.io/cluster-autoscaler/enabled": "true",
                f"k8s.io/cluster-autoscaler/{args.name_prefix}": "owned",
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=attachments,
                # The autoscaler owns the desired size once the group exists.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _addons(self, name: str, cluster: aws.eks.Cluster, args: ClusterArgs) -> list[pulumi.Resource]:
        ebs_role = irsa_role(
            f"{name}-ebs-csi",
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_provider_url=self.oidc_provider_url,
            namespace="kube-system",
            service_account="ebs-csi-controller-sa",
            policy=None,
            parent=self,
            managed_policy_arns=(EBS_CSI_POLICY,),
        )
        role_for: dict[str, Any] = {"aws-ebs-csi-driver": ebs_role.arn}
        return [
            aws.eks.Addon(
                f"{name}-addon-{addon}",
                cluster_name=cluster.name,
                addon_name=addon,
                service_account_role_arn=role_for.get(addon),
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=args.tags,
                # Add-on pods need nodes; creating them first leaves the add-on DEGRADED until a timeout.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_group]),
            )
            for addon in MANAGED_ADDONS
        ]


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` as whoever runs Pulumi (no static token)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
                        }
                    },
                }
            ],
        }
    )


def _pod_security_labels(level: str) -> dict[str, str]:
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
