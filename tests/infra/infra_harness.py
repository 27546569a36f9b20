"""Runs the whole Pulumi program of one stack under Pulumi's mocks and records every resource it registers.

The mocks stand in for the engine and the providers only. They echo inputs back and add what AWS or Kubernetes
would compute, as realistically as the program could meet it: generated passwords carry every special
character the resource allows, the cluster has a real endpoint and certificate, and the migration Job fails
when its image was never pushed (`pushed` names the tags the registry holds). The monitor also records each
resource's dependencies and custom timeouts, which the ordering and deadline tests read. Everything else is the
real program, reading the real stack file (with `overrides`, as a release would set them).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "production")
ACCOUNT_ID = "111122223333"


RELEASE = {"windsurf:imageTag": "v1", "windsurf:previousImageTag": "v0"}
DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?"  # random.RandomPassword's alphabet when overrideSpecial is unset


@dataclass
class Recorded:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    provider: str
    urn: str = ""
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    timeouts: dict[str, str] = field(default_factory=dict)


@dataclass
class StackRun:
    stack: str
    config: dict[str, Any]
    resources: list[Recorded] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Recorded:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        assert len(matches) == 1, f"expected one {type_} named {name}, found {len(matches)}"
        return matches[0]

    def by_urn(self, urn: str) -> Recorded:
        return next(r for r in self.resources if r.urn == urn)

    def depends_on(self, resource: Recorded) -> set[str]:
        """Every URN `resource` waits for: its own dependencies and, transitively, theirs and its parents'."""
        seen: set[str] = set()
        todo = [*resource.dependencies, resource.parent]
        parents = {r.urn: r for r in self.resources}
        while todo:
            urn = todo.pop()
            if not urn or urn in seen:
                continue
            seen.add(urn)
            other = parents.get(urn)
            if other is not None:
                todo += [*other.dependencies, other.parent]
        return seen


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc's marker of a wrapped secret value


