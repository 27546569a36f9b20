"""The infra-app contract: the rendered Kubernetes objects and AWS resources of each stack against the real app.

Nothing here is a copy of either side: the Ingress, pod environments, IAM policies and node groups come from the
mocked Pulumi program; routes, settings and storage keys come from `windsurf` itself, and the pods' environment
starts the real server.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from infra_harness import (
    OPERATOR_SECRETS,
    RELEASE,
    ROOT,
    STACKS,
    StackRun,
    released_run,
    run_stack,
)
from litestar import Litestar
from litestar.exceptions import NotFoundException

from components.database import RDS_CA_BUNDLE
from tests.tls import self_signed
from windsurf.app import SERVICE_ROUTERS, create_app
from windsurf.core import db
from windsurf.core.storage import FOREIGN_KEY, S3Storage
from windsurf.settings import Settings

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
JOB = "kubernetes:batch/v1:Job"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"
SECRET_VALUE = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"
INTERNAL = ("/health", "/metrics", "/schema")
# Values for path parameters when turning the app's route templates into requests.
SAMPLES = {"segment": "@demo", "slug": "ebook", "key": "public/covers/a.webp", "file_path": "htmx.min.js"}


# ---- what the stack renders ----


def pods(run: StackRun) -> dict[str, dict[str, Any]]:
    """Deployment, Rollout or Job name -> its pod template, replicas and the Secret its env comes from."""
    result = {}
    for r in [*run.of_type(DEPLOYMENT), *run.of_type(ROLLOUT), *run.of_type(JOB)]:
        spec = r.inputs["spec"]
        strategy = spec.get("strategy", {})
        result[r.inputs["metadata"]["name"]] = {
            "kind": r.type.rsplit(":", 1)[1],
            "replicas": int(spec.get("replicas", 1)),
            "pod": spec["template"]["spec"],
            "labels": spec["template"]["metadata"]["labels"],
            "surge": _surge(strategy),
        }
    return result


def _surge(strategy: dict[str, Any]) -> str | int:
    """Extra pods while a release rolls: a Deployment's maxSurge, a canary's maxSurge, and for blue-green a whole
    second set (the preview pods run beside the active ones until the switch and its scale-down delay)."""
    if "blueGreen" in strategy:
        return "100%"
    if "canary" in strategy:
        return strategy["canary"].get("maxSurge", "25%")
    return strategy.get("rollingUpdate", {}).get("maxSurge", 0)


def container(pod: dict[str, Any]) -> dict[str, Any]:
    return pod["pod"]["containers"][0]


def pod_env(pod: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container(pod)["env"]}


def secret_env(run: StackRun, pod: dict[str, Any]) -> dict[str, str]:
    """The Secrets Manager value an ExternalSecret copies into the pod's envFrom Secret."""
    secret_name = container(pod)["envFrom"][0]["secretRef"]["name"]  # "<workload>-env"
    owner = secret_name.removesuffix("-env")
    value = run.one(SECRET_VALUE, f"secrets-{owner}-value").inputs["secretString"]
    return json.loads(value)


def ingress(run: StackRun) -> dict[str, Any]:
    return run.of_type(INGRESS)[0].inputs


def served_pods(run: StackRun) -> dict[str, dict[str, Any]]:
    return {name: pod for name, pod in pods(run).items() if "serve" in container(pod)["args"]}


def backend_pods(run: StackRun, service_name: str) -> list[dict[str, Any]]:
    """The pods a Kubernetes Service selects."""
    service = next(r.inputs for r in run.of_type(SERVICE) if r.inputs["metadata"]["name"] == service_name)
    selector = service["spec"]["selector"]
    matched = [p for p in pods(run).values() if selector.items() <= p["labels"].items()]
    assert matched, f"Service {service_name} selects no pods"
    return matched


def alb_targets(run: StackRun, backend: dict[str, Any]) -> list[str] | str:
    """Kubernetes Service names an Ingress backend forwards to, or the fixed response it answers with."""
    name = backend["service"]["name"]
    if backend["service"]["port"].get("name") != "use-annotation":
        return [name]
    annotations = ingress(run)["metadata"]["annotations"]
    if f"alb.ingress.kubernetes.io/actions.{name}" not in annotations:
        return argo_weighted_targets(run, name)
    action = json.loads(annotations[f"alb.ingress.kubernetes.io/actions.{name}"])
    if action["type"] == "fixed-response":
        return f"fixed-response {action['fixedResponseConfig']['statusCode']}"
    return [group["serviceName"] for group in action["forwardConfig"]["targetGroups"]]


