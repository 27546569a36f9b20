"""The cost new passwords are hashed at follows the settings; every stored hash verifies at any setting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import extract_parameters

from tests.conftest import make_settings
from windsurf.core import security
from windsurf.settings import Settings


@pytest.fixture(autouse=True)
def restore_cost() -> Iterator[None]:
    yield
    security.configure(make_settings())


async def test_hashes_carry_their_cost_and_verify_under_the_other() -> None:
    security.configure(Settings.from_env({}))  # the default
    strong = await security.hash_password("correct horse battery")
    assert extract_parameters(strong).memory_cost == 65536 and extract_parameters(strong).time_cost == 3
    security.configure(make_settings(argon2_cost="fast"))
    fast = await security.hash_password("correct horse battery")
    assert extract_parameters(fast).memory_cost == 8
    assert await security.verify_password(strong, "correct horse battery")
    security.configure(Settings.from_env({}))
    assert await security.verify_password(fast, "correct horse battery")
    assert not await security.verify_password(fast, "correct horse battery!")
    assert not await security.verify_password(None, "correct horse battery")
