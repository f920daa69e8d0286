#!/usr/bin/env python3
"""bench.py — benchmark a Taskpilot server binary with wrk, on SQLite and on PostgreSQL, and its events on each bus.

Usage:
    python3 scripts/bench.py --binary .build/release/taskpilot [--users 4] [--tasks-per-user 10000]
                             [--duration 5] [--scenarios get,list,search,chat,create,events]

For each backend — SQLite in a temp dir, and PostgreSQL when TASKPILOT_TEST_POSTGRES_URL is set
(scripts/with-postgres.sh sets it; its `public` schema is dropped and recreated first) — this:

  1. starts `BINARY serve` on a free loopback port and measures the time until
     GET /health/ready answers 200, then the idle RSS 2 s later;
  2. registers --users users and loads --tasks-per-user tasks for each through the HTTP API
     (8 threads with keep-alive connections; ~1% of tasks mention "invoice", ~30% are completed);
     then waits until the server is idle (its event workers have caught up with the load), and on PostgreSQL
     vacuums and analyzes the tables, as autovacuum would shortly after a bulk load;
  3. runs wrk for one user's token at 1 and 32 connections for --duration seconds per scenario:
     get one task, filtered list, full-text search, create (create last, so the reads see the
     data set as loaded), sampling the server's RSS all along;
  4. stops the server (SIGTERM, SIGKILL after 5 s), measuring the shutdown, and measures the
     ready time of a restart on the loaded database.

The scenario `events` (scripts/bench_events.py) measures the event backbone on the buses of --event-buses
(inprocess, kafka, dapr): task.created delivered per second over the WebSocket, completion → next occurrence
p50/p99, and reminder lateness p99 against the targets of DESIGN §9; `--scenarios events` runs only that part.

Progress goes to stderr; the result is a Markdown report on stdout (and JSON with --json).
Exits non-zero when a backend, bus or scenario failed or any request got a non-2xx answer or a socket
error. The HTTP scenarios need Python 3.11 (stdlib only) and `wrk` (Debian package; scripts/bootstrap.sh bench);
`events` needs the PyPI packages of tests/requirements.txt (scripts/bootstrap.sh test installs them).
Sends traffic only to 127.0.0.1, bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

HOST = "127.0.0.1"
PASSWORD = "bench-password-1234"
LOAD_THREADS = 8
SEARCH_WORD = "invoice"
FILTERED_LIST_PATH = "/api/v1/tasks?status=pending&priority=high,urgent&tags=work&sort=due_at:asc&limit=50"
SEARCH_PATH = f"/api/v1/tasks?q={SEARCH_WORD}&limit=50"
# (threads, connections) per wrk run.
CONCURRENCIES = [(1, 1), (2, 32)]
# At most this many task ids go into the Lua script of the `get` scenario.
MAX_LUA_IDS = 20000

WORDS = """
    rent groceries dentist report meeting call email review draft plan budget taxes car repair
    garden laundry kitchen book flight hotel passport renew insurance doctor pharmacy gym run
    yoga birthday gift party slides deck proposal contract client vendor order shipment update
    backup server deploy release bug fix refactor test docs design sketch paint fence roof
    gutter clean vacuum trash recycle school homework lunch dinner recipe bake bread coffee
    tea letter parcel post bank transfer loan mortgage pension savings receipt expense trip
    train ticket museum concert movie podcast article newsletter blog photo album printer ink
    """.split()
assert not any(SEARCH_WORD in w for w in WORDS)
TAGS = ["home", "errands", "finance", "health", "family", "project-x", "reading", "later"]
PRIORITIES = ["none", "low", "medium", "high", "urgent"]
PRIORITY_WEIGHTS = [30, 20, 25, 15, 10]
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
# Lua: seed math.random differently in each wrk thread (each has its own Lua state).
LUA_SEED = "math.randomseed(os.time() + tonumber(tostring({}):match('0x(%x+)') or '0', 16) % 1000003)"


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


class BenchError(Exception):
    """A failure that ends the run of one backend."""


# --------------------------------------------------------------------------------------------
# Processes and the machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def rss_kb(pid: int) -> int | None:
    """VmRSS of a process in kB, None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


