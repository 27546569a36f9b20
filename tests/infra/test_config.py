"""Typed stack settings: every committed stack file loads; a wrong or missing value names its key."""

from __future__ import annotations

import pytest
from infra_harness import OPERATOR_SECRETS, ROOT, STACKS, set_config, stack_config

from infra.config import SettingsError, load_settings


def _load(config: dict) -> object:
    set_config(config)
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


@pytest.mark.parametrize("key", sorted(OPERATOR_SECRETS))
def test_missing_messaging_credentials_name_the_secret_to_set(key: str) -> None:
    """Without them the pods would refuse to start (production refuses console email and SMS): say so at preview."""
    config = {k: v for k, v in stack_config("production").items() if k != key}
    with pytest.raises(SettingsError, match=f"{key} is missing; set it with `pulumi config set --secret`"):
        _load(config)


@pytest.mark.parametrize("stack", STACKS)
def test_no_messaging_credential_is_committed(stack: str) -> None:
    committed = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()
    for key in OPERATOR_SECRETS:
        assert f"{key}:" not in committed, (
            f"{key} belongs in `pulumi config set --secret`, not the stack file"
        )
