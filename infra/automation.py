"""CI runs the stacks with `python -m infra.automation <action> --stack <name> [--image-tag T]`.

A release (`up`) is: select the stack from stacks/, put the new image tag on every workload and the migration
Job, `pulumi up` (the Job must succeed before any Rollout changes), wait until the stack reports the Job
succeeded, then watch the Argo Rollouts: the controller moves traffic (blue-green for the backend services, the
storefront's canary in weighted steps), measures each step against the app's own metrics, and aborts and rolls
back by itself when they fail. Pulumi never switches traffic. `promote` skips the remaining steps (every Rollout
takes the new pods now); `rollback` aborts every Rollout and puts the previous tag back, so the next `up` does not
retry the failed release. `canary` starts the storefront's canary of one image tag without a Pulumi run (what
`kubectl argo rollouts set image` does) and/or moves it straight to the `setWeight` step holding a weight; the
controller's analysis still aborts it on bad metrics, and the next `up` with that tag makes the stack agree.
A first release (tag `bootstrap`) starts the pods that had nothing to run.

Release state (the tag and the one before it) lives in the stack's `release` output: every action first writes it
back into the stack config, so the next CI run, on a fresh checkout of stacks/, starts from what is deployed and
not from what the committed file says. Every preview and up runs the policy pack (infra/policy).

Everything goes through Pulumi's Automation API, which drives the Pulumi CLI; `command_factory` is the seam
tests use to put a recording stand-in where the CLI would be. The Rollouts are read and patched through the
cluster API (infra/kube.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pulumi import automation as auto

from infra import kube

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "production")
ACTIONS = ("bootstrap", "preview", "drift", "up", "refresh", "destroy", "promote", "rollback", "canary")
CANARY_ROLLOUT = "storefront"  # components/manifests.py: the one Rollout released in weighted steps
NS = "windsurf"
POLICY_PACK = str(ROOT / "infra" / "policy")
UNRELEASED = "bootstrap"  # components/manifests.py: a track that never received a release
RELEASE_KEYS = ("imageTag", "previousImageTag")
INSTALL_HINT = (
    "The Pulumi CLI is not installed (the Automation API drives it). Install it with\n"
    "  curl -fsSL https://get.pulumi.com | sh    (or: brew install pulumi)\n"
    "then put ~/.pulumi/bin on PATH, run `pulumi login`, and try again. In GitHub Actions use "
    "pulumi/actions or the setup step in .github/workflows/deploy.yml."
)


class CliMissing(RuntimeError):
    pass


class ReleaseFailed(RuntimeError):
    """A Rollout was aborted (by its analysis or by hand): its traffic is back on the previous release."""


@dataclass
class Deployer:
    """The release steps, each one Automation API call on one stack."""

    stack: auto.Stack
    log: Callable[[str], None] = print
    migration_timeout_s: float = 900
    rollout_timeout_s: float = 3600  # three canary steps of five one-minute measurements, and then some
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

    def release(self, image_tag: str, wait: bool = True) -> None:
        if self._get("deployWorkloads", "true") == "false":
            self._set("deployWorkloads", "true")
        current = self._get("imageTag")
        if current != image_tag:
            self._set("previousImageTag", current)
            self._set("imageTag", image_tag)
        self._up(f"release {image_tag}")
        self.wait_for_migration()
        if wait:
            self.wait_for_rollouts()

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
                raise RuntimeError(f"migration Job {job} failed; the Rollouts still serve the last release")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"migration Job {job} did not succeed in time")
            time.sleep(self.poll_interval_s)
            self.refresh()

    def _rollouts(self) -> tuple[str, str, list[str]]:
        outputs = self.stack.outputs()
        return outputs["kubeconfig"].value, outputs["namespace"].value, list(outputs["rollouts"].value)

    def wait_for_rollouts(self) -> None:
        """Until every Rollout is Healthy; an aborted one (its analysis failed) fails the release."""
        kubeconfig, namespace, names = self._rollouts()
        deadline = time.monotonic() + self.rollout_timeout_s
        with kube.rollouts(kubeconfig, namespace) as api:
            while True:
                states = [api.state(name) for name in names]
                aborted = [s for s in states if s.aborted or s.phase == "Degraded"]
                if aborted:
                    raise ReleaseFailed(
                        "rolled back by Argo Rollouts: "
                        + "; ".join(f"{s.name}: {s.message or s.phase}" for s in aborted)
                    )
                if all(s.phase == "Healthy" for s in states):
                    self.steps.append(f"rollouts healthy: {', '.join(names)}")
                    return
                if time.monotonic() >= deadline:
                    waiting = ", ".join(f"{s.name} {s.phase}" for s in states if s.phase != "Healthy")
                    raise RuntimeError(f"rollouts did not finish in time: {waiting}")
                time.sleep(self.poll_interval_s)

    def promote(self) -> None:
        """Every Rollout takes the new release now, skipping its remaining steps and analysis."""
        kubeconfig, namespace, names = self._rollouts()
        with kube.rollouts(kubeconfig, namespace) as api:
            for name in names:
                if api.state(name).phase != "Healthy":
                    api.promote_full(name)
                    self.steps.append(f"promote {name}")

    def canary(self, image_tag: str | None, weight: int | None) -> None:
        """The storefront Rollout runs ``image_tag`` as its canary, and/or its traffic moves to ``weight`` percent
        by resuming the Rollout at the first ``setWeight`` step that gives the canary at least that much."""
        kubeconfig, namespace, names = self._rollouts()
        if CANARY_ROLLOUT not in names:
            raise RuntimeError(f"the stack has no {CANARY_ROLLOUT} Rollout to run a canary on")
        with kube.rollouts(kubeconfig, namespace) as api:
            rollout = api.rollout(CANARY_ROLLOUT)
            if image_tag is not None:
                image = rollout["spec"]["template"]["spec"]["containers"][0]["image"]
                repository = image.split("@")[0]
                if ":" in repository.rsplit("/", 1)[-1]:
                    repository = repository.rsplit(":", 1)[0]
                api.set_image(CANARY_ROLLOUT, f"{repository}:{image_tag}")
                self.steps.append(f"canary {CANARY_ROLLOUT} {image_tag}")
            if weight is not None:
                steps = rollout["spec"]["strategy"]["canary"]["steps"]
                at = [i for i, step in enumerate(steps) if step.get("setWeight", -1) >= weight]
                if not at:
                    held = sorted(step["setWeight"] for step in steps if "setWeight" in step)
                    raise RuntimeError(f"no canary step holds {weight}%; the steps hold {held}")
                current = int((rollout.get("status") or {}).get("currentStepIndex", 0))
                if image_tag is None and current >= at[0]:
                    self.steps.append(f"canary {CANARY_ROLLOUT} already past {weight}%")
                    return
                api.go_to_step(CANARY_ROLLOUT, at[0])
                self.steps.append(f"canary {CANARY_ROLLOUT} weight {steps[at[0]]['setWeight']}")

    def rollback(self) -> None:
        """Abort every Rollout (traffic back on the previous pods at once), then make the previous tag the
        desired state again, so the stack and the cluster agree and no later `up` retries the failed release."""
        kubeconfig, namespace, names = self._rollouts()
        with kube.rollouts(kubeconfig, namespace) as api:
            for name in names:
                api.abort(name)
                self.steps.append(f"abort {name}")
        previous = self._get("previousImageTag")
        if previous == UNRELEASED or previous == self._get("imageTag"):
            raise RuntimeError("no earlier release to go back to; the Rollouts stay aborted")
        self._set("imageTag", previous)
        self._up(f"rollback to {previous}")


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
        "--weight", type=int, help="`canary`: move the storefront's canary to the step holding this percent"
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="`up` returns once applied, without watching the Rollouts"
    )
    args = parser.parse_args(argv)
    if args.action == "up" and not args.image_tag:
        parser.error("up needs --image-tag")
    if args.action == "canary" and args.image_tag is None and args.weight is None:
        parser.error("canary needs --image-tag, --weight or both")
    if args.weight is not None and not 0 < args.weight <= 100:
        parser.error("--weight is a percentage, 1-100")

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
            deployer.release(args.image_tag, wait=not args.no_wait)
        case "refresh":
            deployer.refresh()
        case "destroy":
            deployer.destroy()
        case "promote":
            deployer.promote()
        case "rollback":
            deployer.rollback()
        case "canary":
            deployer.canary(args.image_tag, args.weight)
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
