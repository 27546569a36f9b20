"""The VPC: three AZs, three subnet tiers, NAT per AZ (or one), flow logs, and a closed default security
group.

Tiers: `public` holds only load balancers (nothing gets a public IP on launch), `private` holds the EKS nodes
with
egress through NAT, `data` holds RDS and ElastiCache and has no route to the internet at all.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import service_trust_policy

# af-south-1 has exactly three AZs; naming them avoids a lookup and keeps subnets stable across previews.
AVAILABILITY_ZONES = ("af-south-1a", "af-south-1b", "af-south-1c")
HTTPS = 443
APP_PORT = 8000
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
REGION = "af-south-1"
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs")


@dataclass(frozen=True)
class NetworkArgs:
    name_prefix: str
    cidr: str
    nat_gateways: int
    flow_log_retention_days: int
    tags: dict[str, str]


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    private_cidrs: list[str]
    load_balancer_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        self._tags = tags

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": args.name_prefix},
            opts=child,
        )
        self.vpc_id = vpc.id
        # EC2.2: take over the default security group with no rules, so nothing can use it by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={**tags, "Name": "default-closed"},
            opts=child,
        )

        # /16 -> /20 blocks: public 0-2, private 4-9 (two /20s per AZ as one /19), data 12-14.
        blocks = list(ipaddress.ip_network(args.cidr).subnets(new_prefix=20))
        private_blocks = list(ipaddress.ip_network(args.cidr).subnets(new_prefix=19))[2:5]
        self.private_cidrs = [str(block) for block in private_blocks]

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags, opts=child)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
            tags={**tags, "Name": f"{args.name_prefix}-public"},
            opts=child,
        )
        public, private, data, nats = [], [], [], []
        route_tables: list[aws.ec2.RouteTable] = []
        for index, az in enumerate(AVAILABILITY_ZONES):
            subnet = self._subnet(
                name, "public", index, az, str(blocks[index]), vpc, {"kubernetes.io/role/elb": "1"}
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}-rta", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )
            public.append(subnet)
            if index < args.nat_gateways:
                eip = aws.ec2.Eip(f"{name}-nat-{index}-eip", domain="vpc", tags=tags, opts=child)
                nats.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{index}",
                        allocation_id=eip.id,
                        subnet_id=subnet.id,
                        tags={**tags, "Name": f"{args.name_prefix}-nat-{az}"},
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                    )
                )
        for index, az in enumerate(AVAILABILITY_ZONES):
            subnet = self._subnet(
                name,
                "private",
                index,
                az,
                self.private_cidrs[index],
                vpc,
                {"kubernetes.io/role/internal-elb": "1"},
            )
            # With one NAT (dev) every AZ shares it; with three each AZ keeps its own egress when another AZ
            # fails.
            nat = nats[min(index, len(nats) - 1)]
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{index}-rt",
                vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
                tags={**tags, "Name": f"{args.name_prefix}-private-{az}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-rta", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )
            private.append(subnet)
            route_tables.append(route_table)
        data_rt = aws.ec2.RouteTable(
            f"{name}-data-rt", vpc_id=vpc.id, tags={**tags, "Name": f"{args.name_prefix}-data"}, opts=child
        )
        for index, az in enumerate(AVAILABILITY_ZONES):
            subnet = self._subnet(name, "data", index, az, str(blocks[12 + index]), vpc, {})
            aws.ec2.RouteTableAssociation(
                f"{name}-data-{index}-rta", subnet_id=subnet.id, route_table_id=data_rt.id, opts=child
            )
            data.append(subnet)
        route_tables.append(data_rt)
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.data_subnet_ids = [s.id for s in data]

        self._flow_logs(name, args, vpc)
        self._endpoints(name, args, vpc, [s.id for s in private], route_tables)
        # EC2.7: every new volume in the region (node disks, Prometheus and Grafana claims) is encrypted.
        aws.ebs.EncryptionByDefault(f"{name}-ebs-encryption", enabled=True, opts=child)
        # Only CloudFront's origin-facing addresses reach the ALB, so nobody can go around the WAF through
        # origin.<domain>; the listener rules also require the secret origin header (components/workload.py).
        cloudfront = aws.ec2.get_managed_prefix_list_output(
            name=CLOUDFRONT_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        lb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=vpc.id,
            description="ALB: HTTPS in from CloudFront only, app port out to the node subnets only",
            ingress=[
                {"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "prefix_list_ids": [cloudfront.id]}
            ],
            egress=[
                {
                    "protocol": "tcp",
                    "from_port": APP_PORT,
                    "to_port": APP_PORT,
                    "cidr_blocks": self.private_cidrs,
                }
            ],
            tags={**tags, "Name": f"{args.name_prefix}-alb"},
            opts=child,
        )
        self.load_balancer_security_group_id = lb_sg.id
        self.register_outputs(
            {
                "vpc_id": vpc.id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "data_subnet_ids": self.data_subnet_ids,
                "load_balancer_security_group_id": lb_sg.id,
            }
        )

    def _subnet(
        self,
        name: str,
        tier: str,
        index: int,
        az: str,
        cidr: str,
        vpc: aws.ec2.Vpc,
        extra_tags: dict[str, str],
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{name}-{tier}-{index}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=az,
            map_public_ip_on_launch=False,
            tags={**self._tags, "Tier": tier, "Name": f"{name}-{tier}-{az}", **extra_tags},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _endpoints(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        subnet_ids: list[pulumi.Output[str]],
        route_tables: list[aws.ec2.RouteTable],
    ) -> None:
        """Image pulls, S3, STS (IRSA) and log shipping stay inside the VPC: cheaper than NAT, and they keep
        working when a NAT gateway's AZ fails."""
        child = pulumi.ResourceOptions(parent=self)
        aws.ec2.VpcEndpoint(
            f"{name}-endpoint-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{REGION}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in route_tables],
            tags={**args.tags, "Name": f"{args.name_prefix}-s3"},
            opts=child,
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="Interface endpoints: HTTPS from inside the VPC",
            ingress=[{"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": [args.cidr]}],
            egress=[],
            tags={**args.tags, "Name": f"{args.name_prefix}-endpoints"},
            opts=child,
        )
        for service in INTERFACE_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                f"{name}-endpoint-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{REGION}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[security_group.id],
                tags={**args.tags, "Name": f"{args.name_prefix}-{service}"},
                opts=child,
            )

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> None:
        """EC2.6: every accepted and rejected flow goes to CloudWatch Logs for incident forensics."""
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/windsurf/{args.name_prefix}/vpc-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            tags=args.tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=service_trust_policy("vpc-flow-logs.amazonaws.com"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ],
                            "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                        }
                    ],
                }
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags=args.tags,
            opts=child,
        )
