"""The browser tests share one worker, and so do the infra tests: checked by running pytest-xdist itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tests import scheduling

TEST_MODULE = """\
import os
import time


def _ran(folder):
    time.sleep(0.05)
    with open(os.environ["WORKERS_LOG"], "a") as log:
        log.write(folder + " " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")

"""


def test_each_shared_state_folder_runs_on_one_worker(tmp_path: Path) -> None:
    for folder, count in (("browser", 4), ("infra", 4), ("platform", 24)):
        (tmp_path / "tests" / folder).mkdir(parents=True)
        functions = "".join(f"def test_{i}():\n    _ran({folder!r})\n\n\n" for i in range(count))
        (tmp_path / "tests" / folder / f"test_{folder}.py").write_text(TEST_MODULE + "\n" + functions)
    (tmp_path / "conftest.py").write_text(
        "import importlib.util, os\n"
        "spec = importlib.util.spec_from_file_location('suite_scheduling', os.environ['SCHEDULING'])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "pytest_xdist_make_scheduler = module.pytest_xdist_make_scheduler\n"
    )
    log = tmp_path / "workers.log"
    env = {**os.environ, "WORKERS_LOG": str(log), "SCHEDULING": scheduling.__file__}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workers: dict[str, set[str]] = defaultdict(set)
    for line in log.read_text().splitlines():
        folder, worker = line.split()
        workers[folder].add(worker)
    assert len(workers["browser"]) == 1 and len(workers["infra"]) == 1, dict(workers)
    assert len(workers["platform"]) > 1, dict(workers)  # the rest is spread: the check above can fail