def argo_weighted_targets(run: StackRun, stable: str) -> list[str]:
    """The action Argo Rollouts writes at run time for a canary routed through this Ingress: it is named after
    the stable Service and forwards to the stable and canary Services by weight."""
    for rollout in run.of_type(ROLLOUT):
        canary = rollout.inputs["spec"]["strategy"].get("canary", {})
        alb = canary.get("trafficRouting", {}).get("alb", {})
        if canary.get("stableService") == stable and alb.get("ingress") == ingress(run)["metadata"]["name"]:
            return [canary["stableService"], canary["canaryService"]]
    raise AssertionError(f"nothing writes the action for {stable}: no Rollout routes it")


def alb_rule_for(run: StackRun, path: str) -> dict[str, Any]:
    """The first Ingress path the ALB matches for `path` (Prefix `/a` is `/a` and `/a/*`; `*` is a glob)."""
    for rule in ingress(run)["spec"]["rules"][0]["http"]["paths"]:
        pattern = rule["path"]
        if rule["pathType"] == "Prefix":
            if pattern == "/" or path == pattern or path.startswith(pattern.rstrip("/") + "/"):
                return rule
        elif fnmatch.fnmatchcase(path, pattern):
            return rule
    raise AssertionError(f"no Ingress path matches {path}")


# ---- the real app ----

_apps: dict[tuple[str, ...], Litestar] = {}


def app_for(services: tuple[str, ...], tmp: Path) -> Litestar:
    if services not in _apps:
        _apps[services] = create_app(Settings(services=services, var_dir=tmp, log_json=False))
    return _apps[services]


def serves(app: Litestar, path: str, method: str) -> Any:
    """The route handler `app` picks for the request, or None when it answers 404/405."""
    try:
        _, handler, *_ = app.asgi_router.handle_routing(path=path, method=method)  # type: ignore[arg-type]
    except NotFoundException:
        return None
    except Exception as exc:  # MethodNotAllowed: the path exists for other methods only
        if getattr(exc, "status_code", None) == 405:
            return None
        raise
    return handler


def concrete(template: str) -> str:
    def value(match: re.Match[str]) -> str:
        name, _, kind = match.group(1).partition(":")
        return str(uuid.UUID(int=1)) if kind == "uuid" else SAMPLES.get(name, "sample")

    return re.sub(r"\{([^}]+)\}", value, template)


def public_routes(tmp: Path) -> list[tuple[str, str]]:
    """(method, concrete path) of every route the whole platform serves to browsers and API clients."""
    app = app_for(tuple(SERVICE_ROUTERS), tmp)
    result = []
    for route in app.routes:
        if route.path.startswith(INTERNAL):
            continue
        for method in sorted(getattr(route, "methods", {"GET"}) - {"OPTIONS", "HEAD"}):
            result.append((method, concrete(route.path)))
    return result


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("contract-app")


# ---- the contract ----


@pytest.mark.parametrize("stack", STACKS)
def test_every_services_value_is_a_service_the_app_defines(stack: str) -> None:
    run = released_run(stack)
    for name, pod in pods(run).items():
        env = pod_env(pod)
        services = [s for s in env.get("WINDSURF_SERVICES", "").split(",") if s]
        assert set(services) <= set(SERVICE_ROUTERS), f"{name}: {services} vs {sorted(SERVICE_ROUTERS)}"
        # The real settings accept them (an unknown name makes `windsurf serve` exit).
        Settings.from_env({**env, **secret_env(run, pod)})


@pytest.mark.parametrize("stack", STACKS)
def test_every_route_reaches_a_pod_that_serves_it(stack: str, app_dir: Path) -> None:
    run = released_run(stack)
    for method, path in public_routes(app_dir):
        expected = serves(app_for(tuple(SERVICE_ROUTERS), app_dir), path, method)
        targets = alb_targets(run, alb_rule_for(run, path)["backend"])
        assert isinstance(targets, list), f"{method} {path} is answered by the ALB itself: {targets}"
        for target in targets:
            for pod in backend_pods(run, target):
                services = tuple(pod_env(pod)["WINDSURF_SERVICES"].split(","))
                handler = serves(app_for(services, app_dir), path, method)
                assert handler is not None and handler.handler_name == expected.handler_name, (
                    f"{method} {path} goes to Service {target} (WINDSURF_SERVICES={','.join(services)}), "
                    "which does not serve it"
                )


