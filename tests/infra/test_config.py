"""Typed stack settings: every committed stack file loads; a wrong or missing value names its key."""

from __future__ import annotations

import json

import pulumi
import pytest
from infra_harness import STACKS, stack_config

from infra.config import SettingsError, load_settings


def _load(config: dict) -> object:
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
    return load_settings()


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_files_load(stack: str) -> None:
    settings = _load(stack_config(stack))
    assert settings.environment == stack and settings.region == "af-south-1"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("windsurf:natGateways", 7, "windsurf:natGateways must be between 1 and 3"),
        ("windsurf:imageTag", "", "windsurf:imageTag must be a non-empty string"),
        (
            "windsurf:clusterAdminRoleArns",
            ["alice"],
            "windsurf:clusterAdminRoleArns items must be IAM role ARNs",
        ),
        (
            "windsurf:clusterAdminRoleArns",
            ["arn:aws:iam::999999999999:role/x"],
            "windsurf:clusterAdminRoleArns must name roles of the stack's account",
        ),
        ("aws:allowedAccountIds", ["12"], "aws:allowedAccountIds items must be 12-digit AWS account ids"),
        ("windsurf:ephemeral", True, "windsurf:ephemeral must be false in production"),
        ("windsurf:nodeCapacityType", "SPOT", "windsurf:nodeCapacityType must be ON_DEMAND in production"),
        ("windsurf:dbMultiAz", False, "windsurf:dbMultiAz must be true in production"),
        ("aws:region", "eu-west-1", "aws:region must be af-south-1"),
        ("windsurf:dbMultiAz", "maybe", "windsurf:dbMultiAz must be true or false"),
    ],
)
def test_wrong_values_name_the_key(key: str, value: object, message: str) -> None:
    config = {**stack_config("production"), key: value}
    with pytest.raises(SettingsError, match=message):
        _load(config)


def test_missing_value_names_the_key() -> None:
    config = {k: v for k, v in stack_config("dev").items() if k != "windsurf:dbInstanceClass"}
    with pytest.raises(SettingsError, match="windsurf:dbInstanceClass is missing"):
        _load(config)
