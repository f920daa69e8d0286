#!/usr/bin/env python3
"""Checks every deployment file of Taskpilot with real tools. Run through tests/deploy/check.sh,
which installs the tools; prints one PASS/FAIL line per check and `N passed, M failed`.

Tools: hadolint, actionlint (+ shellcheck), yamllint, helm-sdkpy (libhelm lint),
helm-python-sdk (lint --strict and offline rendering), kubernetes-validate, check-jsonschema
(compose spec, GitHub workflow schema, the CRD schemas in schemas/), promtool (rules, rule unit
tests, PromQL of the dashboard, Prometheus config), promql-parser (metric names in queries).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import jsonschema
import kubernetes_validate
import promql_parser
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests/deploy"
CHART = ROOT / "deploy/helm/taskpilot"
PYTHON = sys.executable

# --- The contract (DESIGN §7 and the deployment brief) -------------------------------------------

METRICS = {
    "http_requests_total": ("counter", ["method", "route", "status"]),
    "http_request_duration_seconds": ("histogram", ["method", "route"]),
    "taskpilot_db_query_duration_seconds": ("histogram", ["operation"]),
    "taskpilot_outbox_depth": ("gauge", []),
    "taskpilot_outbox_publish_duration_seconds": ("histogram", []),
    "taskpilot_outbox_publish_failures_total": ("counter", []),
    "taskpilot_events_consumed_total": ("counter", ["topic", "consumer", "outcome"]),
    "taskpilot_consumer_lag": ("gauge", ["topic", "consumer"]),
    "taskpilot_events_received_total": ("counter", ["topic", "consumer"]),
    "taskpilot_webhook_deliveries_total": ("counter", ["outcome"]),
    "taskpilot_webhook_delivery_duration_seconds": ("histogram", []),
    "taskpilot_webhooks_disabled_total": ("counter", []),
    "taskpilot_emails_sent_total": ("counter", ["outcome"]),
    "taskpilot_reminder_lateness_seconds": ("histogram", []),
    "taskpilot_llm_request_duration_seconds": ("histogram", []),
    "taskpilot_llm_errors_total": ("counter", ["reason"]),
    "taskpilot_websocket_sessions": ("gauge", []),
}
# Series Prometheus makes itself, allowed in alerts beside Taskpilot's own.
PROMETHEUS_SERIES = {"up"}

ENV_NAMES = {
    "TASKPILOT_HOST", "TASKPILOT_PORT", "TASKPILOT_DATABASE_URL", "TASKPILOT_EVENT_BUS",
    "TASKPILOT_KAFKA_BROKERS", "TASKPILOT_TOPIC_PREFIX", "TASKPILOT_DAPR_HTTP_ENDPOINT",
    "TASKPILOT_DAPR_PUBSUB", "TASKPILOT_JWT_SECRET", "TASKPILOT_JWT_LIFETIME", "TASKPILOT_LLM_BASE_URL",
    "TASKPILOT_LLM_API_KEY", "TASKPILOT_LLM_MODEL", "TASKPILOT_SMTP_URL", "TASKPILOT_SMTP_FROM",
    "TASKPILOT_WORKERS", "TASKPILOT_LOG_LEVEL", "TASKPILOT_LOG_FORMAT", "TASKPILOT_DATA_DIR",
    "TASKPILOT_WEB_DIR", "TASKPILOT_MAX_BODY_BYTES", "TASKPILOT_BCRYPT_COST", "TASKPILOT_LOGIN_ATTEMPTS",
    "TASKPILOT_LOGIN_WINDOW", "TASKPILOT_WEBHOOK_ALLOW_PRIVATE",
}
ROLES = ["recurring", "reminders", "notifications", "audit"]
ALERTS = {  # the alerts issue 6 asks for, by name
    "TaskpilotHighErrorRate", "TaskpilotHighLatency", "TaskpilotConsumerLagHigh",
    "TaskpilotOutboxGrowing", "TaskpilotRemindersLate",
}
KUBE_VERSIONS = ["1.27.0", "1.37.0"]  # the chart's kubeVersion floor, and the newest schemas
CRD_SCHEMAS = {path.stem: json.loads(path.read_text()) for path in (HERE / "schemas").glob("*.json")}

# --- Tiny test runner ---------------------------------------------------------------------------

RESULTS: list[tuple[str, bool, str]] = []


class Failed(Exception):
    pass


def run_check(name: str, function: Callable[[], str | None]) -> None:
    try:
        detail = function() or ""
        RESULTS.append((name, True, detail))
        print(f"PASS  {name}" + (f"  ({detail})" if detail else ""), flush=True)
    except Failed as failure:
        RESULTS.append((name, False, str(failure)))
        print(f"FAIL  {name}\n{indent(str(failure))}", flush=True)
    except Exception:  # a bug in a check is a failure too
        RESULTS.append((name, False, traceback.format_exc()))
        print(f"FAIL  {name}\n{indent(traceback.format_exc())}", flush=True)


def indent(text: str) -> str:
    return "\n".join("      " + line for line in text.rstrip().splitlines())


def require(problems: list[str], summary: str = "") -> str:
    if problems:
        raise Failed("\n".join(problems))
    return summary


def tool(*args: str | Path, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env)


def tool_ok(*args: str | Path, cwd: Path = ROOT) -> str:
    done = tool(*args, cwd=cwd)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise Failed(f"{' '.join(map(str, args))} exited {done.returncode}:\n{output}")
    return output


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def load_yaml_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --- Dockerfile ---------------------------------------------------------------------------------

DOCKERFILE = ROOT / "deploy/docker/Dockerfile"


def check_hadolint() -> str:
    # Any finding fails, down to style level.
    tool_ok("hadolint", "--failure-threshold", "style", DOCKERFILE)
    return tool_ok("hadolint", "--version")


def check_dockerfile_shape() -> str:
    text = DOCKERFILE.read_text()
    problems = []
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M)
    images = [f[0] for f in froms]
    if "swift:6.3-bookworm" not in images:
        problems.append("the builder is not FROM swift:6.3-bookworm")
    if images[-1] != "debian:bookworm-slim":
        problems.append(f"the final stage is {images[-1]}, not debian:bookworm-slim")
    final = text[text.rindex("\nFROM "):]
    for needle, why in [
        ("--static-swift-stdlib", "release build with a static Swift stdlib"),
        ("USER 10001", "a non-root user in the final stage"),
        ("HEALTHCHECK", "a HEALTHCHECK"),
        ("/health/live", "the HEALTHCHECK probing /health/live"),
        ("COPY web /app/web", "the web app in the image"),
        ("TASKPILOT_WEB_DIR=/app/web", "TASKPILOT_WEB_DIR pointing at it"),
        ("TASKPILOT_HOST=0.0.0.0", "TASKPILOT_HOST=0.0.0.0"),
        ("librdkafka.so.1", "a newer librdkafka in the runtime"),
    ]:
        if needle not in (final if needle.startswith(("USER", "HEALTH", "COPY web")) else text):
            problems.append(f"missing: {why} ({needle})")
    # The runtime installs exactly the shared libraries the binary needs that the base lacks.
    installs = re.findall(r"apt-get install[^\n]*\\\n((?:\s+[a-z0-9.+-]+=\S+ \\\n)+)", final)
    runtime_packages = [p.split("=")[0] for block in installs for p in block.split() if "=" in p]
    if sorted(runtime_packages) != ["libcurl4"]:
        problems.append(f"runtime apt packages {runtime_packages}, expected only libcurl4")
    for variable in re.findall(r"\b(TASKPILOT_[A-Z_]+)=", text):
        if variable not in ENV_NAMES:
            problems.append(f"unknown configuration variable {variable}")
    return require(problems, f"stages: {', '.join(images)}")


def check_dockerignore() -> str:
    """Every COPY source of the Dockerfile is in the build context the allow-list leaves."""
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [ln for ln in lines if ln and not ln.startswith("#")]
    if patterns[0] != "*":
        raise Failed(".dockerignore is expected to start with '*' (an allow-list)")
    allowed = [p[1:].rstrip("/") for p in patterns if p.startswith("!")]
    sources = []
    for match in re.finditer(r"^COPY\s+(?!--from)(.+)$", DOCKERFILE.read_text(), re.M):
        parts = match.group(1).split()
        sources += [s.rstrip("/") for s in parts[:-1] if not s.startswith("--")]
    problems = [f"COPY {s}: excluded by .dockerignore" for s in sources
                if not any(s == a or s.startswith(a + "/") for a in allowed)]
    problems += [f"COPY {s}: no such path" for s in sources if not (ROOT / s).exists()]
    for secret in [".env", ".git", ".build"]:
        if secret in allowed:
            problems.append(f"{secret} is allowed into the build context")
    return require(problems, f"{len(sources)} COPY sources inside the context")


# --- GitHub Actions -----------------------------------------------------------------------------

WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))


def check_actionlint() -> str:
    if not shutil.which("shellcheck"):
        raise Failed("shellcheck is not on PATH (actionlint needs it to check run: scripts)")
    tool_ok("actionlint", "-color=false", *WORKFLOWS)
    return tool_ok("actionlint", "-version").splitlines()[0]


def check_workflow_schema() -> str:
    tool_ok("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)
    return f"{len(WORKFLOWS)} workflows"


def check_workflow_policy() -> str:
    problems = []
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    cd = yaml.safe_load((ROOT / ".github/workflows/cd.yml").read_text())
    on_ci, on_cd = ci.get(True, ci.get("on")), cd.get(True, cd.get("on"))
    if "pull_request" not in on_ci:
        problems.append("ci.yml does not run on pull requests")
    if on_cd.get("push", {}).get("branches") != ["main"]:
        problems.append("cd.yml does not run on pushes to main")
    ci_text = (ROOT / ".github/workflows/ci.yml").read_text()
    cd_text = (ROOT / ".github/workflows/cd.yml").read_text()
    for needle in ["make build", "make test", "make lint", "push: false"]:
        if needle not in ci_text:
            problems.append(f"ci.yml lacks {needle!r}")
    for needle in ["ghcr.io", "github.sha", "helm upgrade --install", "--atomic", "rollout status",
                   "secrets.KUBECONFIG"]:
        if needle not in cd_text:
            problems.append(f"cd.yml lacks {needle!r}")
    for name, workflow in [("ci.yml", ci), ("cd.yml", cd)]:
        top = workflow.get("permissions")
        if top not in ({}, {"contents": "read"}):
            problems.append(f"{name}: top-level permissions should be {{}} or contents: read, not {top}")
        for job_name, job in workflow["jobs"].items():
            granted = {**(top or {}), **(job.get("permissions") or {})}
            writes = {k for k, v in granted.items() if v == "write"}
            if writes - {"packages"} or ("packages" in writes and job_name != "image"):
                problems.append(f"{name} job {job_name}: write permissions {sorted(writes)}")
    if cd.get("concurrency", {}).get("cancel-in-progress") is not False or "group" not in cd.get("concurrency", {}):
        problems.append("cd.yml must have a concurrency group without cancel-in-progress (one deploy at a time)")
    return require(problems)


# --- YAML ---------------------------------------------------------------------------------------

def plain_yaml_files() -> list[Path]:
    files = []
    for pattern in ["deploy/**/*.yaml", "deploy/**/*.yml", ".github/workflows/*.yml", "tests/deploy/*.yaml"]:
        files += ROOT.glob(pattern)
    templates = CHART / "templates"
    return sorted({f for f in files if templates not in f.parents})


def check_yamllint() -> str:
    files = plain_yaml_files()
    tool_ok("yamllint", "--strict", "-c", HERE / "yamllint.yaml", *files)
    return f"{len(files)} files, {tool_ok('yamllint', '--version')}"


def markdown_yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"^```ya?ml\n(.*?)^```", path.read_text(), re.M | re.S)


def check_docs_yaml() -> str:
    """The YAML shown in the docs parses, passes yamllint, and validates when it is a K8s object."""
    problems, count, objects = [], 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for doc in [ROOT / "docs/operations.md", ROOT / "deploy/README.md"]:
            for i, block in enumerate(markdown_yaml_blocks(doc)):
                count += 1
                path = Path(tmp) / f"{doc.stem}-{i}.yaml"
                path.write_text(block)
                done = tool("yamllint", "--strict", "-c", HERE / "yamllint.yaml", path)
                if done.returncode:
                    problems.append(f"{rel(doc)} block {i}: {done.stdout.strip()}")
                    continue
                for obj in yaml.safe_load_all(block):
                    if isinstance(obj, dict) and "apiVersion" in obj and "kind" in obj:
                        objects += 1
                        problems += [f"{rel(doc)} block {i}: {p}" for p in validate_object(obj)]
    return require(problems, f"{count} blocks, {objects} Kubernetes objects validated")


# --- Kubernetes objects ---------------------------------------------------------------------------

def crd_key(obj: dict) -> str:
    return f"{obj['apiVersion'].replace('/', '_')}_{obj['kind']}"


def is_core(obj: dict) -> bool:
    group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
    return group in {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io",
                     "rbac.authorization.k8s.io"}


def validate_object(obj: dict) -> list[str]:
    """kubernetes-validate (strict) for built-in kinds; schemas/ for the CRDs Taskpilot uses."""
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    problems = []
    if is_core(obj):
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{name} (Kubernetes {version}): {error.message} at {'.'.join(map(str, error.path))}")
            except kubernetes_validate.SchemaNotFoundError as error:
                problems.append(f"{name}: no Kubernetes {version} schema ({error})")
    else:
        schema = CRD_SCHEMAS.get(crd_key(obj))
        if schema is None:
            problems.append(f"{name}: no schema for {obj['apiVersion']} {obj['kind']} in tests/deploy/schemas")
        else:
            for error in jsonschema.Draft202012Validator(schema).iter_errors(obj):
                problems.append(f"{name}: {error.message} at {'.'.join(map(str, error.absolute_path))}")
    return problems


def check_plain_manifests() -> str:
    files = sorted((ROOT / "deploy/dapr").glob("*.yaml")) + [ROOT / "deploy/minikube/postgresql.yaml",
                                                              ROOT / "deploy/kagent/agent.yaml"]
    problems, kinds = [], []
    for path in files:
        for obj in load_yaml_docs(path):
            kinds.append(obj["kind"])
            problems += [f"{rel(path)}: {p}" for p in validate_object(obj)]
    dapr = [o for p in (ROOT / "deploy/dapr").glob("*.yaml") for o in load_yaml_docs(p)]
    types = {o["spec"]["type"] for o in dapr if o["kind"] == "Component"}
    for wanted in ["pubsub.kafka", "state.postgresql", "secretstores.kubernetes"]:
        if wanted not in types:
            problems.append(f"deploy/dapr has no {wanted} component")
    return require(problems, f"{len(kinds)} objects in {len(files)} files")


# --- Helm ---------------------------------------------------------------------------------------

def helmtool(*args: str) -> dict:
    done = tool(PYTHON, HERE / "helmtool.py", *args)
    if done.returncode != 0 or not done.stdout.strip():
        raise Failed(f"helmtool {args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def values_of(files: list[str], inline: dict) -> dict:
    values: dict = {}
    for name in files:
        values = deep_merge(values, yaml.safe_load((CHART / name).read_text()) or {})
    return deep_merge(values, inline)


POSTGRES = {"database": {"type": "postgres"}, "persistence": {"enabled": False}}
SCENARIOS: dict[str, tuple[list[str], dict]] = {
    "default (embedded: SQLite, in-process bus)": ([], {}),
    "values-minikube": (["values-minikube.yaml"], {}),
    "values-cloud": (["values-cloud.yaml"], {}),
    "values-production": (["values-production.yaml"], {}),
    "kafka + Strimzi topics on an existing cluster, chart Secret": ([], deep_merge(POSTGRES, {
        "config": {"eventBus": "kafka", "topicPrefix": "prod.", "llm": {"baseUrl": "https://llm.example/v1", "model": "m"},
                   "smtp": {"from": "tasks@example.com"}, "extra": {"TASKPILOT_LOGIN_ATTEMPTS": "5"}},
        "secrets": {"databaseUrl": "postgres://u:p@db:5432/t", "llmApiKey": "k", "smtpUrl": "smtp://x",
                    "jwtSecret": "0123456789abcdef0123456789abcdef"},
        "strimzi": {"enabled": True, "createCluster": False, "clusterName": "shared"},
        "api": {"replicas": 3, "workers": ["audit"], "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 80}},
        "workers": {"roles": {"audit": {"enabled": False}, "reminders": {"replicas": 2, "autoscaling": {"enabled": True}}}},
        "networkPolicy": {"egress": {"restrict": False}},
        "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True},
                    "grafanaDashboard": {"enabled": True, "namespace": "monitoring"}},
        "serviceAccount": {"create": False, "name": "existing"},
        "image": {"digest": "sha256:" + "0" * 64},
    })),
    "dapr + Strimzi cluster + chart-made components": ([], deep_merge(POSTGRES, {
        "config": {"eventBus": "dapr"}, "dapr": {"enabled": True, "components": {"create": True}},
        "strimzi": {"enabled": True}, "secrets": {"databaseUrl": "postgres://u:p@db:5432/t"},
    })),
}
# Values the chart must refuse, and the message it must give.
REFUSED: dict[str, tuple[dict, str]] = {
    "SQLite with two API replicas": ({"api": {"replicas": 2}}, "allows one API replica"),
    "SQLite without a volume": ({"persistence": {"enabled": False}}, "needs persistence.enabled=true"),
    "Kafka without brokers": (deep_merge(POSTGRES, {"config": {"eventBus": "kafka"}}), "needs config.kafkaBrokers"),
    "PostgreSQL with the in-process bus": (POSTGRES, "works with database.type=sqlite only"),
    "dapr bus without sidecars": (deep_merge(POSTGRES, {"config": {"eventBus": "dapr"}}), "needs dapr.enabled=true"),
    # values.schema.json
    "an unknown worker role": ({"api": {"workers": ["mailer"]}}, "at '/api/workers/0': value must be one of"),
    "an unknown event bus": ({"config": {"eventBus": "redis"}}, "at '/config/eventBus': value must be one of"),
    "a misspelt key": ({"config": {"eventbus": "kafka"}}, "additional properties 'eventbus' not allowed"),
    "an unknown extra variable": ({"config": {"extra": {"TASKPILOT_LOGLEVEL": "x"}}}, "invalid propertyName 'TASKPILOT_LOGLEVEL'"),
    "a bad image digest": ({"image": {"digest": "latest"}}, "/image/digest"),
}


def render(values: dict, release: str = "taskpilot", namespace: str = "taskpilot") -> tuple[list[dict], dict]:
    result = helmtool("render", str(CHART), json.dumps(values), release, namespace)
    if "error" in result:
        raise Failed(f"render failed: {result['error']}")
    objects = []
    for template, text in result["manifests"].items():
        if template.endswith("NOTES.txt"):
            continue
        if re.search(r"\d\.\d+e\+\d", text):
            raise Failed(f"{template}: a number was rendered in scientific notation")
        for doc in yaml.safe_load_all(text):
            if doc is not None:
                doc.setdefault("metadata", {})["_template"] = template
                objects.append(doc)
    return objects, result["manifests"]


def strip_private(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    obj["metadata"].pop("_template", None)
    return obj


def pod_specs(objects: list[dict]) -> Iterable[tuple[dict, dict]]:
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job", "StatefulSet"):
            yield obj, obj["spec"]["template"]


def check_workload_policy(objects: list[dict], values: dict) -> list[str]:
    problems = []
    dapr = values.get("dapr", {}).get("enabled", False)
    for obj, template in pod_specs(objects):
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        spec = template["spec"]
        psc = spec.get("securityContext", {})
        if not psc.get("runAsNonRoot") or psc.get("runAsUser") == 0:
            problems.append(f"{name}: pod securityContext is not non-root")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: no RuntimeDefault seccomp profile")
        # Only a Dapr sidecar needs the token (Kubernetes secret store); the migration Job never.
        token = dapr and obj["kind"] == "Deployment"
        if spec.get("automountServiceAccountToken") is not token:
            problems.append(f"{name}: automountServiceAccountToken should be {token}")
        mounts_needed = {"/tmp", "/app/data"}
        for container in spec["containers"]:
            sc = container.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{name}/{container['name']}: root filesystem is writable")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}/{container['name']}: privilege escalation allowed")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{name}/{container['name']}: capabilities not dropped")
            if not container.get("resources", {}).get("requests"):
                problems.append(f"{name}/{container['name']}: no resource requests")
            if not container.get("resources", {}).get("limits", {}).get("memory"):
                problems.append(f"{name}/{container['name']}: no memory limit")
            mounted = {m["mountPath"] for m in container.get("volumeMounts", [])}
            if mounts_needed - mounted:
                problems.append(f"{name}/{container['name']}: {sorted(mounts_needed - mounted)} not mounted")
            image = container["image"]
            if image.endswith(":latest") or (":" not in image.split("/")[-1] and "@" not in image):
                problems.append(f"{name}/{container['name']}: image {image} is not pinned")
            if obj["kind"] == "Deployment":
                for probe in ["livenessProbe", "readinessProbe", "startupProbe"]:
                    if probe not in container:
                        problems.append(f"{name}/{container['name']}: no {probe}")
                if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/health/ready":
                    problems.append(f"{name}: readiness is not /health/ready")
                if container.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health/live":
                    problems.append(f"{name}: liveness is not /health/live")
            env_names = [e["name"] for e in container.get("env", [])]
            problems += [f"{name}: unknown configuration variable {n}" for n in env_names
                         if n.startswith("TASKPILOT_") and n not in ENV_NAMES]
            if len(env_names) != len(set(env_names)):
                problems.append(f"{name}: duplicate env entries")
            if obj["kind"] == "Deployment" and dapr:
                annotations = template["metadata"].get("annotations", {})
                if annotations.get("dapr.io/enabled") != "true" or "dapr.io/app-id" not in annotations:
                    problems.append(f"{name}: no Dapr sidecar annotations")
                if "TASKPILOT_DAPR_PUBSUB" not in env_names:
                    problems.append(f"{name}: no TASKPILOT_DAPR_PUBSUB")
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].endswith("-dashboard") is False:
            problems += [f"ConfigMap/{obj['metadata']['name']}: unknown configuration variable {k}"
                         for k in obj.get("data", {}) if k.startswith("TASKPILOT_") and k not in ENV_NAMES]
    return problems


def labels_match(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def check_wiring(objects: list[dict], values: dict) -> list[str]:
    """Selectors find their pods, references find their objects, the expected objects exist."""
    problems = []
    by_kind: dict[str, dict[str, dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    pods = [t["metadata"].get("labels", {}) for _, t in pod_specs(objects)]
    deployments = by_kind.get("Deployment", {})
    for name, svc in by_kind.get("Service", {}).items():
        if not any(labels_match(svc["spec"]["selector"], p) for p in pods):
            problems.append(f"Service/{name} selects no pod")
    for kind in ["PodDisruptionBudget", "NetworkPolicy"]:
        for name, obj in by_kind.get(kind, {}).items():
            sel = (obj["spec"].get("selector") or obj["spec"].get("podSelector") or {}).get("matchLabels", {})
            if not any(labels_match(sel, p) for p in pods):
                problems.append(f"{kind}/{name} selects no pod")
    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"HorizontalPodAutoscaler/{name} targets missing Deployment {target}")
        elif "replicas" in deployments[target]["spec"]:
            problems.append(f"Deployment/{target} sets replicas although an HPA scales it")
    for name, dep in deployments.items():
        sel = dep["spec"]["selector"]["matchLabels"]
        if not labels_match(sel, dep["spec"]["template"]["metadata"]["labels"]):
            problems.append(f"Deployment/{name}: selector does not match its own pods")
        spec = dep["spec"]["template"]["spec"]
        config_maps = {e["configMapRef"]["name"] for c in spec["containers"] for e in c.get("envFrom", [])}
        problems += [f"Deployment/{name}: ConfigMap {c} not rendered" for c in config_maps
                     if c not in by_kind.get("ConfigMap", {})]
        secrets = {e["valueFrom"]["secretKeyRef"]["name"] for c in spec["containers"] for e in c.get("env", [])
                   if "secretKeyRef" in e.get("valueFrom", {})}
        existing = values.get("secrets", {}).get("existingSecret")
        for secret in secrets:
            if secret != existing and secret not in by_kind.get("Secret", {}):
                problems.append(f"Deployment/{name}: Secret {secret} is neither rendered nor existingSecret")
        sa = spec.get("serviceAccountName")
        if values.get("serviceAccount", {}).get("create", True) and sa not in by_kind.get("ServiceAccount", {}):
            problems.append(f"Deployment/{name}: ServiceAccount {sa} not rendered")
        claims = [v["persistentVolumeClaim"]["claimName"] for v in spec.get("volumes", []) if "persistentVolumeClaim" in v]
        problems += [f"Deployment/{name}: PVC {c} not rendered" for c in claims
                     if c not in by_kind.get("PersistentVolumeClaim", {})]
    postgres = values.get("database", {}).get("type", "sqlite") == "postgres"
    workers_on = postgres and values.get("workers", {}).get("enabled", True)
    roles = values.get("workers", {}).get("roles", {})
    for role in ROLES:
        expected = workers_on and roles.get(role, {}).get("enabled", True)
        present = any(n.endswith(f"-worker-{role}") for n in deployments)
        if expected != present:
            problems.append(f"worker {role}: Deployment {'missing' if expected else 'unexpected'}")
        for n, d in deployments.items():
            if n.endswith(f"-worker-{role}") and d["spec"]["template"]["spec"]["containers"][0]["args"] != ["worker", role]:
                problems.append(f"Deployment/{n}: args are not worker {role}")
    jobs = by_kind.get("Job", {})
    if postgres and values.get("migrations", {}).get("enabled", True):
        job = next((j for n, j in jobs.items() if n.endswith("-migrate")), None)
        if job is None:
            problems.append("no migration Job")
        else:
            hooks = job["metadata"].get("annotations", {}).get("helm.sh/hook", "")
            if set(hooks.split(",")) != {"pre-install", "pre-upgrade"}:
                problems.append(f"migration Job hook is {hooks!r}, not pre-install,pre-upgrade")
            if job["spec"]["template"]["spec"]["containers"][0]["args"] != ["migrate"]:
                problems.append("migration Job does not run `migrate`")
            secret_refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
                           if "secretKeyRef" in e.get("valueFrom", {})}
            hook_secrets = {n for n, s in by_kind.get("Secret", {}).items()
                            if "pre-install" in s["metadata"].get("annotations", {}).get("helm.sh/hook", "")}
            for ref in secret_refs:
                if ref not in hook_secrets and ref != values.get("secrets", {}).get("existingSecret"):
                    problems.append(f"migration Job reads Secret {ref}, which does not exist before install")
    elif jobs:
        problems.append(f"unexpected Jobs {sorted(jobs)}")
    metrics = values.get("metrics", {})
    if metrics.get("serviceMonitor", {}).get("enabled"):
        for sm in by_kind.get("ServiceMonitor", {}).values():
            matched = [s for s in by_kind.get("Service", {}).values()
                       if labels_match(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
            if not matched:
                problems.append("the ServiceMonitor selects no Service")
            for s in matched:
                if s["metadata"]["labels"].get(sm["spec"]["jobLabel"]) != "taskpilot":
                    problems.append(f"Service/{s['metadata']['name']}: job label would not be 'taskpilot'")
                if "http" not in [p["name"] for p in s["spec"]["ports"]]:
                    problems.append(f"Service/{s['metadata']['name']}: no port named http to scrape")
    if metrics.get("prometheusRule", {}).get("enabled"):
        rules = yaml.safe_load((ROOT / "deploy/prometheus/taskpilot-rules.yaml").read_text())
        for pr in by_kind.get("PrometheusRule", {}).values():
            if pr["spec"] != rules:
                problems.append("the PrometheusRule differs from deploy/prometheus/taskpilot-rules.yaml")
    if metrics.get("grafanaDashboard", {}).get("enabled"):
        dashboard = (ROOT / "deploy/grafana/taskpilot.json").read_text()
        cms = [c for n, c in by_kind.get("ConfigMap", {}).items() if n.endswith("-dashboard")]
        if not cms or json.loads(cms[0]["data"]["taskpilot.json"]) != json.loads(dashboard):
            problems.append("the dashboard ConfigMap differs from deploy/grafana/taskpilot.json")
    if values.get("strimzi", {}).get("enabled"):
        topics = sorted(t["spec"]["topicName"] for t in by_kind.get("KafkaTopic", {}).values())
        prefix = values.get("config", {}).get("topicPrefix", "")
        if topics != sorted(prefix + t for t in ["task-events", "reminders", "task-updates"]):
            problems.append(f"KafkaTopics are {topics}")
        cluster = {t["metadata"]["labels"]["strimzi.io/cluster"] for t in by_kind.get("KafkaTopic", {}).values()}
        cluster |= {p["metadata"]["labels"]["strimzi.io/cluster"] for p in by_kind.get("KafkaNodePool", {}).values()}
        if values.get("strimzi", {}).get("createCluster", True):
            if cluster != set(by_kind.get("Kafka", {})):
                problems.append(f"Strimzi objects name cluster(s) {cluster}, Kafka objects are {set(by_kind.get('Kafka', {}))}")
    if values.get("dapr", {}).get("enabled") and values["dapr"].get("components", {}).get("create"):
        types = sorted(c["spec"]["type"] for c in by_kind.get("Component", {}).values())
        if types != ["pubsub.kafka", "pubsub.kafka", "secretstores.kubernetes", "state.postgresql"]:
            problems.append(f"Dapr components are {types}")
        app_ids = {d["spec"]["template"]["metadata"]["annotations"]["dapr.io/app-id"] for d in deployments.values()}
        for component in by_kind.get("Component", {}).values():
            unknown = set(component.get("scopes", [])) - app_ids
            if unknown:
                problems.append(f"Component/{component['metadata']['name']} scopes unknown app ids {sorted(unknown)}")
    if values.get("ingress", {}).get("enabled"):
        for ing in by_kind.get("Ingress", {}).values():
            for rule in ing["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    if path["backend"]["service"]["name"] not in by_kind.get("Service", {}):
                        problems.append("the Ingress points at a missing Service")
    return problems


def make_helm_checks(label: str, files: list[str], inline: dict) -> None:
    values = values_of(files, inline)
    state: dict = {}

    def sdkpy_lint() -> str:
        with tempfile.TemporaryDirectory() as tmp:
            chart = Path(tmp) / "taskpilot"
            shutil.copytree(CHART, chart)
            merged = deep_merge(yaml.safe_load((CHART / "values.yaml").read_text()), values)
            (chart / "values.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
            result = helmtool("sdkpy-lint", str(chart))
        bad = [m for m in result["messages"] if (m["severity"] or 0) >= 2]
        if bad:
            # helm-sdkpy drops Go error texts; helm-python-sdk below says what they are.
            raise Failed("helm-sdkpy lint: " + ", ".join(f"severity {m['severity']} in {m['path']}" for m in bad))
        infos = len(result["messages"])
        return f"helm-sdkpy {result['version']}, {result['charts']} chart, {infos} info messages"

    def python_lint() -> str:
        notes = []
        for kube in ["v" + v for v in KUBE_VERSIONS]:
            result = helmtool("lint", str(CHART), json.dumps(values), kube)
            bad = [m for m in result["messages"] if m["severity"] >= 2] + [{"error": e} for e in result["errors"]]
            if bad:
                raise Failed(f"helm lint --strict --kube-version {kube}:\n" + "\n".join(m["error"] for m in bad))
            notes.append(kube)
        return f"Helm {result['version']} via helm-python-sdk, kube {', '.join(notes)}"

    def render_validate() -> str:
        objects, _ = render(values)
        state["objects"] = objects
        problems = []
        for obj in objects:
            problems += validate_object(strip_private(obj))
        names = [(o["kind"], o["metadata"]["name"]) for o in objects]
        problems += [f"duplicate {k}/{n}" for k, n in set(names) if names.count((k, n)) > 1]
        core = sum(1 for o in objects if is_core(o))
        return require(problems, f"{len(objects)} objects: {core} by kubernetes-validate "
                                 f"{' and '.join(KUBE_VERSIONS)} --strict, {len(objects) - core} by CRD schemas")

    def policy() -> str:
        if "objects" not in state:
            raise Failed("not rendered")
        return require(check_workload_policy(state["objects"], values))

    def wiring() -> str:
        if "objects" not in state:
            raise Failed("not rendered")
        kinds = sorted({o["kind"] for o in state["objects"]})
        return require(check_wiring(state["objects"], values), ", ".join(kinds))

    run_check(f"helm [{label}] lint with helm-sdkpy (libhelm)", sdkpy_lint)
    run_check(f"helm [{label}] lint --strict (helm-python-sdk)", python_lint)
    run_check(f"helm [{label}] render + validate every object", render_validate)
    run_check(f"helm [{label}] pods: non-root, read-only root, probes, resources, env names", policy)
    run_check(f"helm [{label}] wiring: selectors, references, hooks, expected objects", wiring)


def check_refusals() -> str:
    problems = []
    for label, (values, message) in REFUSED.items():
        result = helmtool("render", str(CHART), json.dumps(values), "taskpilot", "taskpilot")
        if "error" not in result:
            problems.append(f"{label}: rendered, expected a failure")
        elif message not in result["error"]:
            problems.append(f"{label}: failed with {result['error']!r}, expected {message!r}")
    return require(problems, f"{len(REFUSED)} bad configurations refused with a clear message")


def check_extra_settings() -> str:
    """Every setting the binary reads can be given through `config.extra`, save the Dapr tokens (secrets: `extraEnv`)."""
    read = {"TASKPILOT_" + key.replace(".", "_").upper()
            for key in re.findall(r'"taskpilot\.([a-z.]+)"', (ROOT / "Sources/TaskpilotApp/Settings.swift").read_text())}
    schema = json.loads((CHART / "values.schema.json").read_text())
    allowed = set(schema["properties"]["config"]["properties"]["extra"]["propertyNames"]["enum"])
    secrets = {"TASKPILOT_DAPR_API_TOKEN", "TASKPILOT_DAPR_APP_TOKEN"}
    problems = [f"{name} is read by the binary but refused in config.extra" for name in sorted(read - allowed - secrets)]
    problems += [f"config.extra allows {name}, which the binary does not read" for name in sorted(allowed - read)]
    return require(problems, f"{len(read)} settings read, {len(allowed)} allowed in config.extra")


def check_secret_kept_on_upgrade() -> str:
    """The generated JWT secret: random, long, and taken from the cluster when one exists."""
    text = (CHART / "templates/secret.yaml").read_text()
    problems = []
    if 'lookup "v1" "Secret"' not in text:
        problems.append("secret.yaml does not look up the existing Secret")
    objects, _ = render({})
    secrets = [o for o in objects if o["kind"] == "Secret" and "helm.sh/hook" not in o["metadata"].get("annotations", {})]
    value = base64.b64decode(secrets[0]["data"]["jwt-secret"]).decode()
    if len(value) < 32:
        problems.append("generated JWT secret shorter than 32 characters")
    return require(problems)


# --- Prometheus, Grafana, metrics -----------------------------------------------------------------

RULES = ROOT / "deploy/prometheus/taskpilot-rules.yaml"
DASHBOARD = ROOT / "deploy/grafana/taskpilot.json"


def selectors(expr: str) -> list:
    """Every vector selector of a PromQL expression (promql-parser's AST)."""
    found = []

    def walk(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
            return
        if isinstance(node, promql_parser.MatrixSelector):
            walk(node.vector_selector)
            return
        for attr in ("lhs", "rhs", "expr", "param"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, (str, int, float)):
                walk(child)
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(promql_parser.parse(expr))
    return found


def metric_base(name: str) -> str:
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix) and METRICS.get(name[: -len(suffix)], ("",))[0] == "histogram":
            return name[: -len(suffix)]
    return name


def query_problems(where: str, expr: str) -> tuple[list[str], set[str]]:
    problems, used = [], set()
    for sel in selectors(expr):
        base = metric_base(sel.name or "")
        used.add(base)
        if base not in METRICS and base not in PROMETHEUS_SERIES:
            problems.append(f"{where}: metric {sel.name!r} is not one of docs/metrics.md")
        matchers = {(m.name, str(m.op), m.value) for m in sel.matchers.matchers}
        if not any(n == "job" and v == "taskpilot" for n, _, v in matchers):
            problems.append(f"{where}: {sel.name} without job=\"taskpilot\"")
        labels = set(METRICS.get(base, ("", []))[1]) | {"job", "namespace", "le", "instance", "pod"}
        problems += [f"{where}: {sel.name} has no label {n!r}" for n, _, _ in matchers if n not in labels]
    return problems, used


def check_rules_promtool() -> str:
    out = tool_ok("promtool", "check", "rules", RULES)
    chart_copy = CHART / "files/prometheus-rules.yaml"
    if chart_copy.read_bytes() != RULES.read_bytes():
        raise Failed(f"{rel(chart_copy)} differs from {rel(RULES)}: cp {rel(RULES)} {rel(chart_copy)}")
    return out.splitlines()[-1].strip() + "; chart copy identical"


def check_rules_unit_tests() -> str:
    out = tool_ok("promtool", "test", "rules", HERE / "prometheus-rules.test.yaml")
    tests = yaml.safe_load((HERE / "prometheus-rules.test.yaml").read_text())["tests"]
    tested = {t["alertname"] for case in tests for t in case.get("alert_rule_test", [])}
    defined = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r}
    problems = [f"alert {a} has no promtool test" for a in sorted(defined - tested)]
    problems += [f"issue 6 alert {a} is not defined" for a in sorted(ALERTS - defined)]
    return require(problems, f"{len(tested)} alerts tested firing and quiet; " + out.splitlines()[-1].strip())