@pytest.mark.parametrize("stack", STACKS)
def test_every_ingress_path_is_served_and_private_paths_are_not_public(stack: str, app_dir: Path) -> None:
    run = released_run(stack)
    for rule in ingress(run)["spec"]["rules"][0]["http"]["paths"]:
        targets = alb_targets(run, rule["backend"])
        sample = concrete(rule["path"].replace("/@*", "/@demo").replace("*", "htmx.min.js"))
        if isinstance(targets, str):
            assert sample.startswith(("/metrics", "/schema")), (rule["path"], targets)
            continue
        for target in targets:
            for pod in backend_pods(run, target):
                services = tuple(pod_env(pod)["WINDSURF_SERVICES"].split(","))
                app = app_for(services, app_dir)
                if rule["pathType"] == "Prefix" and rule["path"] != "/":
                    # A prefix is served when the pod has a route at it or under it.
                    under = [
                        r.path
                        for r in app.routes
                        if r.path == rule["path"] or r.path.startswith(rule["path"] + "/")
                    ]
                    assert under, (
                        f"Ingress path {rule['path']} -> {target} ({services}) has no route under it"
                    )
                else:
                    assert serves(app, sample, "GET"), (
                        f"Ingress path {rule['path']} -> {target} ({services}) serves nothing at {sample}"
                    )
    for private in ("/metrics", "/schema", "/schema/swagger"):
        assert alb_targets(run, alb_rule_for(run, private)["backend"]) == "fixed-response 404", private


def test_database_urls_carry_the_generated_password_and_the_owner_reads_rds_rotating_secret(
    tmp_path: Path,
) -> None:
    run = released_run("dev")
    app_password = run.one(PASSWORD, "database-app-password")
    job = pods(run)[run.of_type(JOB)[0].inputs["metadata"]["name"]]
    env = secret_env(run, job)
    rds = next(r for r in run.of_type("aws:rds/instance:Instance") if "replicateSourceDb" not in r.inputs)
    address = rds.outputs["address"]
    root_cert = self_signed(tmp_path).cert_path  # stands in for the bundle, which only the image holds
    for key in ("WINDSURF_DATABASE_URL", "WINDSURF_MIGRATION_DATABASE_URL"):
        # The server is verified against the bundle the image holds, at the path the image holds it.
        query = parse_qs(urlsplit(env[key]).query)
        assert query["sslmode"] == ["verify-full"] and query["sslrootcert"] == [image_rds_bundle()], key
    local = env["WINDSURF_DATABASE_URL"].replace(
        quote(RDS_CA_BUNDLE, safe="/"), quote(str(root_cert), safe="/")
    )
    config = db.postgres_connect_args(local)  # the app's own URL parsing, as its engine connects
    assert config["password"] == app_password.outputs["result"]
    assert config["host"] == address and config["database"] == "windsurf"
    assert config["ssl"].verify_mode == ssl.CERT_REQUIRED and config["ssl"].check_hostname
    # SecretsManager.1: the owner's password is RDS's, rotated in RDS's own secret; none is written down here.
    assert rds.inputs["manageMasterUserPassword"] is True and "password" not in rds.inputs
    master_secret = rds.outputs["masterUserSecrets"][0]["secretArn"]
    settings = Settings.from_env({**pod_env(job), **env})
    assert settings.migration_database_secret == master_secret
    owner = urlsplit(settings.migration_database_url)
    assert (owner.username, owner.password, owner.hostname) == ("windsurf_admin", None, address)
    # The migration pod's own role may read that secret and decrypt it; no other workload's may.
    readers = set()
    for role in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        statements = json.loads(role.inputs["policy"])["Statement"]
        if any(
            s["Resource"] == master_secret and "secretsmanager:GetSecretValue" in s["Action"]
            for s in statements
        ):
            readers.add(role.name)
    assert len(readers) == 1 and "migrate" in next(iter(readers)), readers


