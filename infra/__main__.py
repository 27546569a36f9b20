"""What `pulumi up` runs (Pulumi.yaml `main: infra/`): read the stack settings, declare the platform."""

import sys
from pathlib import Path

# Pulumi puts only this folder on sys.path; the packages `infra` and `components` live one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.config import load_settings
from infra.program import build, export

export(build(load_settings()))
