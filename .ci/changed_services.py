"""Reads changed paths on stdin; writes `services=<json list>` and `infra=<true|false>` for GitHub Actions.

A change under a domain folder runs that service's checks; a change to shared code (core, settings, the app
factory, dependencies) runs all of them.
"""

import json
import sys

SERVICES = {
    "storefront": ("storefront/", "platform/windsurf/storefront"),
    "identity": ("platform/windsurf/identity/",),
    "builder": ("platform/windsurf/stores/", "platform/windsurf/catalog/"),
    "payments": ("platform/windsurf/checkout/", "platform/windsurf/payments/", "platform/windsurf/ledger/"),
}
SHARED = (
    "platform/windsurf/core/",
    "platform/windsurf/app.py",
    "platform/windsurf/settings.py",
    "pyproject.toml",
    "uv.lock",
    "Dockerfile",
)
INFRA = ("infra/", "components/", "stacks/", "tests/infra/", "Pulumi.yaml", ".github/", ".ci/", "Dockerfile")

paths = [line.strip() for line in sys.stdin if line.strip()]
shared = any(p.startswith(SHARED) for p in paths)
changed = [
    name for name, prefixes in SERVICES.items() if shared or any(p.startswith(prefixes) for p in paths)
]
print(f"services={json.dumps(changed)}")
print(f"infra={'true' if any(p.startswith(INFRA) for p in paths) else 'false'}")