def image_rds_bundle() -> str:
    """Where the Dockerfile's runtime stage puts RDS's certificate authorities (readable by the app's user)."""
    runtime = (ROOT / "Dockerfile").read_text().split("AS runtime", 1)[1]
    match = re.search(
        r"^ADD --chmod=644 https://truststore\.pki\.rds\.amazonaws\.com/\S+ \\\n\s+(\S+)$", runtime, re.M
    )
    assert match, "the image does not fetch RDS's certificate bundle"
    return match.group(1)


def _outbound_address() -> str:
    """This machine's address on its network (not loopback): where a kubelet or the ALB would connect."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent, the kernel only picks a route
        address = probe.getsockname()[0]
    assert not address.startswith("127."), address
    return address


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


def _local_services(env: dict[str, str], database_url: str, redis_url: str) -> dict[str, str]:
    """Point the pod's data endpoints at the local PostgreSQL and Redis; every other value stays as rendered."""
    return {**env, "WINDSURF_DATABASE_URL": database_url, "WINDSURF_REDIS_URL": redis_url}


# The app role, as the pods connect: production refuses to start as a superuser or a table owner.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
@pytest.mark.parametrize("workload", ["identity", "builder", "storefront"])
def test_pod_env_starts_the_real_app_on_a_pod_address_answering_ready(
    workload: str, migrated_database: dict[str, str], redis_namespace: str
) -> None:
    from tests.conftest import REDIS_URL

    run = released_run("dev")
    pod = pods(run)[workload]
    env = {**pod_env(pod), **secret_env(run, pod)}
    settings = Settings.from_env(env)
    assert settings.host not in ("127.0.0.1", "localhost", "::1"), "pods must listen beyond loopback"
    assert settings.port == container(pod)["ports"][0]["containerPort"]
    probe = container(pod)["readinessProbe"]["httpGet"]
    address, port = _outbound_address(), _free_port()
    process_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WINDSURF_")},
        **_local_services(env, migrated_database["database_url"], REDIS_URL),
        "WINDSURF_REDIS_NAMESPACE": redis_namespace,
        "WINDSURF_VAR_DIR": str(ROOT / "var" / f"contract-{workload}"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "windsurf.cli", "serve", "--port", str(port), "--workers", "1"],
        env=process_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        response = None
        for _ in range(300):  # readiness, not a timer: poll until it answers or the process dies
            if server.poll() is not None:
                break
            try:
                response = httpx.get(f"http://{address}:{port}{probe['path']}", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, server.stderr.read().decode() if server.stderr else ""
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "redis": "ok"}
        # Prometheus, with the token its ServiceMonitor sends, reads the metrics; nobody else does.
        metrics_url = f"http://{address}:{port}{scrape_endpoint(run)['path']}"
        scraped = httpx.get(metrics_url, headers={"Authorization": f"Bearer {scraper_token(run)}"}, timeout=5)
        assert scraped.status_code == 200 and "windsurf_" in scraped.text
        assert httpx.get(metrics_url, timeout=5).status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=20)


def scrape_endpoint(run: StackRun) -> dict[str, Any]:
    monitor = run.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "app-service-monitor").inputs
    [endpoint] = monitor["spec"]["endpoints"]
    return dict(endpoint)


def scraper_token(run: StackRun) -> str:
    """The bearer token Prometheus sends: the Secret (beside the ServiceMonitor) its endpoint names."""
    monitor = run.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "app-service-monitor").inputs
    authorization = scrape_endpoint(run)["authorization"]
    assert authorization["type"] == "Bearer"
    reference = authorization["credentials"]
    [secret] = [
        r.inputs
        for r in run.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"]["name"] == reference["name"]
        and r.inputs["metadata"]["namespace"] == monitor["metadata"]["namespace"]
    ]
    return str(secret["stringData"][reference["key"]])


@pytest.mark.parametrize("stack", STACKS)
def test_the_scraper_sends_the_token_every_served_pod_expects(stack: str) -> None:
    run = released_run(stack)
    token = scraper_token(run)
    assert len(token) >= 32
    for name, pod in served_pods(run).items():
        settings = Settings.from_env({**pod_env(pod), **secret_env(run, pod)})
        assert settings.metrics_token == token, f"{name} would answer Prometheus's scrape with 404"


