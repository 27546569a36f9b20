"""Kubernetes object bodies (camelCase, exactly as the API server sees them) for the windsurf workloads.

Pure functions, so the workload component stays a list of "create this" calls and the pod security settings
are
written once. Every pod meets the "restricted" Pod Security Standard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

APP_PORT = 8000
UID = 1000
PART_OF = "stan-store-windsurf"
# Checkov checks we do not meet on purpose, with the reason recorded on the object itself.
CHECKOV_SKIPS = {
    "checkov.io/skip1": "CKV_K8S_43=images are pinned by immutable ECR tags (a tag names one digest forever)",
    "checkov.io/skip2": "CKV_K8S_40=uid 1000 is the image's user; restricted PSS already forbids root",
    "checkov.io/skip3": "CKV_K8S_35=settings are read from env; the Secret is synced from Secrets Manager",
}

# `windsurf worker` serves no HTTP: it touches a heartbeat file (windsurf.cli.WORKER_HEARTBEAT) in the temp
# directory while its loop runs; the probes check the file's age.
WORKER_HEARTBEAT_CHECK = (
    "import os, sys, tempfile, time; "
    "path = os.path.join(tempfile.gettempdir(), 'windsurf-worker-heartbeat'); "
    "sys.exit(0 if os.path.exists(path) and time.time() - os.path.getmtime(path) < 60 else 1)"
)

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ServiceSpec:
    """A platform service: the routers it mounts and the URL paths the ALB sends to it."""

    name: str
    routers: str
    paths: tuple[str, ...]
    release: str  # "blue-green" or "canary"


# Only services the app defines (windsurf.app.SERVICE_ROUTERS): an unknown WINDSURF_SERVICES value stops the
# process. tests/infra/test_contract.py holds the two together.
SERVICES = (
    ServiceSpec(
        "identity",
        "identity",
        (
            "/signup",
            "/login",
            "/logout",
            "/password-reset",
            "/verify",
            "/verify-email",
            "/account",
            "/language",
            "/api/v1/identity",
        ),
        "blue-green",
    ),
    ServiceSpec(
        "builder",
        "stores,catalog",
        ("/dashboard", "/staff", "/manifest.webmanifest", "/api/v1/stores", "/api/v1/catalog"),
        "blue-green",
    ),
    # Checkout pages, provider callbacks, downloads and the buyer library: scaled apart from the storefront.
    ServiceSpec("payments", "payments", ("/checkout", "/webhooks", "/library", "/download"), "blue-green"),
    # The storefront catches "/" so it is listed (and matched) last.
    ServiceSpec("storefront", "storefront", ("/@*", "/static/*", "/"), "canary"),
)
# Served by every pod for Prometheus and developers, never to the internet: the ALB answers 404 itself.
PRIVATE_PATHS = ("/metrics", "/schema")
WORKER = "worker"
MIGRATE = "migrate"
ALL_WORKLOADS = (*[s.name for s in SERVICES], WORKER, MIGRATE)
# One prefix for every workload's objects: the builder writes covers, avatars and product files that the
# storefront serves (per-workload prefixes meant the storefront looked where nothing was ever written).
UPLOADS_PREFIX = "uploads/"
# Who may do what under that prefix (IAM, components/workload.py); everyone else gets no S3 access at all.
# Payments serves downloads (presigned); the worker stamps PDFs for buyers and sweeps orphaned files.
STORAGE_ACCESS = {"builder": "read-write", "storefront": "read", "payments": "read", "worker": "read-write"}
# A tag placeholder for tracks that never received a release: their Deployments run no pods and no migration
# Job runs, so the first `up` of an empty account succeeds before any image is pushed.
UNRELEASED = "bootstrap"
# Pods listen on every interface: the kubelet's probes and the ALB reach them on the pod IP.
BIND_HOST = "0.0.0.0"  # noqa: S104 - inside the pod network namespace, on purpose
# Requests (what the scheduler reserves) and limits per pod; test_contract checks they fit the nodes.
WEB_RESOURCES = {"requests": {"cpu": "250m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
WORKER_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "500m", "memory": "384Mi"},
}
MAX_SURGE = "25%"

# --- progressive delivery (Argo Rollouts, components/addons.py installs the controller) ---
ROLLOUT_API = "argoproj.io/v1alpha1"
# kube-prometheus-stack's Prometheus (components/observability.py, Helm release "prometheus" in `monitoring`).
PROMETHEUS_URL = "http://prometheus-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090"
HEALTH_TEMPLATE = "windsurf-health"  # error rate and p99 of one Service's pods, from the app's own metrics
SMOKE_TEMPLATE = "windsurf-smoke"  # /health/ready of one Service, asked from inside the cluster
MAX_ERROR_RATE = 0.02
MAX_P99_SECONDS = 1.5
# The storefront's canary: each step's share of traffic is held while the analysis measures it; a failed
# measurement aborts the Rollout, and all traffic returns to the stable pods.
CANARY_WEIGHTS = (10, 25, 50)
# Blue-green: the previous pods stay this long after a switch, so post-promotion analysis can switch back at once.
BLUE_GREEN_SCALE_DOWN_DELAY_S = 600
# The migration Job's whole run (every retry) must end before Pulumi stops waiting for it.
MIGRATION_DEADLINE_S = 600
MIGRATION_PULUMI_TIMEOUT = "15m"


def labels(app: str, track: str | None = None) -> dict[str, str]:
    result = {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": PART_OF}
    if track:
        result["windsurf.et/track"] = track
    return result


def metadata(name: str, namespace: str, app: str, track: str | None = None, **extra: Any) -> Manifest:
    return {"name": name, "namespace": namespace, "labels": labels(app, track), **extra}


def pod_template(
    *,
    app: str,
    track: str | None,
    image: str,
    args: list[str],
    env: dict[str, str],
    secret_name: str,
    service_account: str,
    probes: bool,
    resources: Manifest,
) -> Manifest:
    container: Manifest = {
        "name": app,
        "image": image,
        "imagePullPolicy": "Always",
        "command": ["windsurf"],
        "args": args,
        "env": [{"name": key, "value": value} for key, value in sorted(env.items())],
        "envFrom": [{"secretRef": {"name": secret_name}}],
        "resources": resources,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - the one writable path
    }
    if not probes and args == ["worker"]:
        check = {"exec": {"command": ["python", "-c", WORKER_HEARTBEAT_CHECK]}, "timeoutSeconds": 5}
        container["livenessProbe"] = {**check, "periodSeconds": 30, "failureThreshold": 3}
        container["readinessProbe"] = {**check, "periodSeconds": 15, "failureThreshold": 2}
        container["startupProbe"] = {**check, "periodSeconds": 5, "failureThreshold": 24}
    if probes:
        container["ports"] = [{"name": "http", "containerPort": APP_PORT, "protocol": "TCP"}]
        container["livenessProbe"] = _probe("/health/live", period=10, failures=3)
        container["readinessProbe"] = _probe("/health/ready", period=5, failures=2)
        container["startupProbe"] = _probe("/health/live", period=2, failures=30)
    return {
        "metadata": {"labels": labels(app, track)},
        "spec": {
            "serviceAccountName": service_account,
            # IRSA's token arrives through its own projected volume; the API token is not needed by the app.
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": UID,
                "runAsGroup": UID,
                "fsGroup": UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": labels(app, track)},
                }
            ],
        },
    }


def _probe(path: str, *, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def deployment_spec(app: str, track: str | None, replicas: int, template: Manifest) -> Manifest:
    return {
        "replicas": replicas,
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": labels(app, track)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": MAX_SURGE}},
        "template": template,
    }


def hpa_spec(target: str, min_replicas: int, max_replicas: int, kind: str = "Deployment") -> Manifest:
    api_version = ROLLOUT_API if kind == "Rollout" else "apps/v1"
    return {
        "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": target},
        "minReplicas": min_replicas,
        "maxReplicas": max_replicas,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            }
        ],
    }


def pdb_spec(app: str, track: str | None) -> Manifest:
    # maxUnavailable (not minAvailable) so a one-replica dev Deployment never blocks a node drain forever.
    return {"maxUnavailable": 1, "selector": {"matchLabels": labels(app, track)}}


def service_spec(selector: dict[str, str]) -> Manifest:
    return {
        "type": "ClusterIP",
        "selector": selector,
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
    }


def blue_green_strategy(service: str, namespace: str) -> Manifest:
    """New pods come up behind `<service>-preview`; they must answer ready (smoke) before the switch, and the
    live Service's error rate and p99 must hold after it, or the Rollout switches back and aborts."""
    return {
        "blueGreen": {
            "activeService": service,
            "previewService": f"{service}-preview",
            "autoPromotionEnabled": True,
            "prePromotionAnalysis": {
                "templates": [{"templateName": SMOKE_TEMPLATE}],
                "args": _analysis_args(f"{service}-preview", namespace),
            },
            "postPromotionAnalysis": {
                "templates": [{"templateName": HEALTH_TEMPLATE}],
                "args": _analysis_args(service, namespace),
            },
            "scaleDownDelaySeconds": BLUE_GREEN_SCALE_DOWN_DELAY_S,
            "abortScaleDownDelaySeconds": 30,
        }
    }


