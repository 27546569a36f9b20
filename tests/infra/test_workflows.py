"""The GitHub workflows: the whole suite against a `test` database, no deploy after a failed check, production
promotes the image staging tested, and deploys run where the private cluster API is reachable."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from infra_harness import ROOT, stack_run

WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def every_run(jobs: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for job in jobs.values() for step in job.get("steps", []))


def test_the_whole_suite_runs_against_postgres_with_the_test_database() -> None:
    jobs = workflow("ci-cd.yml")["jobs"]
    test = jobs["test"]
    assert [step["run"] for step in test["steps"] if "run" in step] == ["bash .ci/run"]
    assert test["services"]["postgres"]["env"]["POSTGRES_DB"] == "test"
    assert test["env"]["WINDSURF_TEST_POSTGRES"].endswith("@postgres:5432/test")
    assert "redis" in test["services"]
    # No job names test folders of its own (they went stale before); every path a workflow names exists.
    for path in re.findall(r"\btests/[\w/.-]+", "\n".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))):
        assert (ROOT / path).exists(), path


def _needs(jobs: dict[str, Any], name: str) -> set[str]:
    direct = jobs[name].get("needs", [])
    direct = [direct] if isinstance(direct, str) else direct
    return set(direct).union(*(_needs(jobs, d) for d in direct)) if direct else set()


def test_nothing_deploys_unless_the_suite_passed() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        assert "always()" not in path.read_text(), path.name
    jobs = workflow("ci-cd.yml")["jobs"]
    for name in ("build", "deploy-staging", "promote-image", "deploy-production"):
        assert "test" in _needs(jobs, name), name


def test_production_releases_the_image_staging_tested_instead_of_building_again() -> None:
    jobs = workflow("ci-cd.yml")["jobs"]
    production = {"deploy-production", *_needs(jobs, "deploy-production")}
    assert "docker build" not in every_run({n: jobs[n] for n in production})
    assert "build" not in production
    copy = every_run({"promote-image": jobs["promote-image"]})
    assert "skopeo copy" in copy and "--preserve-digests" in copy
    assert "pulumi stack output release --stack staging" in copy
    assert "needs.promote-image.outputs.tag" in str(jobs["deploy-production"])


@pytest.mark.parametrize("name", ["ci-cd.yml", "release.yml", "drift.yml"])
def test_deploy_jobs_run_on_the_stack_s_runner_inside_its_vpc(name: str) -> None:
    jobs = workflow(name)["jobs"]
    deploying = {n: j for n, j in jobs.items() if "pulumi-deploy" in str(j.get("steps"))}
    assert deploying
    projects = {stack_run(s).outputs["deployerProject"] for s in ("dev", "staging", "production")}
    for job_name, job in deploying.items():
        label = str(job["runs-on"])
        project = re.match(r"codebuild-(.+)-\$\{\{ github.run_id \}\}-\$\{\{ github.run_attempt \}\}$", label)
        assert project, f"{job_name} runs on {label}, which cannot reach the private cluster API"
        name_ = project.group(1)
        assert name_ in projects or "${{" in name_, (job_name, name_)


def test_drift_check_is_scheduled_with_expect_no_changes() -> None:
    drift = workflow("drift.yml")
    assert drift[True]["schedule"]  # `on:` parses as True in YAML 1.1
    step = next(s for s in drift["jobs"]["drift"]["steps"] if "pulumi-deploy" in s.get("uses", ""))
    assert step["with"]["command"] == "drift"


def test_releases_check_migrations_against_the_serving_release_first() -> None:
    action = yaml.safe_load((ROOT / ".github" / "actions" / "pulumi-deploy" / "action.yml").read_text())
    runs = [step.get("run", "") for step in action["runs"]["steps"]]
    check = next(i for i, r in enumerate(runs) if "infra.migration_check --previous" in r)
    release = next(i for i, r in enumerate(runs) if "infra.automation" in r)
    assert check < release and "pulumi stack output release" in runs[check]
    for name, job in workflow("ci-cd.yml")["jobs"].items():
        if "pulumi-deploy" in str(job.get("steps")):
            assert job["steps"][0]["with"]["fetch-depth"] == 0, name


def test_the_image_goes_to_every_workload_the_stack_deploys() -> None:
    from components.manifests import ALL_WORKLOADS

    assert workflow("ci-cd.yml")["env"]["WORKLOADS"].split() == list(ALL_WORKLOADS)