@pytest.mark.parametrize("stack", STACKS)
def test_pods_carry_real_messaging_settings(stack: str) -> None:
    """Production refuses console email and SMS: every pod, the migration Job included, gets the relay's and
    the gateway's settings and credentials from its Secrets Manager secret."""
    run = released_run(stack)
    for name, pod in pods(run).items():
        settings = Settings.from_env({**pod_env(pod), **secret_env(run, pod)})
        assert settings.email_backend == "smtp" and settings.sms_backend == "http", name
        assert settings.smtp_starttls and settings.smtp_port == 587, name
        assert settings.smtp_username == OPERATOR_SECRETS["windsurf:smtpUsername"], name
        assert settings.smtp_password == OPERATOR_SECRETS["windsurf:smtpPassword"], name
        assert settings.sms_token == OPERATOR_SECRETS["windsurf:smsToken"], name
        assert settings.sms_url.startswith("https://"), name
        assert not any(key.startswith(("WINDSURF_SMTP", "WINDSURF_SMS")) for key in pod_env(pod)), (
            f"{name}: messaging settings belong in the pod's secret, not its plain env"
        )


def test_the_worker_s_probes_see_its_heartbeat(
    postgres_urls: dict[str, str], redis_namespace: str, tmp_path: Path
) -> None:
    from tests.conftest import REDIS_URL

    run = released_run("dev")
    pod = pods(run)["worker"]
    env = {**pod_env(pod), **secret_env(run, pod)}
    probe = container(pod)["livenessProbe"]["exec"]["command"]
    assert container(pod)["readinessProbe"]["exec"]["command"] == probe
    process_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WINDSURF_")},
        **_local_services(env, postgres_urls["owner"], REDIS_URL),
        "WINDSURF_REDIS_NAMESPACE": redis_namespace,
        "TMPDIR": str(tmp_path),  # the pod's /tmp
    }

    def probe_passes() -> bool:
        command = [sys.executable if probe[0] == "python" else probe[0], *probe[1:]]
        return subprocess.run(command, env=process_env, check=False).returncode == 0

    assert not probe_passes()  # nothing running: not ready, not alive
    worker = subprocess.Popen(
        [sys.executable, "-m", "windsurf.cli", "worker"], env=process_env, stderr=subprocess.PIPE
    )
    heartbeat = tmp_path / "windsurf-worker-heartbeat"
    try:
        # A loaded CI machine takes tens of seconds to start the process; the probe's startup budget is 120 s.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not heartbeat.exists() and worker.poll() is None:
            time.sleep(0.05)
        started = heartbeat.exists()
        if not started:
            worker.terminate()  # so reading its stderr below ends
        assert started, worker.communicate(timeout=20)[1].decode()
        assert probe_passes()
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=20)
    old = heartbeat.stat().st_mtime - 600
    os.utime(heartbeat, (old, old))  # a loop that stopped beating ten minutes ago
    assert not probe_passes()


@pytest.mark.parametrize("stack", STACKS)
def test_readers_and_writers_of_uploads_share_one_prefix_and_iam_allows_it(stack: str) -> None:
    run = released_run(stack)
    bucket = run.one("aws:s3/bucket:Bucket", "storage-products")
    prefixes = {pod_env(p).get("WINDSURF_S3_PREFIX") for p in served_pods(run).values()}
    assert len(prefixes) == 1, prefixes
    prefix = prefixes.pop()
    assert prefix
    # A cover the builder writes is the key the storefront reads: one storage, one key.
    key = S3Storage(bucket.outputs["bucket"], prefix, client=object())._key("public/covers/c/p/d-480.webp")
    object_arn = f"{bucket.outputs['arn']}/{key}"

    def allowed(workload: str, action: str) -> bool:
        policy = json.loads(
            run.one("aws:iam/rolePolicy:RolePolicy", f"{stack}-{workload}-pod-policy").inputs["policy"]
        )
        return any(
            action in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
            and any(
                fnmatch.fnmatchcase(object_arn, r)
                for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
            )
            for st in policy["Statement"]
        )

    assert allowed("builder", "s3:PutObject") and allowed("builder", "s3:GetObject")
    assert allowed("storefront", "s3:GetObject") and not allowed("storefront", "s3:PutObject")
    assert not allowed("identity", "s3:GetObject")


