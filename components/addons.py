"""Cluster add-ons the workloads rely on: the AWS Load Balancer Controller (turns Ingresses into the ALB), the
External Secrets Operator (copies each service's Secrets Manager secret into a Kubernetes Secret, refreshed
hourly so a rotation reaches the pods on their next restart), the Cluster Autoscaler (adds nodes when pods
do not fit) and Argo Rollouts (shifts traffic to a release step by step and rolls it back when the app's metrics
say so; components/workload.py). Each runs with its own IRSA role where it calls AWS.

Order matters on a first `up`: every release waits for the nodes, namespaces and EKS add-ons (`cluster.ready`);
the others also wait for the load balancer controller, whose webhook fails closed: a Service created while it
is not answering is refused."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.iam import irsa_role

LB_CONTROLLER_CHART = ("aws-load-balancer-controller", "https://aws.github.io/eks-charts", "1.13.4")
EXTERNAL_SECRETS_CHART = ("external-secrets", "https://charts.external-secrets.io", "0.19.2")
AUTOSCALER_CHART = ("cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "9.50.1")
# Chart 2.41.0 is Argo Rollouts v1.9.0; tests/infra/schemas holds its Rollout and AnalysisTemplate schemas.
ROLLOUTS_CHART = ("argo-rollouts", "https://argoproj.github.io/argo-helm", "2.41.0")
ROLLOUTS_NAMESPACE = "argo-rollouts"


def requests(cpu: str, memory: str) -> dict[str, dict[str, str]]:
    """Helm `resources` values; the capacity test sums these (tests/infra/test_contract.py)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}}


AUTOSCALER_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true"}},
            },
        ],
    }
)

# What the controller does with ALBs, target groups and their security groups; resources it creates carry the
# elbv2.k8s.aws/cluster tag, and destructive calls are limited to those.
LB_CONTROLLER_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:Describe*",
                    "ec2:GetSecurityGroupsForVpc",
                    "elasticloadbalancing:Describe*",
                    "acm:ListCertificates",
                    "acm:DescribeCertificate",
                    "wafv2:GetWebACL",
                    "wafv2:GetWebACLForResource",
                    "shield:GetSubscriptionState",
                    "cognito-idp:DescribeUserPoolClient",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:CreateSecurityGroup",
                    "ec2:CreateTags",
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                    "elasticloadbalancing:CreateLoadBalancer",
                    "elasticloadbalancing:CreateTargetGroup",
                    "elasticloadbalancing:CreateListener",
                    "elasticloadbalancing:CreateRule",
                    "elasticloadbalancing:AddTags",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:DeleteSecurityGroup",
                    "elasticloadbalancing:Modify*",
                    "elasticloadbalancing:Set*",
                    "elasticloadbalancing:Delete*",
                    "elasticloadbalancing:RegisterTargets",
                    "elasticloadbalancing:DeregisterTargets",
                    "elasticloadbalancing:AddListenerCertificates",
                    "elasticloadbalancing:RemoveListenerCertificates",
                    "elasticloadbalancing:RemoveTags",
                ],
                "Resource": "*",
                "Condition": {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}},
            },
        ],
    }
)


@dataclass(frozen=True)
class AddonsArgs:
    cluster_name: pulumi.Input[str]
    ready: list[pulumi.Resource]
    vpc_id: pulumi.Input[str]
    region: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    provider: k8s.Provider


class ClusterAddons(pulumi.ComponentResource):
    def __init__(self, name: str, args: AddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:cluster:Addons", name, None, opts)
        k8s_child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=args.ready)

        lb_role = irsa_role(
            f"{name}-lb-controller",
            namespace="kube-system",
            service_account="aws-load-balancer-controller",
            policy=LB_CONTROLLER_POLICY,
            parent=self,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_provider_url=args.oidc_provider_url,
        )
        chart, repo, version = LB_CONTROLLER_CHART
        self.lb_controller = k8s.helm.v3.Release(
            f"{name}-lb-controller",
            name=chart,
            chart=chart,
            version=version,
            namespace="kube-system",
            repository_opts={"repo": repo},
            values={
                "clusterName": args.cluster_name,
                "region": args.region,
                "vpcId": args.vpc_id,
                "replicaCount": 2,
                "resources": requests("100m", "128Mi"),
                "serviceAccount": {
                    "name": "aws-load-balancer-controller",
                    "annotations": {"eks.amazonaws.com/role-arn": lb_role.arn},
                },
            },
            opts=k8s_child,
        )
        after_lb = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=[*args.ready, self.lb_controller]
        )
        chart, repo, version = EXTERNAL_SECRETS_CHART
        self.external_secrets = k8s.helm.v3.Release(
            f"{name}-external-secrets",
            name=chart,
            chart=chart,
            version=version,
            namespace="kube-system",
            repository_opts={"repo": repo},
            values={
                "installCRDs": True,
                "replicaCount": 2,
                "resources": requests("50m", "128Mi"),
                "webhook": {"resources": requests("25m", "64Mi")},
                "certController": {"resources": requests("25m", "64Mi")},
            },
            opts=after_lb,
        )
        autoscaler_role = irsa_role(
            f"{name}-cluster-autoscaler",
            namespace="kube-system",
            service_account="cluster-autoscaler",
            policy=AUTOSCALER_POLICY,
            parent=self,
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_provider_url=args.oidc_provider_url,
        )
        chart, repo, version = AUTOSCALER_CHART
        self.autoscaler = k8s.helm.v3.Release(
            f"{name}-cluster-autoscaler",
            name=chart,
            chart=chart,
            version=version,
            namespace="kube-system",
            repository_opts={"repo": repo},
            values={
                "autoDiscovery": {"clusterName": args.cluster_name},
                "awsRegion": args.region,
                "resources": requests("100m", "300Mi"),
                "rbac": {
                    "serviceAccount": {
                        "name": "cluster-autoscaler",
                        "annotations": {"eks.amazonaws.com/role-arn": autoscaler_role.arn},
                    }
                },
                "extraArgs": {"balance-similar-node-groups": True, "skip-nodes-with-system-pods": False},
            },
            opts=after_lb,
        )
        chart, repo, version = ROLLOUTS_CHART
        self.rollouts = k8s.helm.v3.Release(
            f"{name}-argo-rollouts",
            name=chart,
            chart=chart,
            version=version,
            namespace=ROLLOUTS_NAMESPACE,
            repository_opts={"repo": repo},
            values={
                "installCRDs": True,
                "keepCRDs": True,  # deleting the chart must not delete every Rollout with its CRD
                "controller": {"replicas": 2, "resources": requests("50m", "128Mi")},
                "dashboard": {"enabled": False},
            },
            opts=after_lb,
        )
        self.ready = [self.lb_controller, self.external_secrets, self.rollouts]
        self.register_outputs(
            {
                "lb_controller": self.lb_controller.status,
                "external_secrets": self.external_secrets.status,
                "autoscaler": self.autoscaler.status,
                "rollouts": self.rollouts.status,
            }
        )
