"""Shared fixtures: each stack's program is run under mocks once per session and shared by the tests."""

from __future__ import annotations

import pytest
from infra_harness import STACKS, StackRun, stack_run


@pytest.fixture(scope="session", params=STACKS)
def run(request: pytest.FixtureRequest) -> StackRun:
    return stack_run(request.param)
