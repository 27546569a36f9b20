"""EKS: a private control plane with audit logging and KMS-encrypted secrets, managed node groups in the
private
subnets, an OIDC provider for IAM roles for service accounts, and the namespaces of the deployment
strategy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.iam import service_trust_policy
from components.kms import encryption_key

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator"]
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",  # shell access via SSM instead of SSH keys
)
# Pod Security admission per namespace: the creator namespaces enforce "restricted"; the platform agents that
# read
# node logs and metrics (Fluent Bit, node-exporter) need host access and are confined to their own namespaces.
NAMESPACES = {
    "monitoring": "privileged",
    "logging": "privileged",
    "creator-staging": "restricted",
    "creator-production": "restricted",
}


@dataclass(frozen=True)
class ClusterArgs:
    name_prefix: str
    version: str
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    api_public_cidrs: tuple[str, ...]
    instance_types: tuple[str, ...]
    node_min: int
    node_desired: int
    node_max: int
    tags: dict[str, str]


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_provider_url: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        secrets_key = encryption_key(
            f"{args.name_prefix}-eks-secrets", "EKS envelope encryption of Secrets", self
        )

        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        for index, arn in enumerate(NODE_POLICIES):
            aws.iam.RolePolicyAttachment(
                f"{name}-node-policy-{index}", role=node_role.name, policy_arn=arn, opts=child
            )

        cluster = eks.Cluster(
            f"{name}-eks",
            name=args.name_prefix,
            version=args.version,
            vpc_id=args.vpc_id,
            public_subnet_ids=list(args.public_subnet_ids),
            private_subnet_ids=list(args.private_subnet_ids),
            node_associate_public_ip_address=False,
            # EKS.1: the API is reached from inside the VPC; a public endpoint exists only for listed CIDRs.
            endpoint_private_access=True,
            endpoint_public_access=bool(args.api_public_cidrs),
            public_access_cidrs=list(args.api_public_cidrs) or None,
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,  # EKS.8
            encryption_config_key_arn=secrets_key.arn,  # EKS.3
            create_oidc_provider=True,
            authentication_mode=eks.AuthenticationMode.API,
            skip_default_node_group=True,
            instance_roles=[node_role],
            tags=args.tags,
            opts=child,
        )
        eks.ManagedNodeGroup(
            f"{name}-nodes",
            cluster=cluster,
            node_role=node_role,
            subnet_ids=list(args.private_subnet_ids),
            instance_types=list(args.instance_types),
            capacity_type="ON_DEMAND",
            enable_imd_sv2=True,
            scaling_config={
                "min_size": args.node_min,
                "desired_size": args.node_desired,
                "max_size": args.node_max,
            },
            tags=args.tags,
            opts=child,
        )

        self.name = pulumi.Output.from_input(args.name_prefix)
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.oidc_provider_url = cluster.oidc_provider_url
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=cluster.kubeconfig_json, enable_server_side_apply=True, opts=child
        )
        k8s_child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        for namespace, level in NAMESPACES.items():
            k8s.core.v1.Namespace(
                f"{name}-ns-{namespace}",
                metadata={"name": namespace, "labels": _pod_security_labels(level)},
                opts=k8s_child,
            )
        # kube-system exists in every cluster; patch its labels instead of trying to create it.
        k8s.core.v1.NamespacePatch(
            f"{name}-ns-kube-system",
            metadata={"name": "kube-system", "labels": _pod_security_labels("privileged")},
            opts=k8s_child,
        )
        self.register_outputs(
            {
                "name": self.name,
                "kubeconfig": self.kubeconfig,
                "oidc_provider_arn": self.oidc_provider_arn,
                "namespaces": json.dumps(sorted([*NAMESPACES, "kube-system"])),
            }
        )


def _pod_security_labels(level: str) -> dict[str, str]:
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