# EC2 allocatable per node as EKS computes it (kube-reserved + system-reserved + eviction threshold taken off),
# millicores and MiB; the smallest type of a node group counts.
ALLOCATABLE = {
    "t3.large": (1930, 7075),
    "t3a.large": (1930, 7075),
    "m5.large": (1930, 7075),
    "m5.xlarge": (3920, 14280),
    "m6i.xlarge": (3920, 14280),
}
# What EKS itself runs outside this program's Helm values: per node (aws-node, kube-proxy, ebs-csi-node,
# eks-pod-identity) and per cluster (two CoreDNS, metrics-server, two EBS CSI controllers).
EKS_PER_NODE = (25 + 100 + 30 + 25, 64 + 128 + 40 + 32)
EKS_PER_CLUSTER = (2 * 100 + 100 + 2 * 60, 2 * 70 + 200 + 2 * 80)
PER_NODE_RELEASES = {"fluent-bit"}  # DaemonSets: one pod per node
PER_NODE_VALUES = {"prometheus-node-exporter"}  # a DaemonSet inside a chart's values


def _cpu(value: str) -> int:
    return int(value[:-1]) if value.endswith("m") else int(float(value) * 1000)


def _mib(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", value).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


def _helm_requests(values: Any, nodes: int, replicas: int = 1) -> tuple[int, int]:
    """Sum of every `resources.requests` in a chart's values, times the replicas set beside it."""
    cpu = memory = 0
    if isinstance(values, dict):
        count = int(values.get("replicas", values.get("replicaCount", replicas)))
        requests = (values.get("resources") or {}).get("requests")
        if requests and "cpu" in requests:  # not a volume claim's storage request
            cpu += count * _cpu(requests["cpu"])
            memory += count * _mib(requests["memory"])
        for key, child in values.items():
            if key != "resources":
                c, m = _helm_requests(child, nodes, nodes if key in PER_NODE_VALUES else 1)
                cpu, memory = cpu + c, memory + m
    return cpu, memory


@pytest.mark.parametrize("stack", STACKS)
def test_requests_plus_rollout_surge_fit_the_nodes(stack: str) -> None:
    run = released_run(stack)
    group = run.of_type("aws:eks/nodeGroup:NodeGroup")[0].inputs
    scaling = group["scalingConfig"]
    node_cpu, node_memory = min(ALLOCATABLE[t] for t in group["instanceTypes"])
    hpa_max = {
        r.inputs["spec"]["scaleTargetRef"]["name"]: int(r.inputs["spec"]["maxReplicas"])
        for r in run.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    }

    def platform(nodes: int) -> tuple[int, int]:
        cpu, memory = (
            EKS_PER_CLUSTER[0] + nodes * EKS_PER_NODE[0],
            EKS_PER_CLUSTER[1] + nodes * EKS_PER_NODE[1],
        )
        for release in run.of_type("kubernetes:helm.sh/v3:Release"):
            c, m = _helm_requests(release.inputs.get("values", {}), nodes)
            factor = nodes if release.inputs["name"] in PER_NODE_RELEASES else 1
            cpu, memory = cpu + factor * c, memory + factor * m
        return cpu, memory

    def apps(replicas_of: Any) -> tuple[int, int]:
        """Every app pod, each Deployment rolling at once (Pulumi updates them in parallel) with its surge."""
        cpu = memory = 0
        for name, pod in pods(run).items():
            if pod["kind"] == "Job":
                continue
            requests = container(pod)["resources"]["requests"]
            replicas = replicas_of(name, pod)
            surge = math.ceil(replicas * int(str(pod["surge"]).rstrip("%")) / 100) if replicas else 0
            cpu += (replicas + surge) * _cpu(requests["cpu"])
            memory += (replicas + surge) * _mib(requests["memory"])
        return cpu, memory

    for nodes, replicas_of in (
        (int(scaling["desiredSize"]), lambda name, pod: pod["replicas"]),
        (
            int(scaling["maxSize"]),
            lambda name, pod: hpa_max.get(name, pod["replicas"]) if pod["replicas"] else 0,
        ),
    ):
        need_cpu = apps(replicas_of)[0] + platform(nodes)[0]
        need_memory = apps(replicas_of)[1] + platform(nodes)[1]
        assert need_cpu <= nodes * node_cpu, (
            f"{stack}: {need_cpu}m CPU requested, {nodes} nodes hold {nodes * node_cpu}m"
        )
        assert need_memory <= nodes * node_memory, f"{stack}: {need_memory}Mi requested on {nodes} nodes"


def _seconds(timeout: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smh])", timeout).groups()  # type: ignore[union-attr]
    return int(number) * {"s": 1, "m": 60, "h": 3600}[unit]