def unwrap(value: Any) -> Any:
    """Secret values as the engine hands them to providers and policies: plain."""
    if isinstance(value, dict):
        if SECRET_SIG in value and "value" in value:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def password(inputs: dict[str, Any]) -> str:
    """What random.RandomPassword could produce: every allowed special character appears at least once."""
    length = int(inputs.get("length", 16))
    alphabet = "aZ09"
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or DEFAULT_SPECIAL
    return (alphabet * (length // len(alphabet) + 1))[:length] if length >= len(alphabet) else alphabet


# What the runbook has an operator set per stack with `pulumi config set --secret` (never committed in clear):
# realistic shapes, an SES SMTP password carries '+' and '/'.
OPERATOR_SECRETS = {
    "windsurf:smtpUsername": "AKIAIOSFODNN7EXAMPLE",
    "windsurf:smtpPassword": "BHx+9/ZkqO1Yd7Tn3Wc2Lm8Qe5Rv0Ps4Ua6Jf/HgKb1",
    "windsurf:smsToken": "eyJhbGciOiJIUzI1NiJ9.afro-message-token.Zk3s",
}


def stack_config(stack: str) -> dict[str, Any]:
    """The committed stack file plus the operator's config secrets."""
    committed = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {**committed, **OPERATOR_SECRETS}


def set_config(config: dict[str, Any]) -> None:
    """Hand the configuration over as the engine does: JSON text for non-strings, secrets marked secret."""
    import pulumi

    pulumi.runtime.set_all_config(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()},
        secret_keys=[key for key in OPERATOR_SECRETS if key in config],
    )


def _computed(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Attributes AWS would compute that the program reads back."""
    service = type_.split(":")[1].split("/")[0]
    out: dict[str, Any] = {"arn": f"arn:aws:{service}:af-south-1:{ACCOUNT_ID}:{name}"}
    if type_ == "aws:s3/bucket:Bucket":
        out.update(
            bucket=f"{name}-bucket",
            bucketRegionalDomainName=f"{name}-bucket.s3.af-south-1.amazonaws.com",
            arn=f"arn:aws:s3:::{name}-bucket",
        )
    elif type_ == "aws:rds/instance:Instance":
        out.update(address=f"{name}.rds.internal", port=5432, endpoint=f"{name}.rds.internal:5432")
        if inputs.get("manageMasterUserPassword"):
            out["masterUserSecrets"] = [
                {
                    "secretArn": f"arn:aws:secretsmanager:af-south-1:{ACCOUNT_ID}:secret:rds!db-{name}-AbCdEf",
                    "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                    "secretStatus": "active",
                }
            ]
    elif type_ == "aws:elasticache/replicationGroup:ReplicationGroup":
        out.update(primaryEndpointAddress=f"{name}.cache.internal")
    elif type_ == "aws:acm/certificate:Certificate":
        domains = [inputs["domainName"], *inputs.get("subjectAlternativeNames", [])]
        out["domainValidationOptions"] = [
            {
                "domainName": d,
                "resourceRecordName": f"_v.{d}",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": "_v.acm-validations.aws",
            }
            for d in domains
        ]
    elif type_ == "aws:acm/certificateValidation:CertificateValidation":
        out["certificateArn"] = inputs["certificateArn"]
    elif type_ == "aws:ecr/repository:Repository":
        out["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.af-south-1.amazonaws.com/{inputs['name']}"
    elif type_ == "aws:cloudfront/distribution:Distribution":
        out.update(
            domainName=f"{name}.cloudfront.net", arn=f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{name}"
        )
    elif type_ == "aws:route53/record:Record":
        out["fqdn"] = inputs.get("name", name)
    elif type_ == "random:index/randomPassword:RandomPassword":
        out["result"] = password(inputs)
    elif type_ == "aws:eks/cluster:Cluster":
        out.update(
            endpoint="https://0123456789ABCDEF0123456789ABCDEF.gr7.af-south-1.eks.amazonaws.com",
            certificateAuthority={"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM="},
            identities=[
                {"oidcs": [{"issuer": "https://oidc.eks.af-south-1.amazonaws.com/id/0123456789ABCDEF"}]}
            ],
        )
    elif type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{inputs['url'].removeprefix('https://')}"
    elif type_ == "aws:iam/role:Role":
        out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
    elif type_ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
        service = inputs["awsServiceName"]
        out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{service}/AWSServiceRoleFor{name}"
    elif type_ == "aws:route53/zone:Zone":
        out.update(zoneId="Z0123456789ABCDEFGHIJ", nameServers=["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"])
    elif type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        out["latestVersion"] = 1
    elif type_ == "kubernetes:networking.k8s.io/v1:Ingress":
        out["status"] = {
            "loadBalancer": {"ingress": [{"hostname": "k8s-windsurf-123.af-south-1.elb.amazonaws.com"}]}
        }
    return out


def _image_tag(inputs: dict[str, Any]) -> str:
    containers = inputs["spec"]["template"]["spec"]["containers"]
    return str(containers[0]["image"]).rsplit(":", 1)[1]


def _job_status(inputs: dict[str, Any], pushed: frozenset[str]) -> dict[str, Any]:
    """The Job succeeds only when the registry holds its image; otherwise it ends as Kubernetes ends it."""
    if _image_tag(inputs) in pushed:
        return {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    return {
        "failed": int(inputs["spec"].get("backoffLimit", 6)) + 1,
        "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}],
    }


def run_stack(
    stack: str, overrides: tuple[tuple[str, Any], ...] = (), pushed: frozenset[str] = frozenset()
) -> StackRun:
    """Execute infra.program.build for `stack` under mocks; returns every registered resource."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import pulumi
    from pulumi.runtime import mocks

    run = StackRun(stack, {**stack_config(stack), **dict(overrides)})
    pending: dict[str, Any] = {}

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            inputs = unwrap(dict(args.inputs))
            outputs = {**inputs, **_computed(args.typ, args.name, inputs)}
            if args.typ == "kubernetes:batch/v1:Job":
                outputs["status"] = _job_status(inputs, pushed)
            resource_id = f"{args.name}-id"
            if args.typ == "aws:s3/bucket:Bucket":
                resource_id = outputs["bucket"]
            request = pending.pop((args.typ, args.name), None)
            run.resources.append(
                Recorded(
                    args.typ,
                    args.name,
                    inputs,
                    {**outputs, "id": resource_id},
                    args.provider or "",
                    urn=request["urn"] if request else "",
                    parent=request["parent"] if request else "",
                    dependencies=request["dependencies"] if request else [],
                    timeouts=request["timeouts"] if request else {},
                )
            )
            return resource_id, outputs

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    "accountId": ACCOUNT_ID,
                    "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci",
                    "userId": "ci",
                    "id": ACCOUNT_ID,
                }
            if args.token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
                assert args.args["name"] == "com.amazonaws.global.cloudfront.origin-facing"
                return {"id": "pl-c6a54faf", "name": args.args["name"], "entries": [], "maxEntries": 55}
            raise NotImplementedError(f"the program called {args.token}, which the mocks do not know")

    class Monitor(mocks.MockMonitor):
        """Pulumi's mock monitor, also keeping what the engine would order and time by."""

        def RegisterResource(self, request: Any) -> Any:
            urn = self.make_urn(request.parent, request.type, request.name)
            timeouts = request.customTimeouts
            pending[(request.type, request.name)] = {
                "urn": urn,
                "parent": request.parent,
                "dependencies": list(request.dependencies),
                "timeouts": {
                    k: getattr(timeouts, k) for k in ("create", "update", "delete") if getattr(timeouts, k)
                },
            }
            return super().RegisterResource(request)

    monitor_mocks = Mocks()
    pulumi.runtime.set_mocks(
        monitor_mocks, project="windsurf", stack=stack, preview=False, monitor=Monitor(monitor_mocks)
    )
    set_config(run.config)
    from infra.config import load_settings
    from infra.program import build

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        outputs = build(load_settings())
        return pulumi.Output.all(**outputs).apply(lambda values: run.outputs.update(values))

    program()
    return run


@cache
def stack_run(stack: str) -> StackRun:
    """The stack exactly as committed: nothing released yet, no image pushed (a first `up`)."""
    return run_stack(stack)


@cache
def released_run(stack: str) -> StackRun:
    """The stack after a release of `v1`, whose images the registry holds."""
    return run_stack(stack, tuple(RELEASE.items()), frozenset({"v1"}))


def policy_resources(run: StackRun) -> list[Any]:
    """Every recorded resource as the policy engine would hand it over (props = outputs, with ids)."""
    from pulumi_policy import (
        PolicyCustomTimeouts,
        PolicyProviderResource,
        PolicyResource,
        PolicyResourceOptions,
    )

    providers = {}
    for r in run.resources:
        if r.type.startswith("pulumi:providers:"):
            providers[r.name] = PolicyProviderResource(r.type, r.inputs, r.name, r.name)
    default = PolicyProviderResource(
        "pulumi:providers:aws", {"region": run.config["aws:region"]}, "default", "default"
    )
    result = []
    for r in run.resources:
        if r.type.startswith(("windsurf:", "pulumi:providers:")):
            continue
        provider = next((p for name, p in providers.items() if name and name in r.provider), None) or default
        opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
        urn = f"urn:pulumi:{run.stack}::windsurf::{r.type}::{r.name}"
        result.append(PolicyResource(r.type, r.outputs, urn, r.name, opts, provider, None, [], {}))
    return result
