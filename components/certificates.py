"""TLS certificates, DNS-validated in the stack's Route 53 zone: one in us-east-1 for CloudFront (which only
reads
certificates from there) and one in af-south-1 for the ALB that CloudFront reaches at `origin.<domain>`."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class CertificatesArgs:
    domain: str
    hosted_zone_id: pulumi.Input[str]
    us_east_1: aws.Provider
    tags: dict[str, str]


class Certificates(pulumi.ComponentResource):
    cloudfront_certificate_arn: pulumi.Output[str]
    origin_certificate_arn: pulumi.Output[str]
    origin_domain: str

    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:edge:Certificates", name, None, opts)
        self.origin_domain = f"origin.{args.domain}"
        self.cloudfront_certificate_arn = self._validated(
            f"{name}-cloudfront", args.domain, [f"www.{args.domain}"], args, args.us_east_1
        )
        # CloudFront forwards the viewer's Host header (and so validates the origin against it): the ALB's
        # certificate names the site too.
        self.origin_certificate_arn = self._validated(
            f"{name}-origin", self.origin_domain, [args.domain, f"www.{args.domain}"], args, None
        )
        self.register_outputs(
            {
                "cloudfront_certificate_arn": self.cloudfront_certificate_arn,
                "origin_certificate_arn": self.origin_certificate_arn,
            }
        )

    def _validated(
        self,
        name: str,
        domain: str,
        alternatives: list[str],
        args: CertificatesArgs,
        provider: aws.Provider | None,
    ) -> pulumi.Output[str]:
        certificate = aws.acm.Certificate(
            name,
            domain_name=domain,
            subject_alternative_names=alternatives,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        records = []
        for index in range(1 + len(alternatives)):
            option = certificate.domain_validation_options[index]
            records.append(
                aws.route53.Record(
                    f"{name}-validation-{index}",
                    zone_id=args.hosted_zone_id,
                    name=option.resource_record_name,
                    type=option.resource_record_type,
                    records=[option.resource_record_value],
                    ttl=300,
                    allow_overwrite=True,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn for record in records],
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        return validation.certificate_arn