def canary_strategy(service: str, namespace: str, ingress: str) -> Manifest:
    """The ALB splits traffic between `<service>-stable` and `<service>-canary`: Argo Rollouts writes the weights
    into the Ingress's action annotation for the stable Service, which Pulumi therefore never sets."""
    steps: list[Manifest] = []
    for weight in CANARY_WEIGHTS:
        steps += [
            {"setWeight": weight},
            {
                "analysis": {
                    "templates": [{"templateName": HEALTH_TEMPLATE}],
                    "args": _analysis_args(f"{service}-canary", namespace),
                }
            },
        ]
    return {
        "canary": {
            "stableService": f"{service}-stable",
            "canaryService": f"{service}-canary",
            "maxSurge": MAX_SURGE,
            "maxUnavailable": 0,
            "abortScaleDownDelaySeconds": 30,
            "trafficRouting": {"alb": {"ingress": ingress, "servicePort": 80}},
            "steps": steps,
        }
    }


def _analysis_args(service: str, namespace: str) -> list[Manifest]:
    return [{"name": "service", "value": service}, {"name": "namespace", "value": namespace}]


def rollout_spec(app: str, replicas: int, template: Manifest, strategy: Manifest) -> Manifest:
    return {
        "replicas": replicas,
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": labels(app)},
        "template": template,
        "strategy": strategy,
    }


