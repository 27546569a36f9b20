"""The Automation API entry: the release steps, driven through a recording stand-in for the Pulumi CLI.

`RecordingPulumiCLI` takes the place of the `pulumi` binary behind Pulumi's own `PulumiCommand` seam: the real
Automation API code builds every command line; the stand-in records it and answers like the CLI would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult
from semver import VersionInfo

from infra import automation


class RecordingPulumiCLI(auto.PulumiCommand):
    """Stand-in for the Pulumi CLI: keeps stack config in memory; reports the migration Job as succeeded."""

    def __init__(
        self, active_color: str = "blue"
    ) -> None:  # no super(): there is no binary to ask its version
        self.command = "pulumi"
        # 3.205 is the last CLI version that streams engine events to a file (later ones use gRPC), which a
        # stand-in can write without serving the gRPC event protocol.
        self.version = VersionInfo.parse("3.205.0")
        self.calls: list[list[str]] = []
        self.config = {"windsurf:activeColor": active_color, "windsurf:storefrontCanaryTag": "v2"}

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
            self.config[verb[2]] = verb[3]
            return CommandResult("", "", 0)
        if verb[:2] == ["stack", "output"]:
            outputs = {"migrationJob": "migrate-v2", "migrationSucceeded": True}
            return CommandResult(json.dumps(outputs), "", 0)
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
        "set activeColor=green",
        "up (promote green)",
    ]
    ups = [call for call in cli.calls if call[0] == "up"]
    assert len(ups) == 2 and all("--stack" in call and "staging" in call for call in ups)
    assert any("select" in call and "staging" in call for call in cli.calls)


def test_promote_again_is_the_rollback() -> None:
    cli = RecordingPulumiCLI(active_color="green")
    deployer = automation.run(["promote", "--stack", "production"], command_factory=lambda: cli)
    assert deployer.steps == ["set activeColor=blue", "up (promote blue)"]


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
