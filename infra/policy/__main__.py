"""The policy pack Pulumi runs: `pulumi preview --policy-pack infra/policy`. Constructing PolicyPack starts
the
analyzer's gRPC server and blocks, so nothing else may import this file."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for `infra.policy.rules`

from pulumi_policy import PolicyPack

from infra.policy.rules import ALL_RULES

PolicyPack(name="windsurf-baseline", policies=ALL_RULES)
