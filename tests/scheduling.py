"""How pytest-xdist hands tests to workers under ``--dist loadgroup`` (``make test``).

Folders whose tests share costly session state (one live server and Chromium; each stack's program run under
mocks) run in one worker each, which builds that state once; every other test goes wherever a worker is free.

xdist's own loadgroup reads ``xdist_group`` marks by renaming each item's node id, which pytest 9 no longer lets
it do: every test then ran as a group of its own, and each of the three workers started its own server and
Chromium. The groups are therefore taken from the folder, in the scheduler itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

SHARED_STATE_GROUPS = ("browser", "infra")


def shared_state_group(nodeid: str) -> str | None:
    folder = nodeid.split("/")[1] if nodeid.startswith("tests/") else ""
    return folder if folder in SHARED_STATE_GROUPS else None


class FolderGroupScheduling(LoadScopeScheduling):
    """Each shared-state folder is one unit of work; every other test is a unit of its own."""

    def _split_scope(self, nodeid: str) -> str:
        return shared_state_group(nodeid) or nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    return FolderGroupScheduling(config, log) if config.getvalue("dist") == "loadgroup" else None
