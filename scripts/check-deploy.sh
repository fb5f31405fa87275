#!/usr/bin/env bash
# Checks the deployment files under deploy/ with what exists on our machines:
#   1. every YAML file parses (Python's yaml module, PyYAML), and yamllint when it
#      is installed (Debian's `yamllint` package);
#   2. the Kubernetes manifests, structurally: apiVersion/kind/metadata.name, the
#      kustomization lists every file, probes, replicas, resources, securityContext,
#      the PodDisruptionBudget's and the Service's selectors match the Deployment,
#      the Ingress routes to the Service, the ConfigMap's gantry.toml parses and
#      turns migrate_on_start off, example secrets hold only placeholders. No schema
#      validator (kubeconform, kubeval) is packaged in Debian 12 or reachable offline;
#      `kubectl kustomize` also renders the kustomization when kubectl is installed;
#   3. the systemd unit with `systemd-analyze verify` when it exists (on a copy whose
#      ExecStart points at a stub, since verify wants the binary to exist);
#   3b. the Prometheus alerting rules (`promtool check rules`, `promtool test rules`)
#      and that the Grafana dashboard parses;
#   4. the Dockerfile with a few rules (multi-stage, non-root USER, HEALTHCHECK,
#      EXPOSE, ENTRYPOINT), or hadolint when it is installed (not packaged in
#      Debian 12). The image itself is not built here: that needs Docker Hub.
# Exits non-zero on the first failing check group, after printing what failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '  %s\n' "$*" >&2; }

python=python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
    if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
        python=/usr/bin/python3
    else
        say "PyYAML is missing; installing it with pip --user"
        "$python" -m pip install --quiet --user pyyaml >&2 ||
            { echo "error: PyYAML is needed: pip install --user pyyaml (or apt-get install python3-yaml)" >&2; exit 1; }
    fi
fi

# 1 and 2: YAML and the Kubernetes manifests.
"$python" - <<'PY'
import glob, os, sys
import yaml

failures = []
def fail(msg):
    failures.append(msg)

docs = {}
for path in sorted(glob.glob("deploy/**/*.y*ml", recursive=True)):
    try:
        with open(path) as f:
            docs[path] = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        fail(f"{path}: not valid YAML: {e}")
print(f"  parsed {len(docs)} YAML files", file=sys.stderr)

def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

# Kubernetes.
k8s_dir = "deploy/kubernetes"
kust_path = os.path.join(k8s_dir, "kustomization.yaml")
kust = (docs.get(kust_path) or [{}])[0]
listed = kust.get("resources", [])
for r in listed:
    if not os.path.isfile(os.path.join(k8s_dir, r)):
        fail(f"{kust_path}: lists {r}, which does not exist")
objects = []
for path, ds in docs.items():
    if not path.startswith(k8s_dir + "/") or path == kust_path:
        continue
    if os.path.relpath(path, k8s_dir) not in listed:
        fail(f"{path}: not listed in {kust_path}")
    for d in ds:
        for field in ("apiVersion", "kind"):
            if not d.get(field):
                fail(f"{path}: a document without {field}")
        if not (d.get("metadata") or {}).get("name"):
            fail(f"{path}: {d.get('kind')} without metadata.name")
        objects.append((path, d))

def of_kind(kind):
    return [(p, d) for p, d in objects if d.get("kind") == kind]

for kind in ("Namespace", "ConfigMap", "Secret", "Job", "Deployment", "PodDisruptionBudget", "Service", "Ingress"):
    if not of_kind(kind):
        fail(f"{k8s_dir}: no {kind}")

def check_pod(path, pod, what):
    sc = pod.get("securityContext") or {}
    if sc.get("runAsNonRoot") is not True:
        fail(f"{path}: {what}: the pod does not set runAsNonRoot: true")
    for c in pod.get("containers") or []:
        name = f"{what} container {c.get('name')}"
        csc = c.get("securityContext") or {}
        if csc.get("readOnlyRootFilesystem") is not True:
            fail(f"{path}: {name}: readOnlyRootFilesystem is not true")
        if csc.get("allowPrivilegeEscalation") is not False:
            fail(f"{path}: {name}: allowPrivilegeEscalation is not false")
        res = c.get("resources") or {}
        if not res.get("requests") or not res.get("limits"):
            fail(f"{path}: {name}: resources need requests and limits")