@pytest.mark.parametrize("stack", STACKS)
def test_job_deadlines_end_before_pulumi_stops_waiting(stack: str) -> None:
    run = released_run(stack)
    jobs = run.of_type(JOB)
    assert jobs
    for job in jobs:
        deadline = int(job.inputs["spec"]["activeDeadlineSeconds"])
        for operation in ("create", "update"):
            assert deadline < _seconds(job.timeouts[operation]), (job.name, operation, job.timeouts)


def test_a_migration_whose_image_is_missing_fails_the_release_visibly() -> None:
    run = run_stack("dev", tuple(RELEASE.items()), frozenset())  # released config, nothing pushed
    assert run.outputs["migrationStatus"] == "failed"
    assert released_run("dev").outputs["migrationStatus"] == "succeeded"


def test_the_kubeconfig_authenticates_through_aws_for_the_created_cluster() -> None:
    run = released_run("dev")
    config = json.loads(run.outputs["kubeconfig"])
    cluster = run.of_type("aws:eks/cluster:Cluster")[0].outputs
    assert config["clusters"][0]["cluster"]["server"] == cluster["endpoint"]
    assert urlsplit(cluster["endpoint"]).scheme == "https"
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws" and exec_["args"][:2] == ["eks", "get-token"]
    assert exec_["args"][exec_["args"].index("--cluster-name") + 1] == cluster["name"]
    provider = run.one("pulumi:providers:kubernetes", "cluster-k8s")
    assert json.loads(provider.inputs["kubeconfig"]) == config


@pytest.mark.parametrize("stack", STACKS)
def test_the_worker_reads_the_cdn_access_logs_where_the_edge_writes_them(stack: str) -> None:
    """CloudFront delivers tab-separated W3C logs into the logs bucket's folder; the worker's settings name that
    bucket and folder, and its IAM role (alone) may list and read them there."""
    run = released_run(stack)
    logs = run.one("aws:s3/bucket:Bucket", "storage-logs")
    destination = run.one(
        "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination", "edge-logs-destination"
    )
    assert destination.inputs["outputFormat"] == "w3c"
    delivery = run.one("aws:cloudwatch/logDelivery:LogDelivery", "edge-logs-delivery")
    assert delivery.inputs["fieldDelimiter"] == "\t"
    written_to = destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
    assert written_to.startswith(f"{logs.outputs['arn']}/")
    folder = written_to.removeprefix(f"{logs.outputs['arn']}/")

    worker = next(pod for name, pod in pods(run).items() if "worker" in container(pod)["args"])
    settings = Settings.from_env({**pod_env(worker), **secret_env(run, worker)})
    assert settings.analytics_log_bucket == logs.outputs["bucket"]
    assert settings.analytics_log_prefix == folder
    log_key = S3Storage(
        logs.outputs["bucket"], settings.analytics_log_prefix, client=object(), key_pattern=FOREIGN_KEY
    )._key("AWSLogs/123456789012/CloudFront/E2QWRUHAPOMQZL.2026-12-03-13.c2a1e8d3.log.gz")
    object_arn = f"{logs.outputs['arn']}/{log_key}"

    def allowed(workload: str, action: str, resource: str, prefix: str | None = None) -> bool:
        policy = json.loads(
            run.one("aws:iam/rolePolicy:RolePolicy", f"{stack}-{workload}-pod-policy").inputs["policy"]
        )
        for st in policy["Statement"]:
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
            if action not in actions or not any(fnmatch.fnmatchcase(resource, r) for r in resources):
                continue
            wanted = st.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
            if wanted is None or (prefix is not None and any(fnmatch.fnmatchcase(prefix, w) for w in wanted)):
                return True
        return False

    assert allowed("worker", "s3:GetObject", object_arn)
    assert allowed("worker", "s3:ListBucket", logs.outputs["arn"], prefix=f"{folder}/")
    assert not allowed("worker", "s3:PutObject", object_arn)
    assert not allowed("storefront", "s3:GetObject", object_arn)
    assert not allowed("worker", "s3:GetObject", f"{logs.outputs['arn']}/AWSLogs/cloudtrail.json.gz")