class RssSampler:
    """Samples a process's VmRSS in a background thread and keeps the maximum."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            kb = rss_kb(self.pid)
            if kb is not None:
                self.peak_kb = max(self.peak_kb, kb)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, settle: float, limit: float = 300.0) -> float:
    """Waits at least `settle` s, then until the process used under 5% of a core for a whole second (the event
    workers have caught up with the load), at most `limit` s. Returns the seconds waited."""
    start = time.monotonic()
    time.sleep(settle)
    while time.monotonic() - start < limit:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < 0.05:
            break
    return time.monotonic() - start


def machine_info() -> dict[str, Any]:
    cpus = len(os.sched_getaffinity(0))
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    wrk_version = ""
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run([wrk, "--version"], check=False, capture_output=True, text=True)
        text = (out.stdout + out.stderr).strip()
        wrk_version = text.splitlines()[0] if text else ""
    return {
        "nproc": cpus,
        "cpu_model": model,
        "mem_gib": mem_gib,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version,
    }


class Server:
    """One `taskpilot serve` process."""

    def __init__(self, binary: str, env: dict[str, str], port: int, log_path: str) -> None:
        self.binary = binary
        self.env = env
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> float:
        """Starts the server; returns the milliseconds until GET /health/ready answered 200."""
        log_file = open(self.log_path, "ab")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [self.binary, "serve"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_tail()
                last = next((line for line in reversed(tail.splitlines()) if line.strip()), "(no output)")
                raise BenchError(f"server exited with {self.proc.returncode} before it was ready: {last.strip()}\n{tail}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                try:
                    conn.request("GET", "/health/ready")
                    response = conn.getresponse()
                    response.read()
                    if response.status == 200:
                        return (time.monotonic() - started) * 1000
                finally:
                    conn.close()
            except OSError:
                pass
            time.sleep(0.005)
        raise BenchError(f"server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> float | None:
        """SIGTERM, then SIGKILL after 5 s; returns the milliseconds the process took to exit."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
            return (time.monotonic() - started) * 1000
        except subprocess.TimeoutExpired:
            log(f"server did not exit 5 s after SIGTERM: SIGKILL (pid {self.proc.pid})")
            self.proc.kill()
            self.proc.wait()
            return None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no server log)"


# --------------------------------------------------------------------------------------------
# HTTP API client


