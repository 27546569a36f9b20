"""ECR: one repository per service, scan on push, immutable tags, a lifecycle keeping recent releases."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# Enough releases to roll back through a bad week; untagged layers from failed pushes go after a day.
KEEP_RELEASES = 50
LIFECYCLE_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Drop untagged images after a day",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the last {KEEP_RELEASES} releases",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": KEEP_RELEASES,
                },
                "action": {"type": "expire"},
            },
        ]
    }
)


@dataclass(frozen=True)
class RegistryArgs:
    name_prefix: str
    services: Sequence[str]
    kms_key_arn: pulumi.Input[str]
    force_delete: bool  # dev: a destroy deletes repositories that still hold images
    tags: dict[str, str]


class Registry(pulumi.ComponentResource):
    repository_urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("windsurf:registry:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repository_urls = {}
        for service in args.services:
            repo = aws.ecr.Repository(
                f"{name}-{service}",
                name=f"stan-store-windsurf/{service}",
                image_tag_mutability="IMMUTABLE",  # a tag names one build forever: rollbacks are exact
                image_scanning_configuration={"scan_on_push": True},
                force_delete=args.force_delete,
                encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
                tags=args.tags,
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{service}-lifecycle", repository=repo.name, policy=LIFECYCLE_POLICY, opts=child
            )
            self.repository_urls[service] = repo.repository_url
        self.register_outputs({"repository_urls": self.repository_urls})
