"""Who hears about trouble: an SNS topic per region (CloudFront's metrics live in us-east-1) mailed to on-call,
CloudWatch alarms on the data stores and on 5xx at the ALB and CloudFront, GuardDuty and Security Hub findings
through EventBridge, and the monthly budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.kms import encryption_key

FIVE_MINUTES = 300


@dataclass(frozen=True)
class AlertingArgs:
    name_prefix: str
    account_id: pulumi.Input[str]
    email: str
    monthly_budget_usd: int
    database_id: pulumi.Input[str]
    replica_id: pulumi.Input[str] | None
    redis_group_id: pulumi.Input[str]
    distribution_id: pulumi.Input[str] | None
    us_east_1: aws.Provider
    tags: dict[str, str]


class Alerting(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:alerting:Alerting", name, None, opts)
        topic = self._topic(f"{name}-topic", args, None)
        global_topic = self._topic(f"{name}-topic-us-east-1", args, args.us_east_1)
        self.topic_arn = topic.arn

        database = {"DBInstanceIdentifier": args.database_id}
        self._alarm(name, "rds-cpu", "AWS/RDS", "CPUUtilization", database, ">", 80, topic, args, None)
        self._alarm(
            name, "rds-storage", "AWS/RDS", "FreeStorageSpace", database, "<", 5 * 1024**3, topic, args, None
        )
        self._alarm(
            name, "rds-connections", "AWS/RDS", "DatabaseConnections", database, ">", 400, topic, args, None
        )
        if args.replica_id is not None:
            replica = {"DBInstanceIdentifier": args.replica_id}
            self._alarm(
                name, "rds-replica-lag", "AWS/RDS", "ReplicaLag", replica, ">", 300, topic, args, None
            )
        redis = {"ReplicationGroupId": args.redis_group_id}
        self._alarm(
            name, "redis-cpu", "AWS/ElastiCache", "EngineCPUUtilization", redis, ">", 80, topic, args, None
        )
        self._alarm(
            name,
            "redis-memory",
            "AWS/ElastiCache",
            "DatabaseMemoryUsagePercentage",
            redis,
            ">",
            85,
            topic,
            args,
            None,
        )
        # The ALB is created by the load balancer controller, so its name is not known here: Metrics Insights
        # sums over every ALB of the account (one per stack account).
        aws.cloudwatch.MetricAlarm(
            f"{name}-alb-5xx",
            name=f"{args.name_prefix}-alb-5xx",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=2,
            threshold=25,
            metric_queries=[
                {
                    "id": "errors",
                    "expression": (
                        'SELECT SUM(HTTPCode_Target_5XX_Count) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer)'
                    ),
                    "period": FIVE_MINUTES,
                    "return_data": True,
                }
            ],
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            treat_missing_data="notBreaching",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.distribution_id is not None:
            distribution = {"DistributionId": args.distribution_id, "Region": "Global"}
            self._alarm(
                name,
                "cloudfront-5xx",
                "AWS/CloudFront",
                "5xxErrorRate",
                distribution,
                ">",
                2,
                global_topic,
                args,
                args.us_east_1,
            )
        self._findings(name, args, topic)
        aws.budgets.Budget(
            f"{name}-budget",
            name=f"{args.name_prefix}-monthly",
            budget_type="COST",
            limit_amount=str(args.monthly_budget_usd),
            limit_unit="USD",
            time_unit="MONTHLY",
            notifications=[
                {
                    "comparison_operator": "GREATER_THAN",
                    "threshold": threshold,
                    "threshold_type": "PERCENTAGE",
                    "notification_type": kind,
                    "subscriber_email_addresses": [args.email],
                }
                for threshold, kind in ((80, "ACTUAL"), (100, "FORECASTED"))
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"topic_arn": topic.arn})

    def _topic(self, name: str, args: AlertingArgs, provider: aws.Provider | None) -> aws.sns.Topic:
        opts = pulumi.ResourceOptions(parent=self, provider=provider)
        key = encryption_key(
            f"{args.name_prefix}-{name}",
            "SNS alerts",
            self,
            policy=_publisher_key_policy(args.account_id),
            provider=provider,
        )
        topic = aws.sns.Topic(
            name, name=f"{args.name_prefix}-alerts", kms_master_key_id=key.arn, tags=args.tags, opts=opts
        )
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=topic.arn,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AlarmsAndFindingsPublish",
                            "Effect": "Allow",
                            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                            "Action": "sns:Publish",
                            "Resource": topic.arn,
                            "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                        }
                    ],
                }
            ),
            opts=opts,
        )
        aws.sns.TopicSubscription(
            f"{name}-email", topic=topic.arn, protocol="email", endpoint=args.email, opts=opts
        )
        return topic

    def _alarm(
        self,
        name: str,
        what: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, Any],
        comparison: str,
        threshold: float,
        topic: aws.sns.Topic,
        args: AlertingArgs,
        provider: aws.Provider | None,
    ) -> None:
        aws.cloudwatch.MetricAlarm(
            f"{name}-{what}",
            name=f"{args.name_prefix}-{what}",
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic="Average",
            period=FIVE_MINUTES,
            evaluation_periods=3,
            threshold=threshold,
            comparison_operator="GreaterThanThreshold" if comparison == ">" else "LessThanThreshold",
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

    def _findings(self, name: str, args: AlertingArgs, topic: aws.sns.Topic) -> None:
        """High and critical GuardDuty and Security Hub findings reach on-call within minutes."""
        child = pulumi.ResourceOptions(parent=self)
        patterns = {
            "guardduty": {
                "source": ["aws.guardduty"],
                "detail-type": ["GuardDuty Finding"],
                "detail": {"severity": [{"numeric": [">=", 7]}]},
            },
            "securityhub": {
                "source": ["aws.securityhub"],
                "detail-type": ["Security Hub Findings - Imported"],
                "detail": {
                    "findings": {
                        "Severity": {"Label": ["HIGH", "CRITICAL"]},
                        "Workflow": {"Status": ["NEW"]},
                        "RecordState": ["ACTIVE"],
                    }
                },
            },
        }
        for source, pattern in patterns.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{source}-findings",
                name=f"{args.name_prefix}-{source}-findings",
                event_pattern=pulumi.Output.json_dumps(pattern),
                tags=args.tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(f"{name}-{source}-to-sns", rule=rule.name, arn=topic.arn, opts=child)


def _publisher_key_policy(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """CloudWatch and EventBridge publish to an encrypted topic only when the key lets them."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "PublishersEncrypt",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                },
            ],
        }
    )