def check_rules_metrics() -> str:
    problems, used = [], set()
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            p, u = query_problems(f"alert {rule.get('alert')}", rule["expr"])
            problems += p
            used |= u
            if not rule.get("annotations", {}).get("runbook_url", "").startswith("https://"):
                problems.append(f"alert {rule.get('alert')}: no runbook_url")
    return require(problems, f"metrics used: {len(used)}")


def dashboard_queries() -> list[tuple[str, str]]:
    board = json.loads(DASHBOARD.read_text())
    return [(f"panel {p['title']!r}", t["expr"]) for p in board["panels"] for t in p.get("targets", [])]


def grafana_to_promql(expr: str) -> str:
    return expr.replace("$__rate_interval", "5m").replace("$namespace", ".*")


def check_dashboard() -> str:
    problems = []
    done = tool(PYTHON, ROOT / "deploy/grafana/build_dashboard.py", "--check")
    if done.returncode:
        problems.append(done.stderr.strip())
    board = json.loads(DASHBOARD.read_text())
    chart_copy = CHART / "files/taskpilot-dashboard.json"
    if chart_copy.read_bytes() != DASHBOARD.read_bytes():
        problems.append(f"{rel(chart_copy)} differs from {rel(DASHBOARD)}")
    for key in ["uid", "title", "panels", "templating", "schemaVersion"]:
        if key not in board:
            problems.append(f"dashboard lacks {key}")
    ids = [p["id"] for p in board["panels"]]
    if len(ids) != len(set(ids)):
        problems.append("duplicate panel ids")
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        g = panel["gridPos"]
        if g["x"] + g["w"] > 24:
            problems.append(f"panel {panel['title']!r} overflows the grid")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    problems.append(f"panel {panel['title']!r} overlaps another")
                    break
                cells.add((x, y))
    used: set[str] = set()
    for where, expr in dashboard_queries():
        p, u = query_problems(where, grafana_to_promql(expr))
        problems += p
        used |= u
    problems += [f"metric {m} appears on no panel" for m in sorted(set(METRICS) - used)]
    return require(problems, f"{len(board['panels'])} panels, {len(dashboard_queries())} queries, all 12 metrics shown")