deployment_labels = {}
deployment_ports = set()
for path, d in of_kind("Deployment"):
    spec = d.get("spec") or {}
    if (spec.get("replicas") or 0) < 2:
        fail(f"{path}: Deployment {d['metadata']['name']}: replicas must be at least 2")
    template = spec.get("template") or {}
    deployment_labels = (template.get("metadata") or {}).get("labels") or {}
    if not labels_match((spec.get("selector") or {}).get("matchLabels"), deployment_labels):
        fail(f"{path}: the Deployment's selector does not match its pod labels")
    pod = template.get("spec") or {}
    check_pod(path, pod, "Deployment")
    for c in pod.get("containers") or []:
        probes = {"livenessProbe": "/health/live", "readinessProbe": "/health/ready"}
        for probe, want in probes.items():
            got = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
            if got != want:
                fail(f"{path}: container {c.get('name')}: {probe} should GET {want}, has {got}")
        for port in c.get("ports") or []:
            deployment_ports.update({port.get("name"), port.get("containerPort")})
    mounts = {m.get("mountPath") for c in pod.get("containers") or [] for m in c.get("volumeMounts") or []}
    if "/var/lib/gantry" not in mounts:
        fail(f"{path}: data_dir (/var/lib/gantry) needs a writable volume under a read-only root")

for path, d in of_kind("Job"):
    pod = ((d.get("spec") or {}).get("template") or {}).get("spec") or {}
    check_pod(path, pod, "Job")
    if not any(c.get("args", [])[:1] == ["migrate"] for c in pod.get("containers") or []):
        fail(f"{path}: the Job does not run `gantry migrate`")

for path, d in of_kind("PodDisruptionBudget"):
    if not labels_match(((d.get("spec") or {}).get("selector") or {}).get("matchLabels"), deployment_labels):
        fail(f"{path}: the PodDisruptionBudget's selector does not match the Deployment's pods")

services = {}
for path, d in of_kind("Service"):
    spec = d.get("spec") or {}
    services[d["metadata"]["name"]] = {p.get("name") for p in spec.get("ports") or []} | {p.get("port") for p in spec.get("ports") or []}
    if not labels_match(spec.get("selector"), deployment_labels):
        fail(f"{path}: the Service's selector does not match the Deployment's pods")
    for p in spec.get("ports") or []:
        if p.get("targetPort") not in deployment_ports:
            fail(f"{path}: targetPort {p.get('targetPort')} is no port of the Deployment")

for path, d in of_kind("Ingress"):
    paths = {}
    for rule in (d.get("spec") or {}).get("rules") or []:
        for p in ((rule.get("http") or {}).get("paths")) or []:
            svc = (p.get("backend") or {}).get("service") or {}
            paths[p.get("path")] = svc
            port = svc.get("port") or {}
            if svc.get("name") not in services or (port.get("name") or port.get("number")) not in services[svc.get("name")]:
                fail(f"{path}: {p.get('path')} routes to {svc.get('name')}:{port}, which is no Service port")
    for want in ("/webhooks/github", "/api/v1"):
        if want not in paths:
            fail(f"{path}: no route for {want}")

try:
    import tomllib
except ImportError:
    tomllib = None
for path, d in of_kind("ConfigMap"):
    text = (d.get("data") or {}).get("gantry.toml")
    if text is None:
        fail(f"{path}: no gantry.toml")
    elif tomllib:
        try:
            settings = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            fail(f"{path}: gantry.toml does not parse: {e}")
        else:
            if (settings.get("database") or {}).get("migrate_on_start") is not False:
                fail(f"{path}: replicas must run with database.migrate_on_start = false (the Job migrates)")

# Example secrets hold placeholders only.
for path, d in of_kind("Secret"):
    for key, value in ((d.get("stringData") or {}) | (d.get("data") or {})).items():
        if "REPLACE_ME" not in str(value):
            fail(f"{path}: {key} is not a REPLACE_ME placeholder; never commit real secrets")
for path in glob.glob("deploy/**/*.example", recursive=True) + glob.glob("deploy/**/.env.example", recursive=True):
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            if "SECRET" in key or "KEY" in key or "TOKEN" in key or "PASSWORD" in key:
                if not value.startswith("REPLACE"):
                    fail(f"{path}: {key} is not a REPLACE placeholder")

