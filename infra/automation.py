"""CI runs the stacks with `python -m infra.automation <action> --stack <name> [--image-tag T] [--weight N]`.

A release (`up`) is: select the stack from stacks/, put the new image tag on the idle colour, the storefront
canary and the migration Job, `pulumi up` (the Job must succeed before any Deployment changes), wait until the
stack reports the Job succeeded, then promote: the live Services switch to the new colour. The previous colour
keeps running, so `rollback` switches straight back. The storefront's share of new traffic moves with `canary
--weight N`; `--weight 100` makes the canary the stable version. A track that never had a release (tag
`bootstrap`) takes the new tag too, so a first release leaves no pod pointing at an image that does not exist.

Release state (tags, active colour, canary weight) lives in the stack's `release` output: every action first
writes it back into the stack config, so the next CI run, on a fresh checkout of stacks/, starts from what is
deployed and not from what the committed file says. Every preview and up runs the policy pack (infra/policy).

Everything goes through Pulumi's Automation API, which drives the Pulumi CLI; `command_factory` is the seam
tests use to put a recording stand-in where the CLI would be.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pulumi import automation as auto

from infra import smoke

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "production")
ACTIONS = ("bootstrap", "preview", "drift", "up", "refresh", "destroy", "promote", "rollback", "canary")
NS = "windsurf"
POLICY_PACK = str(ROOT / "infra" / "policy")
UNRELEASED = "bootstrap"  # components/manifests.py: a track that never received a release
RELEASE_KEYS = (
    "imageTag",
    "imageTagBlue",
    "imageTagGreen",
    "activeColor",
    "storefrontStableTag",
    "storefrontCanaryTag",
    "canaryWeight",
)
INSTALL_HINT = (
    "The Pulumi CLI is not installed (the Automation API drives it). Install it with\n"
    "  curl -fsSL https://get.pulumi.com | sh    (or: brew install pulumi)\n"
    "then put ~/.pulumi/bin on PATH, run `pulumi login`, and try again. In GitHub Actions use "
    "pulumi/actions or the setup step in .github/workflows/deploy.yml."
)


class CliMissing(RuntimeError):
    pass


def other(color: str) -> str:
    return "green" if color == "blue" else "blue"


@dataclass
class Deployer:
    """The release steps, each one Automation API call on one stack."""

    stack: auto.Stack
    log: Callable[[str], None] = print
    migration_timeout_s: float = 900
    poll_interval_s: float = 15
    steps: list[str] = field(default_factory=list)

    def _get(self, key: str, default: str | None = None) -> str:
        if default is not None and f"{NS}:{key}" not in self.stack.get_all_config():
            return default
        return self.stack.get_config(f"{NS}:{key}").value

    def _set(self, key: str, value: str) -> None:
        self.steps.append(f"set {key}={value}")
        self.stack.set_config(f"{NS}:{key}", auto.ConfigValue(value=value))

    def _up(self, why: str) -> auto.UpResult:
        self.steps.append(f"up ({why})")
        self.log(f"pulumi up: {why}")
        return self.stack.up(on_output=self.log, message=why, policy_packs=[POLICY_PACK])

    def restore_release_state(self) -> None:
        """Config <- the deployed stack's `release` output (absent before the first up)."""
        release = self.stack.outputs().get("release")
        if release is None:
            return
        for key in RELEASE_KEYS:
            if key in release.value and str(release.value[key]) != self._get(key):
                self._set(key, str(release.value[key]))

    def bootstrap(self) -> None:
        """Phase one of a new account, from outside the VPC: AWS resources only (docs/infra.md)."""
        self._set("deployWorkloads", "false")
        self._up("bootstrap: AWS resources and the in-VPC deployer")

    def preview(self) -> None:
        self.steps.append("preview")
        self.stack.preview(on_output=self.log, policy_packs=[POLICY_PACK])

    def drift(self) -> None:
        """Fails when the deployed stack differs from the program (scheduled in .github/workflows)."""
        self.steps.append("drift check")
        self.stack.preview(
            on_output=self.log, policy_packs=[POLICY_PACK], expect_no_changes=True, refresh=True
        )

    def refresh(self) -> None:
        self.steps.append("refresh")
        self.stack.refresh(on_output=self.log)

    def destroy(self) -> None:
        self.steps.append("destroy")
        self.stack.destroy(on_output=self.log)

    def release(self, image_tag: str, promote: bool = True) -> None:
        if self._get("deployWorkloads", "true") == "false":
            self._set("deployWorkloads", "true")
        active = self._get("activeColor")
        idle = other(active)
        self._set("imageTag", image_tag)
        self._set(f"imageTag{idle.capitalize()}", image_tag)
        self._set("storefrontCanaryTag", image_tag)
        for key in (f"imageTag{active.capitalize()}", "storefrontStableTag"):
            if self._get(key) == UNRELEASED:
                self._set(key, image_tag)
        self._up(f"release {image_tag} to {idle}")
        self.wait_for_migration()
        if promote:
            self.promote()

    def wait_for_migration(self) -> None:
        """Pulumi already waits for the Job; this refreshes until the stack output says how it ended."""
        deadline = time.monotonic() + self.migration_timeout_s
        while True:
            outputs = self.stack.outputs()
            job = outputs["migrationJob"].value if "migrationJob" in outputs else "?"
            status = outputs["migrationStatus"].value if "migrationStatus" in outputs else "running"
            if status == "succeeded":
                self.steps.append(f"migration {job} succeeded")
                return
            if status == "failed":
                raise RuntimeError(
                    f"migration Job {job} failed; the live colour still serves the last release"
                )
            if time.monotonic() >= deadline:
                raise RuntimeError(f"migration Job {job} did not succeed in time")
            time.sleep(self.poll_interval_s)
            self.refresh()

    def smoke_check(self) -> None:
        """Before any switch: the idle colour and the canary answer /health/ready (infra/smoke.py)."""
        outputs = self.stack.outputs()
        services = list(outputs["previewServices"].value)
        problems = smoke.failures(outputs["kubeconfig"].value, outputs["namespace"].value, services)
        if problems:
            raise RuntimeError("smoke check failed, nothing switched: " + "; ".join(problems))
        self.steps.append(f"smoke check {', '.join(services)} ready")

    def promote(self) -> None:
        self.smoke_check()
        target = other(self._get("activeColor"))
        self._set("activeColor", target)
        self._up(f"promote {target}")

    def rollback(self) -> None:
        """Back to the colour that served before (still running), and no traffic on the storefront canary."""
        target = other(self._get("activeColor"))
        self._set("activeColor", target)
        self._set("canaryWeight", "0")
        self._up(f"rollback to {target}")

    def canary(self, weight: int) -> None:
        if not 0 <= weight <= 100:
            raise ValueError("--weight must be between 0 and 100")
        if weight == 100:
            # Full promotion: the canary becomes the stable track and takes no separate share any more.
            self._set("storefrontStableTag", self._get("storefrontCanaryTag"))
            self._set("canaryWeight", "0")
            self._up("storefront canary promoted to stable")
        else:
            self._set("canaryWeight", str(weight))
            self._up(f"storefront canary at {weight}%")