class Api:
    """A keep-alive JSON client of one server; not thread-safe (use one per thread)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        token = token or self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
                # A keep-alive connection the server closed: retry once on a new one.
                self.close()
                if attempt == 1:
                    raise
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return response.status, parsed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def register(api: Api, email: str, name: str) -> str:
    status, body = api.request("POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": name})
    if status not in (200, 201) or not isinstance(body, dict) or "token" not in body:
        raise BenchError(f"register {email}: HTTP {status}: {str(body)[:500]}")
    return str(body["token"])


# --------------------------------------------------------------------------------------------
# Data set


def make_task(rng: random.Random, n: int) -> dict[str, Any]:
    title_words = rng.sample(WORDS, rng.randint(2, 5))
    description_words = rng.sample(WORDS, rng.randint(6, 18)) if rng.random() < 0.6 else []
    if rng.random() < 0.01:
        # ~1% of tasks mention the search word, in the title or the description.
        if description_words and rng.random() < 0.5:
            description_words.insert(rng.randrange(len(description_words) + 1), SEARCH_WORD)
        else:
            title_words.insert(rng.randrange(len(title_words) + 1), SEARCH_WORD)
    tags = rng.sample(TAGS, rng.choice([0, 1, 1, 2, 3]))
    if rng.random() < 0.4:
        tags.append("work")
    task: dict[str, Any] = {
        "title": f"{' '.join(title_words).capitalize()} {n}",
        "description": " ".join(description_words),
        "priority": rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
        "tags": tags,
    }
    if rng.random() < 0.8:
        # Due dates spread over 2026, at whole quarter hours.
        due = YEAR_START + timedelta(minutes=rng.randrange(365 * 24 * 4) * 15)
        task["due_at"] = due.strftime("%Y-%m-%dT%H:%M:%SZ")
    return task


def load_tasks(port: int, tokens: list[str], per_user: int, complete_fraction: float, seed: int) -> tuple[list[list[int]], float]:
    """Creates per_user tasks for every token; returns the ids per user and the rate in tasks/s."""
    total = per_user * len(tokens)
    chunk = 100
    jobs = [(u, start, min(chunk, per_user - start)) for start in range(0, per_user, chunk) for u in range(len(tokens))]
    ids: list[list[int]] = [[] for _ in tokens]
    local = threading.local()
    lock = threading.Lock()
    progress = {"done": 0, "next_report": 1}
    errors: list[str] = []

    def run(job: tuple[int, int, int]) -> None:
        try:
            create(*job)
        except (OSError, http.client.HTTPException) as e:
            errors.append(f"loading tasks: {type(e).__name__}: {e}")

    def create(user: int, start: int, count: int) -> None:
        if not hasattr(local, "api"):
            local.api = Api(port)
        api: Api = local.api
        rng = random.Random(seed * 1_000_003 + user * 100_003 + start)
        created = []
        for i in range(count):
            if errors:
                return
            status, body = api.request("POST", "/api/v1/tasks", make_task(rng, start + i), token=tokens[user])
            if status != 201 or not isinstance(body, dict) or not isinstance(body.get("id"), int):
                errors.append(f"POST /api/v1/tasks: HTTP {status}: {str(body)[:500]}")
                return
            task_id = body["id"]
            created.append(task_id)
            if rng.random() < complete_fraction:
                status, body = api.request("POST", f"/api/v1/tasks/{task_id}/complete", token=tokens[user])
                if status != 200:
                    errors.append(f"POST /api/v1/tasks/{task_id}/complete: HTTP {status}: {str(body)[:500]}")
                    return
        with lock:
            ids[user].extend(created)
            progress["done"] += count
            while progress["done"] * 10 >= progress["next_report"] * total and progress["next_report"] <= 10:
                elapsed = time.monotonic() - started
                log(f"  loaded {progress['done']}/{total} tasks ({progress['next_report'] * 10}%, {progress['done'] / elapsed:.0f} tasks/s)")
                progress["next_report"] += 1

    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=LOAD_THREADS)
    try:
        for _ in pool.map(run, jobs):
            pass
    except BaseException:
        # Stop the other threads soon (they check `errors`) and drop the jobs not started.
        errors.append("stopped")
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    elapsed = time.monotonic() - started
    if errors:
        raise BenchError(f"loading failed: {errors[0]}")
    return ids, total / elapsed


# --------------------------------------------------------------------------------------------
# wrk


def lua_string(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for ASCII text


def wrk_script(scenario: str, token: str, ids: list[int]) -> str:
    """The Lua script that makes wrk send the requests of one scenario."""
    lines = [
        f'wrk.headers["Authorization"] = {lua_string("Bearer " + token)}',
        'wrk.headers["Accept"] = "application/json"',
    ]
    if scenario in ("list", "search"):
        # A fixed request: wrk builds it once.
        path = FILTERED_LIST_PATH if scenario == "list" else SEARCH_PATH
        lines += ['wrk.method = "GET"', f"wrk.path = {lua_string(path)}"]
    elif scenario == "get":
        sample = ids if len(ids) <= MAX_LUA_IDS else random.Random(7).sample(ids, MAX_LUA_IDS)
        # Several statements instead of one big table constructor keep LuaJIT's limits far away.
        lines.append("local ids = {}")
        for i in range(0, len(sample), 500):
            lines.append("for _, v in ipairs({" + ",".join(str(x) for x in sample[i : i + 500]) + "}) do ids[#ids + 1] = v end")
        lines += [
            "local n = #ids",
            f"function init(args) {LUA_SEED} end",
            "function request()",
            '  return wrk.format("GET", "/api/v1/tasks/" .. ids[math.random(n)])',
            "end",
        ]
    elif scenario == "create":
        lines += [
            'wrk.headers["Content-Type"] = "application/json"',
            'local priorities = {"none", "low", "medium", "high", "urgent"}',
            "local counter = 0",
            "local thread_tag = 0",
            f"function init(args) {LUA_SEED}; thread_tag = math.random(1000000) end",
            "function request()",
            "  counter = counter + 1",
            '  local body = string.format(\'{"title":"wrk task %d-%d","description":"created by the benchmark",'
            '"priority":"%s","tags":["work","bench"],"due_at":"2026-12-01T09:00:00Z"}\','
            " thread_tag, counter, priorities[counter % 5 + 1])",
            '  return wrk.format("POST", "/api/v1/tasks", nil, body)',
            "end",
        ]
    elif scenario == "chat":
        # One message of a new conversation to the offline interpreter: parse, list through the tool, store both messages.
        lines += [
            'wrk.headers["Content-Type"] = "application/json"',
            'wrk.method = "POST"',
            'wrk.path = "/api/v1/chat"',
            f"wrk.body = {lua_string(json.dumps({'message': CHAT_MESSAGE}))}",
        ]
    else:
        raise ValueError(scenario)
    return "\n".join(lines) + "\n"


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def wrk_duration_ms(text: str) -> float:
    """'812.00us' / '1.23ms' / '2.00s' / '1.50m' → milliseconds."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * _UNIT_MS[m.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/sec, p50/p99 latency (ms), requests, non-2xx/3xx and socket errors of `wrk --latency`."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    p50 = re.search(r"^\s+50(?:\.0+)?%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99(?:\.0+)?%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in ", output, re.M)
    if not (rps and p50 and p99 and total):
        raise BenchError(f"cannot parse wrk output:\n{output}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = sum(int(x) for x in sock.groups()) if sock else 0
    return {
        "requests_per_sec": float(rps.group(1)),
        "p50_ms": wrk_duration_ms(p50.group(1)),
        "p99_ms": wrk_duration_ms(p99.group(1)),
        "requests": int(total.group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": socket_errors,
    }


def run_wrk(wrk: str, port: int, script_path: str, threads: int, connections: int, duration: int) -> dict[str, Any]:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script_path,
        f"http://{HOST}:{port}",
    ]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise BenchError(f"wrk exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    result = parse_wrk(proc.stdout)
    result["raw"] = proc.stdout
    return result


# --------------------------------------------------------------------------------------------
# One backend


@dataclass
class Row:
    backend: str
    scenario: str
    clients: int
    requests_per_sec: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    requests: int | None = None
    note: str = ""


@dataclass
class BackendResult:
    backend: str
    ready_ms: float | None = None
    idle_rss_mb: float | None = None
    load_rate: float | None = None
    load_peak_rss_mb: float | None = None
    wrk_peak_rss_mb: float | None = None
    shutdown_ms: float | None = None
    restart_ready_ms: float | None = None
    failure: str = ""
    rows: list[Row] = field(default_factory=list)


SCENARIOS = {
    "get": "get task",
    "list": "filtered list",
    "search": "full-text search",
    "create": "create task",
    "chat": "chat message",
}
# Not a wrk scenario: the event benchmark of scripts/bench_events.py.
EVENTS = "events"

# The chat scenario's message: a question the offline interpreter answers with a list_tasks call and a table.
CHAT_MESSAGE = "what's due this week?"


def sanity_check(api: Api, scenario: str, token: str, ids: list[int]) -> str:
    """One request of the scenario through Python: it must succeed, and says what it returns."""
    if scenario == "get":
        status, body = api.request("GET", f"/api/v1/tasks/{ids[0]}", token=token)
        detail = f"task {ids[0]}"
    elif scenario in ("list", "search"):
        status, body = api.request("GET", FILTERED_LIST_PATH if scenario == "list" else SEARCH_PATH, token=token)
        items = body.get("items") if isinstance(body, dict) else None
        detail = f"{len(items)} items" if isinstance(items, list) else "no items array"
        if scenario == "search" and isinstance(items, list):
            matching = sum(1 for t in items if SEARCH_WORD in (t.get("title", "") + " " + t.get("description", "")).lower())
            detail += f", {matching} mention {SEARCH_WORD!r}"
    elif scenario == "chat":
        status, body = api.request("POST", "/api/v1/chat", {"message": CHAT_MESSAGE}, token=token)
        detail = f"{len(body.get('tool_calls', []))} tool call(s)" if isinstance(body, dict) else "no reply"
    else:
        body_json = {"title": "sanity check", "priority": "high", "tags": ["work", "bench"], "due_at": "2026-12-01T09:00:00Z"}
        status, body = api.request("POST", "/api/v1/tasks", body_json, token=token)
        detail = "created"
    if not 200 <= status < 300:
        raise BenchError(f"{SCENARIOS[scenario]}: HTTP {status}: {str(body)[:300]}")
    return detail


def run_psql(url: str, what: str, *statements: str) -> None:
    psql = shutil.which("psql")
    if not psql:
        log(f"psql not found: not {what}")
        return
    log(what)
    command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", url]
    for statement in statements:
        command += ["-c", statement]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def reset_postgres(url: str) -> None:
    run_psql(url, "resetting schema public of the PostgreSQL database", "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public")


def bench_backend(args: argparse.Namespace, backend: str, database_url: str | None, workdir: str, wrk: str) -> BackendResult:
    result = BackendResult(backend)
    data_dir = os.path.join(workdir, backend)
    os.makedirs(data_dir, exist_ok=True)
    if backend == "sqlite":
        database_url = f"sqlite://{data_dir}/bench.sqlite"
    else:
        assert database_url
        reset_postgres(database_url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKPILOT_")}
    env.update(
        {
            "TASKPILOT_HOST": HOST,
            "TASKPILOT_PORT": str(port),
            "TASKPILOT_DATABASE_URL": database_url,
            "TASKPILOT_JWT_SECRET": secrets.token_hex(32),
            "TASKPILOT_LOG_LEVEL": "warning",
            # The benchmark sends far more chat messages than a person could.
            "TASKPILOT_CHAT_PER_MINUTE": "10000",
            "TASKPILOT_DATA_DIR": data_dir,
        }
    )
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    server = Server(args.binary, env, port, os.path.join(workdir, f"{backend}-server.log"))
    try:
        log(f"[{backend}] starting {args.binary} serve on {HOST}:{port}")
        result.ready_ms = server.start()
        log(f"[{backend}] ready in {result.ready_ms:.0f} ms")
        time.sleep(2)
        idle = rss_kb(server.pid)
        result.idle_rss_mb = idle / 1024 if idle else None
        log(f"[{backend}] idle RSS {result.idle_rss_mb:.1f} MB")

        api = Api(port)
        tokens = [register(api, f"bench{u}-{secrets.token_hex(4)}@example.com", f"Bench User {u}") for u in range(args.users)]
        log(f"[{backend}] registered {len(tokens)} users; loading {args.tasks_per_user} tasks each ({LOAD_THREADS} threads)")
        with RssSampler(server.pid) as sampler:
            ids, result.load_rate = load_tasks(port, tokens, args.tasks_per_user, args.complete_fraction, args.seed)
        result.load_peak_rss_mb = sampler.peak_kb / 1024
        log(f"[{backend}] loaded {sum(map(len, ids))} tasks at {result.load_rate:.0f} tasks/s; waiting for the server to go idle")
        waited = wait_until_idle(server.pid, args.settle)
        log(f"[{backend}] idle after {waited:.0f} s (the event workers caught up with the load)")
        if backend == "postgres":
            # Autovacuum vacuums and analyzes a table a minute or so after a bulk load (here 40,000 inserts, 12,000
            # completions, the outbox's and the audit's rows). Measuring before that would time the planner's guesses
            # about an empty table, which no running server lives with, or autovacuum catching up on two cores.
            run_psql(database_url, f"[{backend}] VACUUM (ANALYZE) after the bulk load, as autovacuum would", "VACUUM (ANALYZE)")

        token, user_ids = tokens[0], ids[0]
        with RssSampler(server.pid) as sampler:
            for scenario in args.scenarios:
                for threads, connections in CONCURRENCIES:
                    row = Row(backend, SCENARIOS[scenario], connections)
                    result.rows.append(row)
                    try:
                        if connections == CONCURRENCIES[0][1]:
                            log(f"[{backend}] {SCENARIOS[scenario]}: sanity check: {sanity_check(api, scenario, token, user_ids)}")
                        with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=workdir, delete=False) as f:
                            f.write(wrk_script(scenario, token, user_ids))
                        out = run_wrk(wrk, port, f.name, threads, connections, args.duration)
                    except (BenchError, OSError, subprocess.SubprocessError) as e:
                        row.note = str(e).splitlines()[0][:200]
                        log(f"[{backend}] {SCENARIOS[scenario]} x{connections}: FAILED: {e}")
                        continue
                    row.requests_per_sec = out["requests_per_sec"]
                    row.p50_ms = out["p50_ms"]
                    row.p99_ms = out["p99_ms"]
                    row.requests = out["requests"]
                    row.errors = out["non_2xx"] + out["socket_errors"]
                    log(
                        f"[{backend}] {SCENARIOS[scenario]} x{connections}: {row.requests_per_sec:.0f} req/s, "
                        f"p50 {row.p50_ms:.2f} ms, p99 {row.p99_ms:.2f} ms, errors {row.errors}"
                    )
        result.wrk_peak_rss_mb = sampler.peak_kb / 1024

        log(f"[{backend}] stopping (SIGTERM)")
        result.shutdown_ms = server.stop()
        log(f"[{backend}] restarting on the loaded database")
        result.restart_ready_ms = server.start()
        log(f"[{backend}] ready again in {result.restart_ready_ms:.0f} ms")
    except (BenchError, OSError, subprocess.SubprocessError) as e:
        result.failure = str(e)
        log(f"[{backend}] FAILED: {e}")
    finally:
        server.stop()
    return result


# --------------------------------------------------------------------------------------------
# Report


def fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def report(args: argparse.Namespace, machine: dict[str, Any], results: list[BackendResult]) -> str:
    out = [
        "## Taskpilot benchmark",
        "",
        f"- Machine: {machine['nproc']} CPUs (nproc), {machine['cpu_model']}, {machine['mem_gib']} GiB RAM, Linux {machine['kernel']}",
        f"- Binary: {args.binary}",
    ]
    if not results:
        return "\n".join(out) + "\n"
    out += [
        f"- Data: {args.users} users × {args.tasks_per_user} tasks ({args.complete_fraction:.0%} completed, ~1% mention "
        f"{SEARCH_WORD!r}); wrk {args.duration} s per run ({machine['wrk']}), requests as user 1",
        "",
        "| backend | scenario | clients | req/s | p50 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        for row in r.rows:
            errors = fmt(row.errors) if not row.note else f"failed: {row.note}"
            out.append(
                f"| {row.backend} | {row.scenario} | {row.clients} | {fmt(row.requests_per_sec, 0)} | "
                f"{fmt(row.p50_ms, 2)} | {fmt(row.p99_ms, 2)} | {errors} |"
            )
    out += [
        "",
        "| backend | ready ms (fresh db) | ready ms (restart) | idle RSS MB | peak RSS MB (loading) | peak RSS MB (wrk) "
        "| loading tasks/s | shutdown ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        out.append(
            f"| {r.backend} | {fmt(r.ready_ms, 0)} | {fmt(r.restart_ready_ms, 0)} | {fmt(r.idle_rss_mb)} | "
            f"{fmt(r.load_peak_rss_mb)} | {fmt(r.wrk_peak_rss_mb)} | {fmt(r.load_rate, 0)} | {fmt(r.shutdown_ms, 0)} |"
        )
    failures = [r for r in results if r.failure]
    if failures:
        out.append("")
        for r in failures:
            out.append(f"- **{r.backend} failed**: {r.failure.splitlines()[0][:300]}")
    return "\n".join(out) + "\n"


def on_sigterm(signum: int, frame: object) -> None:
    # Unwind through the `finally` blocks, which stop the server and remove the temp dir.
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the taskpilot executable (e.g. .build/release/taskpilot)")
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--tasks-per-user", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--complete-fraction", type=float, default=0.3, help="share of loaded tasks then completed")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait at least after loading, before waiting for the server to go idle")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite,postgres")
    parser.add_argument(
        "--scenarios", default=f"get,list,search,chat,create,{EVENTS}", help="comma-separated, run in this order: " + ",".join([*SCENARIOS, EVENTS])
    )
    parser.add_argument("--event-buses", default="inprocess,kafka,dapr", help="events: comma-separated buses")
    parser.add_argument("--event-tasks", type=int, default=1000, help="events: tasks created for the throughput figure")
    parser.add_argument("--event-samples", type=int, default=100, help="events: recurring tasks completed one at a time")
    parser.add_argument("--event-reminders", type=int, default=200, help="events: reminders for the lateness figures")
    parser.add_argument("--reminder-spread", type=float, default=10.0, help="events: seconds over which the reminders fall due")
    parser.add_argument("--reminder-lead", type=float, default=4.0, help="events: seconds from creating the reminders to the first")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra environment for the server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (databases, server logs, Lua scripts)")
    args = parser.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    run_events = EVENTS in args.scenarios
    args.scenarios = [s for s in args.scenarios if s != EVENTS]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()] if args.scenarios else []
    args.event_buses = [b.strip() for b in args.event_buses.split(",") if b.strip()]
    for s in args.scenarios:
        if s not in SCENARIOS:
            parser.error(f"unknown scenario {s!r}; known: {', '.join([*SCENARIOS, EVENTS])}")
    for b in args.event_buses:
        if b not in ("inprocess", "kafka", "dapr"):
            parser.error(f"unknown bus {b!r}")
    if min(args.event_tasks, args.event_samples, args.event_reminders) < 1 or args.reminder_spread <= 0 or args.reminder_lead <= 0:
        parser.error("--event-tasks, --event-samples, --event-reminders must be at least 1, --reminder-spread and --reminder-lead above 0")
    for b in backends:
        if b not in ("sqlite", "postgres"):
            parser.error(f"unknown backend {b!r}")
    if args.users < 1 or args.tasks_per_user < 1 or args.duration < 1:
        parser.error("--users, --tasks-per-user and --duration must be at least 1")
    if not 0 <= args.complete_fraction <= 1:
        parser.error("--complete-fraction must be between 0 and 1")
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        parser.error(f"--binary {args.binary}: not an executable file (build it: swift build -c release --product taskpilot)")
    args.binary = os.path.abspath(args.binary)
    wrk = shutil.which("wrk") or ""
    if backends and not wrk:
        print("error: wrk is not on PATH (Debian package 'wrk'; scripts/bootstrap.sh bench installs it)", file=sys.stderr)
        return 1
    postgres_url = os.environ.get("TASKPILOT_TEST_POSTGRES_URL")
    if "postgres" in backends and not postgres_url:
        log("TASKPILOT_TEST_POSTGRES_URL is not set: skipping PostgreSQL (run under scripts/with-postgres.sh)")
        backends.remove("postgres")

    machine = machine_info()
    log(f"machine: {machine['nproc']} CPUs, {machine['cpu_model']}")
    workdir = tempfile.mkdtemp(prefix="taskpilot-bench.")
    results: list[BackendResult] = []
    event_results: list[Any] = []
    try:
        for backend in backends:
            results.append(bench_backend(args, backend, postgres_url, workdir, wrk))
        if run_events:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import bench_events

            event_results = bench_events.run(args)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    text = report(args, machine, results)
    if run_events:
        text += "\n" + bench_events.report(event_results, args)
    print(text, end="", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": machine,
                    "args": {k: v for k, v in vars(args).items()},
                    "results": [asdict(r) for r in results],
                    "events": [asdict(r) for r in event_results],
                },
                f,
                indent=2,
            )
    failed = any(r.failure for r in [*results, *event_results]) or any(row.note or row.errors for r in results for row in r.rows)
    if failed:
        log("some runs failed or got errors (see the report)")
    return 1 if failed or not (results or event_results) else 0


if __name__ == "__main__":
    sys.exit(main())
