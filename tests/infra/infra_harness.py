"""Runs the whole Pulumi program of one stack under Pulumi's mocks and records every resource it registers.

The mocks stand in for the engine and the providers only: they echo inputs back as outputs and add the few
computed attributes the program reads (ids, ARNs, endpoints, the EKS kubeconfig). Everything else is the real
program, reading the real stack file.
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


@dataclass
class Recorded:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    provider: str
    urn: str = ""
    parent: str = ""


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


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


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
        out["result"] = "x" * int(inputs.get("length", 32))
    elif type_ == "eks:index:Cluster":
        out.update(
            kubeconfigJson=json.dumps({"apiVersion": "v1", "clusters": [], "contexts": [], "users": []}),
            kubeconfig={},
            oidcProviderArn=f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.eks.af-south-1.amazonaws.com/id/X",
            oidcProviderUrl="https://oidc.eks.af-south-1.amazonaws.com/id/X",
        )
    elif type_ == "kubernetes:networking.k8s.io/v1:Ingress":
        out["status"] = {
            "loadBalancer": {"ingress": [{"hostname": "k8s-windsurf-123.af-south-1.elb.amazonaws.com"}]}
        }
    elif type_ == "kubernetes:batch/v1:Job":
        out["status"] = {"succeeded": 1}
    return out


def run_stack(stack: str) -> StackRun:
    """Execute infra.program.build for `stack` under mocks; returns every registered resource."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import pulumi

    run = StackRun(stack, stack_config(stack))

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            inputs = dict(args.inputs)
            outputs = {**inputs, **_computed(args.typ, args.name, inputs)}
            resource_id = f"{args.name}-id"
            if args.typ == "aws:s3/bucket:Bucket":
                resource_id = outputs["bucket"]
            run.resources.append(
                Recorded(args.typ, args.name, inputs, {**outputs, "id": resource_id}, args.provider or "")
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
            raise NotImplementedError(f"the program called {args.token}, which the mocks do not know")

    pulumi.runtime.set_mocks(Mocks(), project="windsurf", stack=stack, preview=False)
    pulumi.runtime.set_all_config(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in run.config.items()}
    )
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
    return run_stack(stack)


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
