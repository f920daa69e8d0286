#!/usr/bin/env bash
# tests/deploy/check.sh — check every deployment file with real linters (no Docker, no cluster).
#
#   hadolint      deploy/docker/Dockerfile
#   actionlint    .github/workflows/*.yml (shellcheck on their run: scripts)
#   yamllint      every plain YAML file, and the YAML blocks of the docs
#   Helm          lint (helm-sdkpy's libhelm, and helm-python-sdk --strict) and offline rendering
#                 of the chart with every values file and more scenarios
#   kubernetes-validate  every rendered object (Kubernetes 1.27 and 1.37 schemas, strict);
#                 CRDs (Strimzi, Dapr, Prometheus Operator, kagent) against tests/deploy/schemas
#   promtool      rules, rule unit tests, dashboard queries, the compose Prometheus config
#   compose       the compose-spec JSON schema and Taskpilot's own expectations
#
# Installs its PyPI tools into tests/deploy/.venv once (again only when requirements.txt
# changes), and promtool from Debian's `prometheus` package when missing. Prints one line per
# check and "N passed, M failed"; exits non-zero when a check fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TASKPILOT_DEPLOY_VENV:-$here/.venv}"
python="${PYTHON:-python3}"

log() { echo "==> $*" >&2; }
fail() {
    echo "error: $*" >&2
    exit 1
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    log "installing Debian packages: $*"
    as_root apt-get update -qq >&2 || return 1
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "$@" >&2
}

# --- Python tools (PyPI) --------------------------------------------------------------------------
if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv"
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        apt_install python3-venv || fail "'$python -m venv' does not work; install python3-venv"
        "$python" -m venv "$venv"
    fi
fi
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    log "installing the linters into $venv (pip, PyPI)"
    start=$SECONDS
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --ignore-requires-python \
        -r "$here/requirements.txt"
    echo "$wanted" >"$stamp"
    log "installed in $((SECONDS - start)) s"
fi

# --- promtool (Debian's prometheus package) -------------------------------------------------------
if ! command -v promtool >/dev/null 2>&1; then
    apt_install prometheus || fail "promtool is missing; install Debian's 'prometheus' package"
fi

export PATH="$venv/bin:$PATH"
exec "$venv/bin/python" "$here/check_deploy.py"
