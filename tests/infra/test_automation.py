"""The Automation API entry: the release steps, driven through a recording stand-in for the Pulumi CLI.

`RecordingPulumiCLI` takes the place of the `pulumi` binary behind Pulumi's own `PulumiCommand` seam: the real
Automation API code builds every command line; the stand-in records it and answers like the CLI would.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult
from semver import VersionInfo

from components import manifests
from infra import automation

TOKEN = "k8s-aws-v1.loopback-token"
IMAGE = "123456789012.dkr.ecr.af-south-1.amazonaws.com:443/windsurf/app:v1"


class KubernetesApi(ThreadingHTTPServer):
    """A loopback stand-in for the cluster API's Rollout resources: `GET /apis/argoproj.io/v1alpha1/namespaces/
    <ns>/rollouts/<name>`, merge patches of its `/status` and JSON patches of its spec, with the bearer token the
    kubeconfig's exec plugin produced. `phases` and `step_index` set what each Rollout reports; its spec has the
    storefront's real canary steps (components/manifests.py); `patches` records what the release steps asked."""

    def __init__(self) -> None:
        self.phases: dict[str, str] = {}
        self.step_index: dict[str, int] = {}
        self.patches: list[tuple[str, dict | list]] = []
        api = self
        path = re.compile(r"/apis/argoproj.io/v1alpha1/namespaces/([\w-]+)/rollouts/([\w-]+)(/status)?")

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _match(self) -> re.Match[str] | None:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._answer(401, {"kind": "Status", "reason": "Unauthorized"})
                    return None
                match = path.fullmatch(self.path)
                if not match:
                    self._answer(404, {"kind": "Status", "reason": "NotFound"})
                return match

            def do_GET(self) -> None:
                if match := self._match():
                    phase = api.phases.get(match.group(2), "Healthy")
                    status = {"phase": phase, "message": "RolloutAborted: metric error-rate failed"}
                    if phase == "Degraded":
                        status["abort"] = True
                    status["currentStepIndex"] = api.step_index.get(match.group(2), 0)
                    spec = {
                        "template": {"spec": {"containers": [{"name": "app", "image": IMAGE}]}},
                        "strategy": manifests.canary_strategy(match.group(2), "ns", "windsurf"),
                    }
                    self._answer(200, {"kind": "Rollout", "spec": spec, "status": status})

            def do_PATCH(self) -> None:
                if match := self._match():
                    expected = (
                        "application/merge-patch+json" if match.group(3) else "application/json-patch+json"
                    )
                    assert self.headers["Content-Type"] == expected
                    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    api.patches.append((match.group(2), body))
                    self._answer(200, {"kind": "Rollout"})

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def kubeconfig(self) -> str:
        credential = {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "kind": "ExecCredential",
            "status": {"token": TOKEN},
        }
        return json.dumps(
            {
                "clusters": [
                    {"name": "c", "cluster": {"server": f"http://127.0.0.1:{self.server_address[1]}"}}
                ],
                "users": [
                    {
                        "name": "c",
                        "user": {
                            "exec": {
                                "command": sys.executable,
                                "args": ["-c", f"print({json.dumps(json.dumps(credential))})"],
                            }
                        },
                    }
                ],
            }
        )


API = KubernetesApi()


class RecordingPulumiCLI(auto.PulumiCommand):
    """Stand-in for the Pulumi CLI and its state backend.

    Config starts as a fresh checkout has it (the committed stack file) and lives only as long as this object,
    like the workspace of one CI run; `deployed` is the backend's stack state, shared between runs: each `up`
    stores the outputs the program exports (its `release` output from the config, the migration Job's end).
    """

    def __init__(
        self,
        deployed: dict | None = None,
        migration: str = "succeeded",
        **config: str,
    ) -> None:  # no super(): there is no binary to ask its version
        self.command = "pulumi"
        # 3.205 is the last CLI version that streams engine events to a file (later ones use gRPC), which a
        # stand-in can write without serving the gRPC event protocol.
        self.version = VersionInfo.parse("3.205.0")
        self.calls: list[list[str]] = []
        self.config = {
            "windsurf:imageTag": "v1",
            "windsurf:previousImageTag": "v0",
            **{f"windsurf:{k}": v for k, v in config.items()},
        }
        self.deployed = {} if deployed is None else deployed
        self.deployed.setdefault("kubeconfig", API.kubeconfig())
        self.deployed.setdefault("namespace", "creator-staging")
        self.deployed.setdefault("rollouts", ROLLOUTS)
        self.migration = migration

    def run(
        self, args, cwd, additional_env: Mapping[str, str], on_output=None, on_error=None
    ) -> CommandResult:
        self.calls.append(list(args))
        if "--event-log" in args:  # the CLI streams engine events there; the API waits for the summary
            summary = {"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": {}, "policyPacks": {}}
            with open(args[args.index("--event-log") + 1], "a") as log:
                log.write(json.dumps({"sequence": 0, "timestamp": 0, "summaryEvent": summary}) + "\n")
        verb = [a for a in args if not a.startswith("-")]
        if verb[:2] == ["config", "get"]:
            return CommandResult(json.dumps({"value": self.config[verb[2]], "secret": False}), "", 0)
        if verb[:2] == ["config", "set"]:
            self.config[verb[2]] = args[-1]  # the value follows "--"
            return CommandResult("", "", 0)
        if verb[0] == "config" and "--json" in args:
            listing = {k: {"value": v, "secret": False} for k, v in self.config.items()}
            return CommandResult(json.dumps(listing), "", 0)
        if verb[0] == "up":
            self.deployed.update(
                release={k.removeprefix("windsurf:"): v for k, v in self.config.items() if k in RELEASE},
                migrationJob=f"migrate-{self.config['windsurf:imageTag']}",
                migrationStatus=self.migration,
            )
        if verb[:2] == ["stack", "output"]:
            return CommandResult(json.dumps(self.deployed), "", 0)
        if verb[:2] == ["stack", "history"]:
            return CommandResult(
                json.dumps(
                    [
                        {
                            "kind": "update",
                            "result": "succeeded",
                            "version": 1,
                            "startTime": "2026-01-01T00:00:00.000Z",
                            "endTime": "2026-01-01T00:01:00.000Z",
                            "message": "",
                            "environment": {},
                            "config": {},
                        }
                    ]
                ),
                "",
                0,
            )
        return CommandResult("", "", 0)


RELEASE = {f"windsurf:{key}" for key in automation.RELEASE_KEYS}
ROLLOUTS = ["identity", "builder", "payments", "storefront"]


def verbs(cli: RecordingPulumiCLI) -> list[str]:
    return [" ".join(a for a in call if not a.startswith("-"))[:60] for call in cli.calls]


@pytest.fixture(autouse=True)
def _fresh_cluster() -> None:
    API.phases, API.step_index, API.patches = {}, {}, []


def test_up_sets_the_tag_runs_up_waits_for_the_migration_then_for_the_rollouts() -> None:
    cli = RecordingPulumiCLI()
    deployer = automation.run(["up", "--stack", "staging", "--image-tag", "v2"], command_factory=lambda: cli)
    assert deployer.steps == [
        "set previousImageTag=v1",
        "set imageTag=v2",
        "up (release v2)",
        "migration migrate-v2 succeeded",
        "rollouts healthy: identity, builder, payments, storefront",
    ]
    ups = [call for call in cli.calls if call[0] == "up"]
    assert len(ups) == 1 and "--stack" in ups[0] and "staging" in ups[0]
    assert any("select" in call and "staging" in call for call in cli.calls)
    assert API.patches == []  # Pulumi and the release steps leave traffic to the controller


def test_a_release_its_analysis_aborted_fails_the_run() -> None:
    cli = RecordingPulumiCLI()
    API.phases = {"storefront": "Degraded"}
    with pytest.raises(
        automation.ReleaseFailed, match="storefront: RolloutAborted: metric error-rate failed"
    ):
        automation.run(["up", "--stack", "staging", "--image-tag", "v2"], lambda: cli)


def test_promote_skips_the_remaining_steps_of_rollouts_still_under_way() -> None:
    cli = RecordingPulumiCLI()
    API.phases = {"storefront": "Paused", "payments": "Progressing"}
    deployer = automation.run(["promote", "--stack", "production"], command_factory=lambda: cli)
    assert deployer.steps == ["promote payments", "promote storefront"]
    assert API.patches == [
        ("payments", {"status": {"promoteFull": True}}),
        ("storefront", {"status": {"promoteFull": True}}),
    ]
    assert not any(call[0] == "up" for call in cli.calls)


def test_canary_runs_an_image_tag_on_the_storefront_rollout_only() -> None:
    cli = RecordingPulumiCLI(imageTag="v2", previousImageTag="v1")
    deployer = automation.run(["canary", "--stack", "production", "--image-tag", "v3"], lambda: cli)
    image = IMAGE.replace(":v1", ":v3")
    assert API.patches == [
        ("storefront", [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}])
    ]
    assert deployer.steps[-1] == "canary storefront v3"
    assert not any(
        call[0] == "up" for call in cli.calls
    )  # traffic is the controller's; the stack waits for `up`


def test_canary_moves_the_storefront_to_the_step_holding_a_weight() -> None:
    cli = RecordingPulumiCLI()
    API.phases = {"storefront": "Paused"}
    deployer = automation.run(["canary", "--stack", "staging", "--weight", "20"], lambda: cli)
    steps = manifests.canary_strategy("storefront", "ns", "windsurf")["canary"]["steps"]
    index = next(i for i, step in enumerate(steps) if step.get("setWeight") == 25)
    assert API.patches == [("storefront", {"status": {"pauseConditions": None, "currentStepIndex": index}})]
    assert deployer.steps[-1] == "canary storefront weight 25"
    # Already past it: nothing is patched (a canary never moves back by weight; `rollback` does that).
    API.patches, API.step_index = [], {"storefront": index + 1}
    automation.run(["canary", "--stack", "staging", "--weight", "10"], lambda: RecordingPulumiCLI())
    assert API.patches == []
    with pytest.raises(RuntimeError, match="no canary step holds 80%"):
        automation.run(["canary", "--stack", "staging", "--weight", "80"], lambda: RecordingPulumiCLI())


@pytest.mark.parametrize("argv", [["canary"], ["canary", "--weight", "0"], ["canary", "--weight", "101"]])
def test_canary_needs_a_tag_or_a_weight(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        automation.run([*argv, "--stack", "dev"], lambda: RecordingPulumiCLI())


def test_rollback_aborts_every_rollout_and_puts_the_previous_tag_back() -> None:
    cli = RecordingPulumiCLI(imageTag="v2", previousImageTag="v1")
    deployer = automation.run(["rollback", "--stack", "production"], command_factory=lambda: cli)
    assert API.patches == [(name, {"status": {"abort": True}}) for name in ROLLOUTS]
    assert deployer.steps[-2:] == ["set imageTag=v1", "up (rollback to v1)"]
    assert cli.config["windsurf:imageTag"] == "v1"


def test_the_next_run_starts_from_the_deployed_release_not_the_committed_file() -> None:
    backend: dict = {}
    first = RecordingPulumiCLI(deployed=backend)
    automation.run(["up", "--stack", "staging", "--image-tag", "v2"], lambda: first)
    assert backend["release"] == {"imageTag": "v2", "previousImageTag": "v1"}
    # A later CI run checks stacks/ out afresh: the file still says v1, the stack runs v2.
    second = RecordingPulumiCLI(deployed=backend)
    deployer = automation.run(["rollback", "--stack", "staging"], lambda: second)
    assert deployer.steps[0] == "set imageTag=v2"
    assert deployer.steps[-1] == "up (rollback to v1)"
    assert backend["release"]["imageTag"] == "v1"


def test_a_first_release_leaves_no_workload_on_the_bootstrap_tag() -> None:
    cli = RecordingPulumiCLI(imageTag="bootstrap", previousImageTag="bootstrap")
    automation.run(["up", "--stack", "dev", "--image-tag", "v1", "--no-wait"], lambda: cli)
    assert cli.config["windsurf:imageTag"] == "v1"
    with pytest.raises(RuntimeError, match="no earlier release"):
        automation.run(["rollback", "--stack", "dev"], lambda: cli)


def test_a_failed_migration_stops_the_release_before_the_rollouts_are_watched() -> None:
    cli = RecordingPulumiCLI(migration="failed")
    with pytest.raises(RuntimeError, match="migrate-v2 failed"):
        automation.run(["up", "--stack", "staging", "--image-tag", "v2"], lambda: cli)


@pytest.mark.parametrize(
    "argv",
    [
        ["preview", "--stack", "dev"],
        ["drift", "--stack", "dev"],
        ["up", "--stack", "dev", "--image-tag", "v2"],
    ],
)
def test_every_preview_and_up_runs_the_policy_pack(argv: list[str]) -> None:
    cli = RecordingPulumiCLI()
    automation.run(argv, lambda: cli)
    engine_calls = [call for call in cli.calls if call[0] in ("preview", "up")]
    assert engine_calls
    for call in engine_calls:
        assert call[call.index("--policy-pack") + 1] == str(automation.ROOT / "infra" / "policy")
    if argv[0] == "drift":
        assert "--expect-no-changes" in engine_calls[0] and "--refresh" in engine_calls[0]


@pytest.mark.parametrize("action", ["preview", "refresh", "destroy"])
def test_plain_actions_run_one_command(action: str) -> None:
    cli = RecordingPulumiCLI()
    assert automation.run([action, "--stack", "dev"], lambda: cli).steps == [action]
    assert any(call[0] == action for call in cli.calls)


def test_missing_cli_exits_with_install_instructions(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert automation.main(["preview", "--stack", "dev"]) == 2
    assert "get.pulumi.com" in capsys.readouterr().err


def test_up_requires_an_image_tag() -> None:
    with pytest.raises(SystemExit):
        automation.run(["up", "--stack", "dev"], lambda: RecordingPulumiCLI())


def test_the_release_workflow_can_start_and_move_a_canary() -> None:
    import yaml

    workflow = yaml.safe_load((automation.ROOT / ".github" / "workflows" / "release.yml").read_text())
    inputs = workflow[True]["workflow_dispatch"]["inputs"]
    assert "canary" in inputs["action"]["options"] and {"image-tag", "weight"} <= set(inputs)
    step = next(s for s in workflow["jobs"]["release"]["steps"] if "pulumi-deploy" in s.get("uses", ""))
    assert "--image-tag" in step["with"]["command"] and "--weight" in step["with"]["command"]
