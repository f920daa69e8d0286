#!/usr/bin/env bash
# bootstrap.sh MODE — make sure this machine has what MODE needs, installing what is missing.
#
#   run    build and serve Taskpilot (SQLite is bundled: only the Swift toolchain is needed)
#   test   the test suites (a throwaway PostgreSQL 15 cluster, see scripts/with-postgres.sh)
#   bench  the benchmark (PostgreSQL and wrk, see scripts/bench.py)
#
# Idempotent and quiet when everything is present. Missing Debian packages are installed with
# apt-get (with sudo when not root); `apt-get update` runs at most once, and only when something
# is missing. To need a new package, add it to the list of the mode(s) below.
set -euo pipefail

# Debian packages per mode. Later suites add theirs here (e.g. chromium chromium-driver for the
# browser tests).
# librdkafka-dev: the Kafka bus links librdkafka (the binary always needs it, whatever the bus).
RUN_PACKAGES=(librdkafka-dev pkg-config)
TEST_PACKAGES=(librdkafka-dev pkg-config postgresql chromium chromium-driver prometheus nginx)
BENCH_PACKAGES=(librdkafka-dev pkg-config postgresql wrk)

usage() {
    echo "usage: $0 run|test|bench" >&2
    exit 2
}

[[ $# -eq 1 ]] || usage
mode=$1
case "$mode" in
    run) packages=("${RUN_PACKAGES[@]}") ;;
    test) packages=("${TEST_PACKAGES[@]}") ;;
    bench) packages=("${BENCH_PACKAGES[@]}") ;;
    *) usage ;;
esac

fail() {
    echo "error: $*" >&2
    exit 1
}

# Tools that no package list of ours installs: the Swift toolchain comes from swift.org and
# python3 drives the helper scripts.
command -v swift >/dev/null 2>&1 ||
    fail "'swift' is not on PATH; install a Swift 6.2+ toolchain (https://www.swift.org/install/) and put its usr/bin on PATH"
command -v python3 >/dev/null 2>&1 ||
    fail "'python3' is not on PATH; install it (Debian: apt-get install python3)"

missing=()
for pkg in ${packages[@]+"${packages[@]}"}; do
    if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed$'; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
    command -v apt-get >/dev/null 2>&1 ||
        fail "missing packages (${missing[*]}) and no apt-get to install them; install them by hand"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 ||
            fail "missing packages (${missing[*]}); run as root or install sudo, or install them by hand"
        sudo_cmd=(sudo)
    fi
    echo "==> installing Debian packages for '$mode': ${missing[*]}" >&2
    ${sudo_cmd[@]+"${sudo_cmd[@]}"} apt-get update -qq >&2
    ${sudo_cmd[@]+"${sudo_cmd[@]}"} env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >&2
    echo "==> installed: ${missing[*]}" >&2
fi

# PyPI packages of the Python-driven suites (tests/requirements.txt), installed only when one is missing.
if [[ $mode == test || $mode == bench ]]; then
    requirements="$(cd "$(dirname "$0")/.." && pwd)/tests/requirements.txt"
    if [[ -f $requirements ]] && ! python3 - "$requirements" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, wanted = line.partition("==")
    try:
        if wanted and version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
        echo "==> installing PyPI packages from tests/requirements.txt" >&2
        python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$requirements" >&2
    fi
fi
