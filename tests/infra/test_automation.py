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

from infra import automation

TOKEN = "k8s-aws-v1.loopback-token"


class KubernetesApi(ThreadingHTTPServer):
    """A loopback stand-in for the cluster API's service proxy: `GET /api/v1/namespaces/<ns>/services/<svc>:http/
    proxy/health/ready` with the bearer token the kubeconfig's exec plugin produced; `not_ready` services 503."""

    def __init__(self) -> None:
        self.not_ready: set[str] = set()
        self.asked: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                match = re.fullmatch(
                    r"/api/v1/namespaces/([\w-]+)/services/([\w-]+):http/proxy/health/ready", self.path
                )
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    status, body = 401, b'{"kind":"Status","reason":"Unauthorized"}'
                elif not match:
                    status, body = 404, b'{"kind":"Status","reason":"NotFound"}'
                else:
                    api.asked.append(match.group(2))
                    ready = match.group(2) not in api.not_ready
                    status = 200 if ready else 503
                    body = b'{"status":"ok"}' if ready else b'{"status":"unavailable"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
        active_color: str = "blue",
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
            "windsurf:imageTagBlue": "v1",
            "windsurf:imageTagGreen": "v1",
            "windsurf:activeColor": active_color,
            "windsurf:storefrontStableTag": "v1",
            "windsurf:storefrontCanaryTag": "v2",
            "windsurf:canaryWeight": "0",
            **{f"windsurf:{k}": v for k, v in config.items()},
        }
        self.deployed = {} if deployed is None else deployed
        self.deployed.setdefault("kubeconfig", API.kubeconfig())
        self.deployed.setdefault("namespace", "creator-staging")
        self.deployed.setdefault(
            "previewServices", ["identity-preview", "builder-preview", "storefront-canary"]
        )
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


def verbs(cli: RecordingPulumiCLI) -> list[str]:
    return [" ".join(a for a in call if not a.startswith("-"))[:60] for call in cli.calls]


def test_up_sets_tags_on_the_idle_colour_runs_up_waits_for_migration_then_promotes() -> None:
    cli = RecordingPulumiCLI(active_color="blue")
    deployer = automation.run(["up", "--stack", "staging", "--image-tag", "v2"], command_factory=lambda: cli)
    assert deployer.steps == [
        "set imageTag=v2",
        "set imageTagGreen=v2",
        "set storefrontCanaryTag=v2",
        "up (release v2 to green)",
        "migration migrate-v2 succeeded",
        "smoke check identity-preview, builder-preview, storefront-canary ready",
        "set activeColor=green",
        "up (promote green)",
    ]
    ups = [call for call in cli.calls if call[0] == "up"]
    assert len(ups) == 2 and all("--stack" in call and "staging" in call for call in ups)
    assert any("select" in call and "staging" in call for call in cli.calls)


def test_promote_switches_colour_and_rollback_switches_back_with_the_canary_off() -> None:
    cli = RecordingPulumiCLI(active_color="green", canaryWeight="10")
    deployer = automation.run(["promote", "--stack", "production"], command_factory=lambda: cli)
    assert deployer.steps[1:] == ["set activeColor=blue", "up (promote blue)"]
    deployer = automation.run(["rollback", "--stack", "production"], command_factory=lambda: cli)
    assert deployer.steps == ["set activeColor=green", "set canaryWeight=0", "up (rollback to green)"]


def test_the_next_run_starts_from_the_deployed_release_not_the_committed_file() -> None:
    backend: dict = {}
    first = RecordingPulumiCLI(active_color="blue", deployed=backend)
    automation.run(["up", "--stack", "staging", "--image-tag", "v2"], lambda: first)
    assert backend["release"]["activeColor"] == "green"
    # A later CI run checks stacks/ out afresh: the file still says blue, the stack serves green.
    second = RecordingPulumiCLI(active_color="blue", deployed=backend)
    deployer = automation.run(["rollback", "--stack", "staging"], lambda: second)
    assert deployer.steps[:3] == ["set imageTag=v2", "set imageTagGreen=v2", "set activeColor=green"]
    assert deployer.steps[-1] == "up (rollback to blue)"
    assert backend["release"]["activeColor"] == "blue"


def test_a_first_release_puts_the_tag_on_every_unreleased_track() -> None:
    unreleased = {
        k: "bootstrap" for k in ("imageTag", "imageTagBlue", "imageTagGreen", "storefrontStableTag")
    }
    cli = RecordingPulumiCLI(active_color="blue", storefrontCanaryTag="bootstrap", **unreleased)
    automation.run(["up", "--stack", "dev", "--image-tag", "v1", "--no-promote"], lambda: cli)
    assert "bootstrap" not in {cli.config[f"windsurf:{k}"] for k in automation.RELEASE_KEYS}


def test_a_failed_migration_stops_the_release_before_promotion() -> None:
    cli = RecordingPulumiCLI(migration="failed")
    with pytest.raises(RuntimeError, match="migrate-v2 failed"):
        automation.run(["up", "--stack", "staging", "--image-tag", "v2"], lambda: cli)
    assert cli.config["windsurf:activeColor"] == "blue"


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


def test_canary_steps_and_full_promotion() -> None:
    cli = RecordingPulumiCLI()
    assert automation.run(["canary", "--stack", "production", "--weight", "10"], lambda: cli).steps == [
        "set canaryWeight=10",
        "up (storefront canary at 10%)",
    ]
    assert automation.run(["canary", "--stack", "production", "--weight", "100"], lambda: cli).steps == [
        "set storefrontStableTag=v2",
        "set canaryWeight=0",
        "up (storefront canary promoted to stable)",
    ]


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


def test_a_preview_that_is_not_ready_stops_the_switch() -> None:
    cli = RecordingPulumiCLI(active_color="blue")
    API.not_ready = {"builder-preview"}
    try:
        with pytest.raises(RuntimeError, match="builder-preview: 503"):
            automation.run(["up", "--stack", "staging", "--image-tag", "v2"], lambda: cli)
    finally:
        API.not_ready = set()
    assert cli.config["windsurf:activeColor"] == "blue"
    assert "builder-preview" in API.asked