def pulumi_command() -> auto.PulumiCommand:
    try:
        return auto.PulumiCommand()
    except FileNotFoundError as exc:
        raise CliMissing(INSTALL_HINT) from exc


def select_stack(name: str, command: auto.PulumiCommand) -> auto.Stack:
    """The stack `name` of this project, with its settings from stacks/Pulumi.<name>.yaml."""
    if name not in STACKS:
        raise ValueError(f"unknown stack {name!r}; expected one of {', '.join(STACKS)}")
    return auto.select_stack(
        stack_name=name, work_dir=str(ROOT), opts=auto.LocalWorkspaceOptions(pulumi_command=command)
    )


def run(argv: Sequence[str], command_factory: Callable[[], auto.PulumiCommand] = pulumi_command) -> Deployer:
    parser = argparse.ArgumentParser(prog="python -m infra.automation", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("--stack", required=True, choices=STACKS)
    parser.add_argument("--image-tag", help="the image tag to release (required for `up`)")
    parser.add_argument(
        "--weight", type=int, help="storefront canary traffic share in percent (for `canary`)"
    )
    parser.add_argument("--no-promote", action="store_true", help="`up` stops before switching colours")
    args = parser.parse_args(argv)
    if args.action == "up" and not args.image_tag:
        parser.error("up needs --image-tag")
    if args.action == "canary" and args.weight is None:
        parser.error("canary needs --weight")

    deployer = Deployer(select_stack(args.stack, command_factory()))
    if args.action != "bootstrap":
        deployer.restore_release_state()
    match args.action:
        case "bootstrap":
            deployer.bootstrap()
        case "preview":
            deployer.preview()
        case "drift":
            deployer.drift()
        case "up":
            deployer.release(args.image_tag, promote=not args.no_promote)
        case "refresh":
            deployer.refresh()
        case "destroy":
            deployer.destroy()
        case "promote":
            deployer.promote()
        case "rollback":
            deployer.rollback()
        case "canary":
            deployer.canary(args.weight)
    return deployer


def main(argv: Sequence[str] | None = None) -> int:
    try:
        run(sys.argv[1:] if argv is None else argv)
    except CliMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
