"""The cluster API as the release steps need it: read a Rollout's state, promote it, abort it. Authenticated
exactly as kubectl would be with the stack's kubeconfig (its exec plugin, `aws eks get-token`). The deploy runner
sits in the VPC, so the private API endpoint is reachable from where this runs.

Promote and abort are what `kubectl argo rollouts promote --full` and `abort` do: a merge patch of the Rollout's
status subresource, which the controller acts on. A canary is what `kubectl argo rollouts set image` does (a patch
of the pod template's image), and moving it to a weight is `promote --skip-current-step`'s patch, aimed at the
`setWeight` step that holds that weight.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

ROLLOUTS = "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts/{name}"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def _token(user: dict[str, Any]) -> str:
    """An ExecCredential from the kubeconfig's exec plugin (client.authentication.k8s.io)."""
    plugin = user["exec"]
    env = {**os.environ, **{e["name"]: e["value"] for e in plugin.get("env") or []}}
    result = subprocess.run(  # noqa: S603 - the command the stack's own kubeconfig names
        [plugin["command"], *plugin.get("args", [])], capture_output=True, text=True, check=True, env=env
    )
    return str(json.loads(result.stdout)["status"]["token"])


@dataclass(frozen=True)
class RolloutState:
    name: str
    phase: str  # Healthy | Progressing | Paused | Degraded (an aborted or failed release)
    message: str
    aborted: bool


@dataclass
class Rollouts:
    client: httpx.Client
    namespace: str

    def _path(self, name: str, status: bool = False) -> str:
        return ROLLOUTS.format(namespace=self.namespace, name=name) + ("/status" if status else "")

    def state(self, name: str) -> RolloutState:
        response = self.client.get(self._path(name))
        response.raise_for_status()
        status = response.json().get("status") or {}
        return RolloutState(
            name, status.get("phase", "Progressing"), status.get("message", ""), bool(status.get("abort"))
        )

    def promote_full(self, name: str) -> None:
        """Skip the remaining steps and analysis: the new pods take all traffic now."""
        self._patch_status(name, {"promoteFull": True})

    def abort(self, name: str) -> None:
        """All traffic back to the stable (or active) pods; the new ones are scaled down."""
        self._patch_status(name, {"abort": True})

    def rollout(self, name: str) -> dict[str, Any]:
        response = self.client.get(self._path(name))
        response.raise_for_status()
        return dict(response.json())

    def set_image(self, name: str, image: str) -> None:
        """The pod template's (first, the app's) container runs ``image``: the controller starts the new
        ReplicaSet and walks the Rollout's steps from the first."""
        patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}]
        response = self.client.patch(self._path(name), content=json.dumps(patch), headers=JSON_PATCH)
        response.raise_for_status()

    def go_to_step(self, name: str, index: int) -> None:
        """Resume the Rollout at step ``index`` (pauses and analysis before it are skipped)."""
        self._patch_status(name, {"pauseConditions": None, "currentStepIndex": index})

    def _patch_status(self, name: str, status: dict[str, Any]) -> None:
        response = self.client.patch(
            self._path(name, status=True), content=json.dumps({"status": status}), headers=MERGE_PATCH
        )
        response.raise_for_status()


@contextmanager
def rollouts(kubeconfig: str, namespace: str, timeout: float = 10.0) -> Iterator[Rollouts]:
    config = json.loads(kubeconfig)
    cluster = config["clusters"][0]["cluster"]
    token = _token(config["users"][0]["user"])
    verify: bool | str = True
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as ca:
        if cluster.get("certificate-authority-data"):
            ca.write(base64.b64decode(cluster["certificate-authority-data"]))
            verify = ca.name
    try:
        with httpx.Client(
            base_url=cluster["server"],
            verify=verify,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            yield Rollouts(client, namespace)
    finally:
        os.unlink(ca.name)
