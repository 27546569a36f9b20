"""The front door: CloudFront (TLS 1.2+, WAF, access logs) in front of the ALB origin and the private assets
bucket,
and the Route 53 names that point at it.

CloudFront reads the assets bucket through origin access control, so this component writes that bucket's
policy:
the TLS-only statement every bucket carries plus read access for this one distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.storage import tls_only_statement

# AWS managed CloudFront policies (fixed ids published by AWS).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # the hosted zone of every *.cloudfront.net alias target
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesSQLiRuleSet",
)
RATE_LIMIT_PER_5_MIN = 2000  # per client IP; a buyer on a shared carrier NAT stays well below it
ORIGIN_HEADER = "X-Windsurf-Origin"  # carries the origin secret from CloudFront to the ALB and the app
# CloudFront's address of the viewer; the app reads it only on requests that carry the origin secret.
VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
# The common rule set blocks bodies over 8 KB; creators upload files up to 50 MB. That one rule only counts
# (and labels) requests, and the size rule below blocks labelled requests outside the upload paths.
BODY_SIZE_RULE = "SizeRestrictions_BODY"
BODY_SIZE_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"
CDN_LOG_PREFIX = "cloudfront"  # the access logs' folder in the logs bucket (the worker reads it)
UPLOAD_PATH_PREFIXES = ("/dashboard/", "/api/v1/catalog/", "/api/v1/stores/")


@dataclass(frozen=True)
class EdgeArgs:
    name_prefix: str
    domain: str
    hosted_zone_id: pulumi.Input[str]
    origin_secret: pulumi.Input[str]
    certificate_arn: pulumi.Input[str]
    origin_domain: str
    origin_hostname: pulumi.Input[str]
    assets_bucket: pulumi.Input[str]
    assets_bucket_arn: pulumi.Input[str]
    assets_bucket_domain: pulumi.Input[str]
    log_bucket_arn: pulumi.Input[str]
    log_retention_days: int
    us_east_1: aws.Provider
    tags: dict[str, str]


class Edge(pulumi.ComponentResource):
    distribution_id: pulumi.Output[str]
    distribution_domain: pulumi.Output[str]

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:edge:Edge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        global_child = pulumi.ResourceOptions(parent=self, provider=args.us_east_1)
        web_acl = self._web_acl(name, args, global_child)
        origin_requests = aws.cloudfront.OriginRequestPolicy(
            f"{name}-origin-requests",
            name=f"{args.name_prefix}-app",
            comment="Viewer headers (Host too: the origin certificate names the site) and the viewer address",
            headers_config={
                "header_behavior": "allViewerAndWhitelistCloudFront",
                "headers": {"items": [VIEWER_ADDRESS_HEADER]},
            },
            cookies_config={"cookie_behavior": "all"},
            query_strings_config={"query_string_behavior": "all"},
            opts=child,
        )

        # The ALB's DNS name changes when the controller recreates it; CloudFront reaches it through a stable
        # name
        # that matches the regional certificate on the ALB listener.
        aws.route53.Record(
            f"{name}-origin",
            zone_id=args.hosted_zone_id,
            name=args.origin_domain,
            type="CNAME",
            records=[args.origin_hostname],
            ttl=60,
            opts=child,
        )
        access_control = aws.cloudfront.OriginAccessControl(
            f"{name}-assets-oac",
            name=f"{args.name_prefix}-assets",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class="PriceClass_All",  # includes the Johannesburg and Nairobi edges closest to Ethiopia
            aliases=[args.domain, f"www.{args.domain}"],
            web_acl_id=web_acl.arn,  # CloudFront.6
            origins=[
                {
                    "origin_id": "app",
                    "domain_name": args.origin_domain,
                    "custom_headers": [{"name": ORIGIN_HEADER, "value": args.origin_secret}],
                    "custom_origin_config": {
                        "http_port": 80,
                        "https_port": 443,
                        "origin_protocol_policy": "https-only",  # CloudFront.9
                        "origin_ssl_protocols": ["TLSv1.2"],
                    },
                },
                {
                    "origin_id": "assets",
                    "domain_name": args.assets_bucket_domain,
                    "origin_access_control_id": access_control.id,  # CloudFront.13
                },
            ],
            default_cache_behavior={
                "target_origin_id": "app",
                "viewer_protocol_policy": "redirect-to-https",  # CloudFront.3
                "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                # Pages are per user; the app sets ETags so browsers revalidate cheaply.
                "cache_policy_id": CACHING_DISABLED,
                "origin_request_policy_id": origin_requests.id,
            },
            ordered_cache_behaviors=[
                {
                    "path_pattern": "/assets/*",
                    "target_origin_id": "assets",
                    "viewer_protocol_policy": "redirect-to-https",
                    "allowed_methods": ["GET", "HEAD"],
                    "cached_methods": ["GET", "HEAD"],
                    "compress": True,
                    "cache_policy_id": CACHING_OPTIMIZED,
                },
                {
                    "path_pattern": "/static/*",
                    "target_origin_id": "app",
                    "viewer_protocol_policy": "redirect-to-https",
                    "allowed_methods": ["GET", "HEAD"],
                    "cached_methods": ["GET", "HEAD"],
                    "compress": True,
                    "cache_policy_id": CACHING_OPTIMIZED,  # file names carry versions (htmx-<version>.min.js)
                },
            ],
            viewer_certificate={
                "acm_certificate_arn": args.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            tags=args.tags,
            opts=child,
        )
        self._assets_policy(name, args, distribution)
        self._access_logs(name, args, distribution, global_child)
        for record_name in (args.domain, f"www.{args.domain}"):
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-{record_name.split('.')[0]}-{record_type.lower()}",
                    zone_id=args.hosted_zone_id,
                    name=record_name,
                    type=record_type,
                    aliases=[
                        {
                            "name": distribution.domain_name,
                            "zone_id": CLOUDFRONT_ZONE_ID,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=child,
                )
        self.distribution_id = distribution.id
        self.distribution_domain = distribution.domain_name
        self.register_outputs(
            {"distribution_id": distribution.id, "distribution_domain": distribution.domain_name}
        )

    def _web_acl(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions) -> aws.wafv2.WebAcl:
        def visibility(metric: str) -> dict[str, object]:
            return {
                "cloudwatch_metrics_enabled": True,
                "metric_name": metric,
                "sampled_requests_enabled": True,
            }

        rules: list[dict[str, object]] = [
            {
                "name": "rate-limit-per-ip",
                "priority": 0,
                "action": {"block": {}},
                "statement": {
                    "rate_based_statement": {"limit": RATE_LIMIT_PER_5_MIN, "aggregate_key_type": "IP"}
                },
                "visibility_config": visibility("rate-limit-per-ip"),
            }
        ]
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            statement: dict[str, object] = {"vendor_name": "AWS", "name": group}
            if group == "AWSManagedRulesCommonRuleSet":
                statement["rule_action_overrides"] = [
                    {"name": BODY_SIZE_RULE, "action_to_use": {"count": {}}}
                ]
            rules.append(
                {
                    "name": group,
                    "priority": priority,
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": statement},
                    "visibility_config": visibility(group),
                }
            )
        rules.append(
            {
                "name": "oversized-body-outside-uploads",
                "priority": len(MANAGED_RULE_GROUPS) + 1,
                "action": {"block": {}},
                "statement": {
                    "and_statement": {
                        "statements": [
                            {"label_match_statement": {"scope": "LABEL", "key": BODY_SIZE_LABEL}},
                            {
                                "not_statement": {
                                    "statements": [
                                        {
                                            "or_statement": {
                                                "statements": [
                                                    {
                                                        "byte_match_statement": {
                                                            "field_to_match": {"uri_path": {}},
                                                            "positional_constraint": "STARTS_WITH",
                                                            "search_string": prefix,
                                                            "text_transformations": [
                                                                {"priority": 0, "type": "NONE"}
                                                            ],
                                                        }
                                                    }
                                                    for prefix in UPLOAD_PATH_PREFIXES
                                                ]
                                            }
                                        }
                                    ]
                                }
                            },
                        ]
                    }
                },
                "visibility_config": visibility("oversized-body-outside-uploads"),
            }
        )
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            name=f"{args.name_prefix}-edge",
            scope="CLOUDFRONT",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=visibility(f"{args.name_prefix}-edge"),
            tags=args.tags,
            opts=opts,
        )
        # WAF.11: every decision is logged (the group name must start with aws-waf-logs-).
        group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=f"aws-waf-logs-{args.name_prefix}",
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=opts,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=acl.arn,
            log_destination_configs=[group.arn],
            opts=opts,
        )
        return acl

    def _assets_policy(self, name: str, args: EdgeArgs, distribution: aws.cloudfront.Distribution) -> None:
        aws.s3.BucketPolicy(
            f"{name}-assets-policy",
            bucket=args.assets_bucket,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        tls_only_statement(args.assets_bucket_arn),
                        {
                            "Sid": "CloudFrontReadsAssets",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": pulumi.Output.concat(args.assets_bucket_arn, "/*"),
                            "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}},
                        },
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _access_logs(
        self,
        name: str,
        args: EdgeArgs,
        distribution: aws.cloudfront.Distribution,
        opts: pulumi.ResourceOptions,
    ) -> None:
        """CloudFront.5: standard logging v2 into the logs bucket (no bucket ACLs, unlike legacy logs), under
        ``CDN_LOG_PREFIX``, where the worker reads them (windsurf.analytics.cdnlogs)."""
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-logs-source",
            name=f"{args.name_prefix}-cloudfront",
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            opts=opts,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-logs-destination",
            name=f"{args.name_prefix}-cloudfront-s3",
            # W3C lines (a #Fields header, then one tab-separated line per request): what the worker's
            # analytics job reads back to count the views CloudFront answered from its cache.
            output_format="w3c",
            delivery_destination_configuration={
                "destination_resource_arn": pulumi.Output.concat(args.log_bucket_arn, "/", CDN_LOG_PREFIX)
            },
            opts=opts,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-logs-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            field_delimiter="\t",
            opts=opts,
        )
