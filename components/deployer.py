"""The deployer: a CodeBuild project in the private subnets that serves as the GitHub Actions runner of the
deploy jobs (`runs-on: codebuild-<project>-<run id>-<attempt>`).

The cluster's API endpoint is private in every stack, so `pulumi up` must run from inside the VPC. Hosted
runners cannot reach it; this project can, and its role has a cluster access entry (components/cluster.py).
GitHub reaches CodeBuild through a CodeConnections connection that an administrator approves once in the
console (docs/infra.md, runbook).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import service_trust_policy

HTTPS = 443
# The deploy job drives the whole stack (every AWS service it declares), so the role is the account's
# administrator; only this project and the access entries can assume or use it.
DEPLOY_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass(frozen=True)
class DeployerArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    repository_url: str
    log_retention_days: int
    tags: dict[str, str]


class Deployer(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    project_name: pulumi.Output[str]
    connection_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DeployerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:deployer:Deployer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=service_trust_policy("codebuild.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-role-policy", role=role.name, policy_arn=DEPLOY_POLICY, opts=child
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Deploy runner: no inbound traffic; HTTPS out (GitHub, AWS APIs, the cluster API)",
            ingress=[],
            egress=[{"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": ["0.0.0.0/0"]}],
            tags=args.tags,
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/windsurf/{args.name_prefix}/deployer",
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        connection = aws.codeconnections.Connection(
            f"{name}-github", name=f"{args.name_prefix}-github", provider_type="GitHub", opts=child
        )
        project = aws.codebuild.Project(
            f"{name}-project",
            name=f"{args.name_prefix}-deployer",
            description="GitHub Actions runner for deploys, inside the VPC",
            service_role=role.arn,
            build_timeout=120,
            source={
                "type": "GITHUB",
                "location": args.repository_url,
                "auth": {"type": "CODECONNECTIONS", "resource": connection.arn},
            },
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "compute_type": "BUILD_GENERAL1_MEDIUM",
                "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
                "type": "LINUX_CONTAINER",
                "image_pull_credentials_type": "CODEBUILD",
                "privileged_mode": False,
            },
            vpc_config={
                "vpc_id": args.vpc_id,
                "subnets": list(args.subnet_ids),
                "security_group_ids": [security_group.id],
            },
            logs_config={"cloudwatch_logs": {"group_name": logs.name, "status": "ENABLED"}},
            tags=args.tags,
            opts=child,
        )
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}],
            opts=child,
        )
        self.role_arn = role.arn
        self.project_name = project.name
        self.connection_arn = connection.arn
        self.register_outputs(
            {"role_arn": role.arn, "project_name": project.name, "connection_arn": connection.arn}
        )