# Compose.
compose = (docs.get("deploy/compose/compose.yaml") or [{}])[0]
svcs = compose.get("services") or {}
for name in ("gantry", "postgres"):
    if name not in svcs:
        fail(f"deploy/compose/compose.yaml: no service {name}")
    elif not svcs[name].get("healthcheck"):
        fail(f"deploy/compose/compose.yaml: service {name} has no healthcheck")
if "GANTRY_DATABASE__URL" not in ((svcs.get("gantry") or {}).get("environment") or {}):
    fail("deploy/compose/compose.yaml: gantry gets no GANTRY_DATABASE__URL")

print(f"  checked {len(objects)} Kubernetes objects and the compose file", file=sys.stderr)
if failures:
    for f in failures:
        print(f"error: {f}", file=sys.stderr)
    sys.exit(1)
PY

if command -v yamllint >/dev/null 2>&1; then
    yamllint -s -d '{extends: relaxed, rules: {line-length: {max: 120}}}' deploy
    say "yamllint: clean"
else
    say "yamllint not installed (apt-get install yamllint); skipped"
fi
# The alerting rules: valid, and their unit tests pass. promtool comes with Debian's
# prometheus package, which ./dev setup installs.
if command -v promtool >/dev/null 2>&1; then
    promtool check rules deploy/prometheus/alerts.yaml >&2
    promtool test rules deploy/prometheus/alerts.test.yaml >&2
    say "promtool: the alerting rules check and their tests pass"
else
    echo "error: promtool is needed to check deploy/prometheus (apt-get install prometheus, or ./dev setup)" >&2
    exit 1
fi
"$python" -c 'import json, sys; d = json.load(open("deploy/grafana/gantry.json")); assert d["panels"], "no panels"' ||
    { echo "error: deploy/grafana/gantry.json is not a dashboard" >&2; exit 1; }
say "grafana dashboard: parses"
if command -v kubectl >/dev/null 2>&1; then
    kubectl kustomize deploy/kubernetes >/dev/null
    say "kubectl kustomize: renders"
fi

# 3: the systemd unit.
if command -v systemd-analyze >/dev/null 2>&1; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    printf '#!/bin/sh\n' >"$tmp/gantry" && chmod +x "$tmp/gantry"
    sed "s#/usr/local/bin/gantry#$tmp/gantry#g" deploy/systemd/gantry.service >"$tmp/gantry.service"
    systemd-analyze verify "$tmp/gantry.service"
    say "systemd-analyze verify: clean"
else
    say "systemd-analyze not installed; the unit was not verified"
fi

# 4: the Dockerfile.
dockerfile=deploy/docker/Dockerfile
if command -v hadolint >/dev/null 2>&1; then
    hadolint "$dockerfile"
    say "hadolint: clean"
fi
docker_fail=0
# Instructions on one line each (continuation lines joined).
joined="$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile")"
need() { # need DESCRIPTION EXTENDED-REGEX
    grep -Eq "$2" <<<"$joined" || { echo "error: $dockerfile: $1" >&2; docker_fail=1; }
}
(($(grep -Ec '^FROM ' "$dockerfile") >= 2)) || { echo "error: $dockerfile: not multi-stage" >&2; docker_fail=1; }
need "no HEALTHCHECK against /health/live" '^HEALTHCHECK .*/health/live'
need "no EXPOSE 8080" '^EXPOSE 8080$'
need 'no ENTRYPOINT ["gantry"]' '^ENTRYPOINT \["gantry"\]$'
need "the plugins are not copied to /usr/share/gantry/plugins" '^COPY --from=builder .* /usr/share/gantry/plugins/?$'
need "GANTRY_PLUGINS__DIR does not point at the image's plugins" 'GANTRY_PLUGINS__DIR=/usr/share/gantry/plugins'
last_user="$(grep -E '^USER ' "$dockerfile" | tail -n 1 | awk '{print $2}')"
case "$last_user" in
    "" | root | 0 | 0:* | root:*) echo "error: $dockerfile: the image does not end with a non-root USER" >&2; docker_fail=1 ;;
esac
# Not after USER: everything from the last FROM on must run as that user.
if awk '/^FROM /{f=NR} END{print f}' "$dockerfile" | xargs -I{} awk -v f={} 'NR>f && /^USER /{u=1} END{exit !u}' "$dockerfile"; then :; else
    echo "error: $dockerfile: the runtime stage sets no USER" >&2; docker_fail=1
fi
((docker_fail == 0)) || exit 1
say "Dockerfile rules: clean (hadolint is not packaged in Debian 12; the image is not built here)"