def error_rate_query() -> str:
    """5xx share of one Service's requests (windsurf_requests_total, by route template and status)."""
    match = 'namespace="{{args.namespace}}", service="{{args.service}}"'
    return (
        f'sum(rate(windsurf_requests_total{{{match}, status=~"5.."}}[2m]))'
        f" / sum(rate(windsurf_requests_total{{{match}}}[2m]))"
    )


def p99_query() -> str:
    match = 'namespace="{{args.namespace}}", service="{{args.service}}"'
    return f"histogram_quantile(0.99, sum by (le) (rate(windsurf_request_duration_seconds_bucket{{{match}}}[2m])))"


def _below(limit: float) -> str:
    # No traffic yet means no samples (an empty vector or NaN): nothing to hold against the new pods.
    return f"len(result) == 0 || isNaN(result[0]) || result[0] < {limit}"


def health_analysis_template(namespace: str) -> Manifest:
    prometheus = {"address": PROMETHEUS_URL, "timeout": 10}
    common = {"interval": "1m", "count": 5, "failureLimit": 1, "inconclusiveLimit": 2}
    return {
        "args": [{"name": "service"}, {"name": "namespace", "value": namespace}],
        "metrics": [
            {
                "name": "error-rate",
                **common,
                "successCondition": _below(MAX_ERROR_RATE),
                "provider": {"prometheus": {**prometheus, "query": error_rate_query()}},
            },
            {
                "name": "p99-latency",
                **common,
                "successCondition": _below(MAX_P99_SECONDS),
                "provider": {"prometheus": {**prometheus, "query": p99_query()}},
            },
        ],
    }


def smoke_analysis_template(namespace: str) -> Manifest:
    return {
        "args": [{"name": "service"}, {"name": "namespace", "value": namespace}],
        "metrics": [
            {
                "name": "ready",
                "count": 3,
                "interval": "10s",
                "failureLimit": 0,
                "successCondition": 'result == "ok"',
                "provider": {
                    "web": {
                        "url": "http://{{args.service}}.{{args.namespace}}.svc.cluster.local/health/ready",
                        "jsonPath": "{$.status}",
                        "timeoutSeconds": 5,
                    }
                },
            }
        ],
    }


def fixed_response_action(status: int) -> str:
    """An ALB action answering by itself (the paths it serves never reach a pod)."""
    return json.dumps(
        {
            "type": "fixed-response",
            "fixedResponseConfig": {
                "contentType": "text/plain",
                "statusCode": str(status),
                "messageBody": "Not Found",
            },
        }
    )


def origin_header_condition(header: str, value: str) -> str:
    """An ALB rule condition: only requests carrying CloudFront's secret origin header match."""
    return json.dumps(
        [{"field": "http-header", "httpHeaderConfig": {"httpHeaderName": header, "values": [value]}}]
    )


def ingress_path(path: str, service: str, port: int | str) -> Manifest:
    # ALB path patterns take '*' wildcards through ImplementationSpecific; plain prefixes stay portable.
    backend_port = {"name": port} if isinstance(port, str) else {"number": port}
    return {
        "path": path,
        "pathType": "ImplementationSpecific" if "*" in path else "Prefix",
        "backend": {"service": {"name": service, "port": backend_port}},
    }


