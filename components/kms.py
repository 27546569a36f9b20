"""Customer-managed KMS keys: one per concern, so each can be disabled or audited on its own."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def encryption_key(
    name: str,
    description: str,
    parent: pulumi.Resource,
    policy: pulumi.Input[str] | None = None,
    provider: pulumi.ProviderResource | None = None,
) -> aws.kms.Key:
    """A symmetric key, rotated yearly, with a 30-day deletion window (time to notice a mistake)."""
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=f"alias/{name}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    return key
