"""The smoke check before a colour switch: every preview Service (the idle colour, the storefront canary) must
answer /health/ready through the Kubernetes API server's service proxy, authenticated exactly as kubectl would
be with the stack's kubeconfig (its exec plugin, `aws eks get-token`). The deploy runner sits in the VPC, so the
private API endpoint is reachable from where this runs.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from typing import Any

import httpx

READY_PATH = "/health/ready"


def _token(user: dict[str, Any]) -> str:
    """An ExecCredential from the kubeconfig's exec plugin (client.authentication.k8s.io)."""
    plugin = user["exec"]
    env = {**os.environ, **{e["name"]: e["value"] for e in plugin.get("env") or []}}
    result = subprocess.run(  # noqa: S603 - the command the stack's own kubeconfig names
        [plugin["command"], *plugin.get("args", [])], capture_output=True, text=True, check=True, env=env
    )
    return str(json.loads(result.stdout)["status"]["token"])


def failures(kubeconfig: str, namespace: str, services: Sequence[str], timeout: float = 10.0) -> list[str]:
    """What is wrong with each service that does not answer ready (empty: all of them are ready)."""
    config = json.loads(kubeconfig)
    cluster = config["clusters"][0]["cluster"]
    token = _token(config["users"][0]["user"])
    verify: bool | str = True
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as ca:
        if cluster.get("certificate-authority-data"):
            ca.write(base64.b64decode(cluster["certificate-authority-data"]))
            verify = ca.name
    problems = []
    try:
        with httpx.Client(
            base_url=cluster["server"],
            verify=verify,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            for service in services:
                url = f"/api/v1/namespaces/{namespace}/services/{service}:http/proxy{READY_PATH}"
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:
                    problems.append(f"{service}: {type(exc).__name__}")
                    continue
                if response.status_code != 200:
                    problems.append(f"{service}: {response.status_code} {response.text[:200]}")
    finally:
        os.unlink(ca.name)
    return problems
