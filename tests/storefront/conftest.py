"""Storefront fixtures: the application live on a loopback port (see tests.storefront.live)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.storefront.live import Live, live
from windsurf.settings import Settings


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Live]:
    async with live(settings) as platform:
        yield platform
