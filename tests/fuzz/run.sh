#!/usr/bin/env bash
# tests/fuzz/run.sh — fuzz every operation of /openapi.yaml with Schemathesis against a real server (SQLite).
#
# Installs Schemathesis into tests/fuzz/.venv once (again only when requirements.txt changes), then runs
# fuzz.py with it. Extra arguments go to `st run` (e.g. --max-examples 200, --seed N to replay a run).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TASKPILOT_FUZZ_VENV:-$here/.venv}"
stamp="$venv/.requirements"

if [[ ! -x $venv/bin/st ]] || ! cmp -s "$here/requirements.txt" "$stamp"; then
    echo "==> installing Schemathesis into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
fi
exec "$venv/bin/python" "$here/fuzz.py" "$@"