# Thresholds the alerts page on; tests/infra/test_operations.py reads them with the rules.
JOB_BACKLOG_AGE_S = 600  # the oldest claimable job has waited 10 minutes: workers are stuck or too few
JOB_BACKLOG_COUNT = 500
PAYMENTS_WITHOUT_NOTIFICATIONS = 5  # payments started in an hour with not one paying notification


def alert_rules(namespace: str) -> list[Manifest]:
    """PrometheusRule alerts on the metrics the app exports (windsurf.core.metrics: requests by route template,
    the outbox's backlog, payment notifications) and on kube-state-metrics."""
    selector = f'namespace="{namespace}"'
    return [
        {
            "alert": "WindsurfHighErrorRate",
            "expr": (
                f'sum by (service) (rate(windsurf_requests_total{{{selector}, status=~"5.."}}[5m]))'
                f" / sum by (service) (rate(windsurf_requests_total{{{selector}}}[5m])) > 0.02"
            ),
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "More than 2% of {{ $labels.service }} requests end in a 5xx"},
        },
        {
            "alert": "WindsurfSlowRequests",
            "expr": (
                "histogram_quantile(0.99, sum by (service, le) "
                f"(rate(windsurf_request_duration_seconds_bucket{{{selector}}}[5m]))) > 1.5"
            ),
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "p99 of {{ $labels.service }} is above 1.5 s"},
        },
        {
            "alert": "WindsurfJobBacklogOld",
            # Every web pod reads the same table, so the maximum is the backlog (not a sum over pods).
            "expr": f"max(windsurf_jobs_oldest_claimable_age_seconds{{{selector}}}) > {JOB_BACKLOG_AGE_S}",
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "The oldest waiting job has waited {{ $value | humanizeDuration }}: "
                "receipts, downloads and pages are late"
            },
        },
        {
            "alert": "WindsurfJobBacklogLarge",
            "expr": f"max(windsurf_jobs_claimable{{{selector}}}) > {JOB_BACKLOG_COUNT}",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "{{ $value }} jobs are waiting for a worker"},
        },
        {
            "alert": "WindsurfDeadJobs",
            "expr": f"max(windsurf_jobs_dead{{{selector}}}) - max(windsurf_jobs_dead{{{selector}}} offset 1h) > 0",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "Jobs failed for good in the last hour; staff must look at them"},
        },
        {
            "alert": "WindsurfJobBacklogUnreadable",
            "expr": f"sum(rate(windsurf_jobs_backlog_errors_total{{{selector}}}[10m])) > 0",
            "for": "15m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "Scrapes cannot read the job backlog: the backlog alerts are blind"},
        },
        {
            "alert": "WindsurfPaymentNotificationsFailing",
            "expr": (
                "sum by (provider) (rate(windsurf_payment_notifications_total"
                f'{{{selector}, outcome=~"refused|mismatch|provider_error"}}[15m]))'
                " / sum by (provider) (rate(windsurf_payment_notifications_total"
                f"{{{selector}}}[15m])) > 0.2"
            ),
            "for": "10m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "More than 20% of {{ $labels.provider }} notifications fail (signature, amount or "
                "the provider's status query)"
            },
        },
        {
            "alert": "WindsurfNoPaidNotifications",
            # Buyers start payments but no notification pays an order: the provider's callbacks do not reach
            # us (or all fail). Reconciliation still pays them, late; buyers wait meanwhile.
            "expr": (
                "sum by (provider) (increase(windsurf_payments_started_total"
                f"{{{selector}}}[1h])) > {PAYMENTS_WITHOUT_NOTIFICATIONS}"
                " unless sum by (provider) (increase(windsurf_payment_notifications_total"
                f'{{{selector}, outcome="paid"}}[1h])) > 0'
            ),
            "for": "15m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.provider }}: payments start but no notification paid an order in an hour"
            },
        },
        {
            "alert": "WindsurfPodsNotReady",
            "expr": f"sum by (deployment) (kube_deployment_status_replicas_unavailable{{{selector}}}) > 0",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "{{ $labels.deployment }} has pods that are not ready"},
        },
        {
            "alert": "WindsurfWorkerDown",
            "expr": f'kube_deployment_status_replicas_available{{{selector}, deployment="worker"}} < 1',
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "No job worker is running: background jobs pile up"},
        },
        {
            "alert": "WindsurfMigrationFailed",
            "expr": f'kube_job_status_failed{{{selector}, job_name=~"migrate-.*"}} > 0',
            "labels": {"severity": "critical"},
            "annotations": {"summary": "Migration Job {{ $labels.job_name }} failed; the release stopped"},
        },
    ]
