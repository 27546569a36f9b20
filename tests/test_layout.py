"""The repository layout keeps the standard library importable and the two commands documented."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_standard_library_platform_is_not_shadowed_from_the_repository_root() -> None:
    code = "import platform, sys; print(platform.python_version()); print(platform.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}"},
    )
    version, location = result.stdout.split()
    assert version == ".".join(map(str, sys.version_info[:3]))
    assert not location.startswith(str(ROOT))
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_readme_gives_the_two_commands_in_order() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert readme.index("make run") < readme.index("make test")