def check_dashboard_promtool() -> str:
    """promtool parses every dashboard query (as recording rules, Grafana variables substituted)."""
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"taskpilot_dashboard:query_{i}", "expr": grafana_to_promql(expr)}
        for i, (_, expr) in enumerate(dashboard_queries())]}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard-queries.yaml"
        path.write_text(yaml.safe_dump(rules))
        return tool_ok("promtool", "check", "rules", path).splitlines()[-1].strip()


def check_prometheus_config() -> str:
    """The compose Prometheus config, with its rule file path pointed at the repository's file."""
    config = yaml.safe_load((ROOT / "deploy/compose/prometheus.yml").read_text())
    jobs = [s["job_name"] for s in config["scrape_configs"]]
    if jobs != ["taskpilot"]:
        raise Failed(f"scrape jobs are {jobs}; the alerts select job=\"taskpilot\"")
    targets = config["scrape_configs"][0]["static_configs"][0]["targets"]
    expected = ["api:8080"] + [f"worker-{r}:8080" for r in ROLES]
    if sorted(targets) != sorted(expected):
        raise Failed(f"targets {targets}, expected {expected}")
    config["rule_files"] = [str(RULES)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prometheus.yml"
        path.write_text(yaml.safe_dump(config))
        return tool_ok("promtool", "check", "config", path).splitlines()[-1].strip()


def check_metrics_doc() -> str:
    text = (ROOT / "docs/metrics.md").read_text()
    problems = []
    for name, (kind, labels) in METRICS.items():
        row = next((ln for ln in text.splitlines() if ln.startswith("|") and f"`{name}`" in ln), None)
        if row is None:
            problems.append(f"{name} is not in the table of docs/metrics.md")
            continue
        if kind not in row:
            problems.append(f"{name}: the row does not say {kind}")
        documented = re.findall(r"`([a-z_]+)`", row.split("|")[3]) if row.count("|") > 3 else []
        if sorted(documented) != sorted(labels):
            problems.append(f"{name}: labels {documented}, contract {labels}")
    mentioned = set(re.findall(r"\b(taskpilot_[a-z_]+|http_request[a-z_]*)\b", text))
    extra = {metric_base(m) for m in mentioned} - set(METRICS) - {"taskpilot_dashboard"}
    problems += [f"docs/metrics.md mentions {m}, which is not in the contract" for m in sorted(extra)]
    return require(problems, "12 metrics with type and labels")


# --- Compose ------------------------------------------------------------------------------------

COMPOSE = ROOT / "deploy/compose/docker-compose.yml"


def check_compose_schema() -> str:
    return tool_ok("check-jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE)


def check_compose_semantics() -> str:
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc["services"]
    problems = []
    taskpilot = {n: s for n, s in services.items() if "taskpilot" in str(s.get("image", ""))}
    expected = {"migrate", "api"} | {f"worker-{r}" for r in ROLES}
    if set(taskpilot) != expected:
        problems.append(f"Taskpilot services {sorted(taskpilot)}, expected {sorted(expected)}")
    if not any(str(s.get("image", "")).startswith("postgres:15") for s in services.values()):
        problems.append("no postgres:15 service")
    if "kafka" not in services:
        problems.append("no kafka service")
    images = {s.get("image") for s in taskpilot.values()}
    if len(images) != 1:
        problems.append(f"Taskpilot services use several images: {images}")
    commands = {n: s.get("command") for n, s in taskpilot.items()}
    if commands.get("migrate") != ["migrate"] or commands.get("api") != ["serve"]:
        problems.append(f"commands: {commands}")
    for role in ROLES:
        if commands.get(f"worker-{role}") != ["worker", role]:
            problems.append(f"worker-{role} runs {commands.get(f'worker-{role}')}")
    for name, service in taskpilot.items():
        env = service.get("environment", {})
        problems += [f"{name}: unknown variable {k}" for k in env if k not in ENV_NAMES]
        for required in ["TASKPILOT_DATABASE_URL", "TASKPILOT_JWT_SECRET", "TASKPILOT_EVENT_BUS", "TASKPILOT_HOST"]:
            if required not in env:
                problems.append(f"{name}: no {required}")
        if env.get("TASKPILOT_EVENT_BUS") == "kafka" and not env.get("TASKPILOT_KAFKA_BROKERS"):
            problems.append(f"{name}: kafka without brokers")
        deps = service.get("depends_on", {})
        if name == "migrate":
            if deps.get("postgres", {}).get("condition") != "service_healthy":
                problems.append("migrate does not wait for a healthy postgres")
            if service.get("restart") != "no":
                problems.append("migrate restarts")
        elif deps.get("migrate", {}).get("condition") != "service_completed_successfully":
            problems.append(f"{name} does not wait for the migrations")
        if not service.get("read_only"):
            problems.append(f"{name}: root filesystem writable")
    for name, service in services.items():
        if "healthcheck" not in service and name in ("postgres", "kafka"):
            problems.append(f"{name}: no healthcheck")
        for port in service.get("ports", []):
            if not str(port).startswith(("127.0.0.1:", "${TASKPILOT_PUBLISH")):
                problems.append(f"{name}: port {port} published on every interface")
    return require(problems, f"{len(services)} services")


def check_compose_cli() -> str:
    """`docker compose config`; run only where the Compose plugin exists (not on the project's machines)."""
    env = {**os.environ, "POSTGRES_PASSWORD": "x", "TASKPILOT_JWT_SECRET": "y" * 32}
    done = tool("docker", "compose", "-f", COMPOSE, "config", "--quiet", env=env)
    if done.returncode:
        raise Failed(done.stderr)
    return "docker compose config"


# --- Docs ---------------------------------------------------------------------------------------

def github_anchor(heading: str) -> str:
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def check_runbook() -> str:
    doc = (ROOT / "docs/operations.md").read_text()
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", doc, re.M)}
    problems = []
    for url in re.findall(r"runbook_url: (\S+)", RULES.read_text()):
        anchor = url.split("#", 1)[1]
        if anchor not in anchors:
            problems.append(f"runbook_url anchor #{anchor} has no heading in docs/operations.md")
    lowered = doc.lower()
    for topic in ["backup", "restore", "sqlite", "postgresql", "rotat", "jwt", "scal", "upgrad", "migration",
                  "dashboard", "kubectl-ai", "kagent"]:
        if topic not in lowered:
            problems.append(f"docs/operations.md does not cover {topic!r}")
    agents = [o for b in markdown_yaml_blocks(ROOT / "docs/operations.md") for o in yaml.safe_load_all(b)
              if isinstance(o, dict) and o.get("kind") == "Agent"]
    if not agents:
        problems.append("no kagent Agent definition in docs/operations.md")
    elif agents[0] != load_yaml_docs(ROOT / "deploy/kagent/agent.yaml")[0]:
        problems.append("the Agent in docs/operations.md differs from deploy/kagent/agent.yaml")
    if not (ROOT / "deploy/kagent/instructions.md").read_text().strip():
        problems.append("deploy/kagent/instructions.md is empty")
    readme = (ROOT / "deploy/README.md").read_text()
    for topic in ["minikube", "AKS", "GKE", "OKE", "Strimzi", "Dapr", "PostgreSQL", "values-production.yaml"]:
        if topic not in readme:
            problems.append(f"deploy/README.md does not mention {topic}")
    return require(problems, f"{len(anchors)} headings, {len(agents)} kagent Agent")


def check_shellcheck() -> str:
    scripts = [HERE / "check.sh"]
    tool_ok("shellcheck", *scripts)
    return ", ".join(rel(s) for s in scripts)


# --- Main ---------------------------------------------------------------------------------------

def main() -> int:
    os.chdir(ROOT)
    run_check("hadolint deploy/docker/Dockerfile (no finding at any level)", check_hadolint)
    run_check("Dockerfile: stages, static stdlib, non-root, HEALTHCHECK, web/, librdkafka", check_dockerfile_shape)
    run_check(".dockerignore keeps every COPY source and nothing secret", check_dockerignore)
    run_check("actionlint .github/workflows (with shellcheck)", check_actionlint)
    run_check("GitHub workflow JSON schema (check-jsonschema)", check_workflow_schema)
    run_check("workflows: triggers, steps, least privilege, one deploy at a time", check_workflow_policy)
    run_check("yamllint --strict on every plain YAML file", check_yamllint)
    run_check("YAML in the docs: yamllint + object validation", check_docs_yaml)
    run_check("deploy/dapr, deploy/minikube, deploy/kagent manifests validate", check_plain_manifests)
    for label, (files, inline) in SCENARIOS.items():
        make_helm_checks(label, files, inline)
    run_check("helm: bad values are refused with a clear message", check_refusals)
    run_check("helm: JWT secret generated once and kept on upgrades", check_secret_kept_on_upgrade)
    run_check("helm: config.extra takes every setting the binary reads", check_extra_settings)
    run_check("promtool check rules + chart copy", check_rules_promtool)
    run_check("promtool test rules: every alert fires and stays quiet", check_rules_unit_tests)
    run_check("alerts use only documented metrics, job=\"taskpilot\", runbook links", check_rules_metrics)
    run_check("Grafana dashboard: generated, identical copies, layout, documented metrics", check_dashboard)
    run_check("promtool parses every dashboard query", check_dashboard_promtool)
    run_check("promtool check config deploy/compose/prometheus.yml", check_prometheus_config)
    run_check("docs/metrics.md documents exactly the contract's metrics", check_metrics_doc)
    run_check("compose file against the compose-spec schema", check_compose_schema)
    run_check("compose: services, commands, env names, start order", check_compose_semantics)
    if shutil.which("docker") and tool("docker", "compose", "version").returncode == 0:
        run_check("docker compose config", check_compose_cli)
    else:
        print("SKIP  docker compose config (no Compose plugin on this machine; not counted)", flush=True)
    run_check("runbook and deploy README: topics, alert anchors, kagent Agent", check_runbook)
    run_check("shellcheck tests/deploy/check.sh", check_shellcheck)
    passed = sum(1 for _, ok, _ in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
