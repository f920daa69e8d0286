"""The operator side of the executable: the embedded default from an empty folder, `migrate`, `user create|list`,
one-line configuration errors and graceful shutdown."""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import json
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import REPO, free_port  # noqa: E402

BINARY = os.environ.get("TASKPILOT_BIN", str(REPO / ".build" / "debug" / "taskpilot"))
if not os.path.isabs(BINARY):
    BINARY = str(REPO / BINARY)


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKPILOT_")}
    env.update(TASKPILOT_BCRYPT_COST="4", TASKPILOT_LOG_LEVEL="warning")
    env.update(extra)
    return env


def call(url: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body else None, method="POST" if body else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def serve(folder: str, port: int, **settings: str) -> subprocess.Popen:
    """`taskpilot serve` with no configuration but a port (and `settings`), in `folder` as working directory."""
    process = subprocess.Popen([BINARY, "serve"], cwd=folder, env=environment(TASKPILOT_PORT=str(port), **settings),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    raise AssertionError("not ready in 20 s")


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=10)


def test_embedded_default_keeps_its_data_and_tokens_across_restarts():
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        first = serve(folder, port)
        # Started from a folder of its own, the binary still finds the web app beside it (.build/debug is a symlink).
        with urllib.request.urlopen(url + "/", timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/html")
        status, auth = call(url, "/api/v1/auth/register", {"email": "ops@example.com", "password": "correct horse battery"})
        assert status == 201
        call(url, "/api/v1/tasks", {"title": "survives"}, auth["token"])
        assert stop(first) == 0, "SIGTERM shuts down gracefully with exit code 0"
        data = Path(folder, "data")
        assert (data / "taskpilot.sqlite").exists()
        assert stat.S_IMODE((data / "jwt-secret").stat().st_mode) == 0o600
        # The data is its user's alone: password hashes and tasks are not for other accounts of the machine.
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in data.glob("taskpilot.sqlite*")), list(data.iterdir())
        second = serve(folder, port)
        try:
            status, page = call(url, "/api/v1/tasks", token=auth["token"])
            assert status == 200 and [item["title"] for item in page["items"]] == ["survives"]
            # The store's operations are timed, as docs/metrics.md and the Grafana dashboard say.
            with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
                metrics = response.read().decode()
            assert 'taskpilot_db_query_duration_seconds_count{operation="task_list"} 1' in metrics, metrics
            # Every family has its help text (`promtool check metrics` warns about each one without).
            families = [line.split()[2] for line in metrics.splitlines() if line.startswith("# TYPE ")]
            assert families and all(f"# HELP {name} " in metrics for name in families), metrics
        finally:
            assert stop(second) == 0


def test_migrate_and_user_commands():
    with tempfile.TemporaryDirectory() as folder:
        env = environment(TASKPILOT_DATABASE_URL=f"sqlite://{folder}/ops.sqlite")
        migrated = subprocess.run([BINARY, "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert migrated.returncode == 0 and "Applied: 0001_create_accounts" in migrated.stdout
        again = subprocess.run([BINARY, "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and "up to date" in again.stdout
        created = subprocess.run([BINARY, "user", "create", "--email", "Admin@Example.com", "--name", "Admin", "--timezone", "Europe/Paris"],
                                 env=env, input="long enough password\n", capture_output=True, text=True, timeout=60)
        assert created.returncode == 0 and "admin@example.com" in created.stdout
        listed = subprocess.run([BINARY, "user", "list"], env=env, capture_output=True, text=True, timeout=60)
        assert "admin@example.com" in listed.stdout and "Europe/Paris" in listed.stdout
        short = subprocess.run([BINARY, "user", "create", "--email", "x@example.com", "--password", "short"],
                               env=env, capture_output=True, text=True, timeout=60)
        assert short.returncode == 1 and "password" in short.stderr
        taken = subprocess.run([BINARY, "user", "create", "--email", "admin@example.com", "--password", "long enough password"],
                               env=env, capture_output=True, text=True, timeout=60)
        assert taken.returncode == 1 and "already exists" in taken.stderr
        typo = subprocess.run([BINARY, "user", "list"], env=environment(TASKPILOT_DATABASE_URL=f"sqlite://{folder}/typo/ops.sqlite"),
                              capture_output=True, text=True, timeout=60)
        assert typo.returncode == 1 and "no database at" in typo.stderr and not Path(folder, "typo").exists(), typo.stderr
        long_name = subprocess.run([BINARY, "user", "create", "--email", "n@example.com", "--password", "long enough password",
                                    "--name", "n" * 101], env=env, capture_output=True, text=True, timeout=60)
        assert long_name.returncode == 1 and "at most 100 characters" in long_name.stderr, long_name.stderr
        # Reverting drops every table after a first start: without a terminal to ask on, it needs --yes.
        unasked = subprocess.run([BINARY, "migrate", "--revert"], env=env, capture_output=True, text=True, timeout=60)
        assert unasked.returncode != 0 and "--yes" in unasked.stderr and "Reverted" not in unasked.stdout, unasked
        reverted = subprocess.run([BINARY, "migrate", "--revert", "--yes"], env=env, capture_output=True, text=True, timeout=60)
        assert reverted.returncode == 0 and "Reverted: " in reverted.stdout and "0001_create_accounts" in reverted.stdout, reverted.stdout
        nothing = subprocess.run([BINARY, "migrate", "--revert", "--yes"], env=env, capture_output=True, text=True, timeout=60)
        assert nothing.returncode == 0 and "Nothing to revert" in nothing.stdout, nothing.stdout


def test_a_bad_setting_stops_start_up_with_one_line_naming_the_key():
    cases = {
        "TASKPILOT_PORT": "abc", "TASKPILOT_DATABASE_URL": "mysql://nope", "TASKPILOT_LOG_LEVEL": "loud",
        "TASKPILOT_JWT_SECRET": "short", "TASKPILOT_WORKERS": "recurring,cooking", "TASKPILOT_EVENT_LOOP_THREADS": "0",
        "TASKPILOT_DATABASE_MAX_CONNECTIONS": "many", "TASKPILOT_DAPR_PUBSUB": "pub/sub",
    }
    for key, value in cases.items():
        result = subprocess.run([BINARY, "serve"], env=environment(**{key: value}), capture_output=True, text=True, timeout=30)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2, (key, result.stderr)
        assert len(lines) == 1 and key in lines[0], (key, lines)
    # A broker list of only commas and spaces names no broker.
    for brokers in (" , ", ",", "127.0.0.1:9092,"):
        result = subprocess.run([BINARY, "serve"], env=environment(TASKPILOT_EVENT_BUS="kafka", TASKPILOT_KAFKA_BROKERS=brokers),
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and "TASKPILOT_KAFKA_BROKERS" in result.stderr, (brokers, result.stderr)
    missing = subprocess.run([BINARY, "serve"], env=environment(TASKPILOT_DATABASE_URL="postgres://u@127.0.0.1/db"),
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "TASKPILOT_JWT_SECRET" in missing.stderr


def test_a_dot_env_file_is_read_as_shells_write_it():
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        Path(folder, ".env").write_text(
            "# Taskpilot settings\n"
            f"export TASKPILOT_PORT=\"{port}\"\n"
            f"TASKPILOT_DATA_DIR='{folder}/from-env' # where the data lives\n"
            "TASKPILOT_LOG_LEVEL=warning   # quiet\n\n"
        )
        process = subprocess.Popen([BINARY, "serve"], cwd=folder, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while True:
                assert process.poll() is None, process.stderr.read()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "not ready in 20 s"
                    time.sleep(0.05)
            assert Path(folder, "from-env", "taskpilot.sqlite").exists()
        finally:
            assert stop(process) == 0
        # A line that is not KEY=value is named, with its number.
        Path(folder, ".env").write_text("TASKPILOT_LOG_LEVEL=warning\nthis is not a setting\n")
        result = subprocess.run([BINARY, "serve"], cwd=folder, env=environment(), capture_output=True, text=True, timeout=30)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 and len(lines) == 1 and ".env line 2" in lines[0], result.stderr


def test_an_unreachable_postgresql_is_named_with_what_to_check():
    result = subprocess.run(
        [BINARY, "migrate"], env=environment(TASKPILOT_DATABASE_URL="postgres://u:p@127.0.0.1:1/db"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "cannot be reached" in result.stderr and "TASKPILOT_DATABASE_URL" in result.stderr, result.stderr
    assert "Generic description" not in result.stderr, result.stderr


def test_serve_and_a_worker_stop_cleanly_when_postgresql_cannot_be_reached():
    # The pool opened before the migrations failed is closed before the process ends (a debug build asserted on it).
    unreachable = "postgres://u:p@127.0.0.1:1/db"
    for command, settings in [
        (["serve"], {"TASKPILOT_PORT": str(free_port())}),
        (["worker", "audit"], {"TASKPILOT_PORT": str(free_port()), "TASKPILOT_EVENT_BUS": "kafka", "TASKPILOT_KAFKA_BROKERS": "127.0.0.1:1"}),
    ]:
        with tempfile.TemporaryDirectory() as folder:
            result = subprocess.run(
                [BINARY, *command],
                cwd=folder,
                env=environment(TASKPILOT_DATABASE_URL=unreachable, TASKPILOT_JWT_SECRET="0123456789abcdef0123456789abcdef", **settings),
                capture_output=True,
                text=True,
                timeout=60,
            )
        assert result.returncode == 1, (command, result.returncode, result.stderr[-3000:])
        assert "crashed" not in result.stderr and "Assertion failed" not in result.stderr, result.stderr[-3000:]
        assert "cannot be reached" in result.stderr and "TASKPILOT_DATABASE_URL" in result.stderr, result.stderr


def test_what_serve_needs_of_the_machine_is_checked_first_with_one_line_naming_the_key():
    import socket
    with tempfile.TemporaryDirectory() as folder:
        def refused(**settings: str) -> str:
            started = time.monotonic()
            result = subprocess.run([BINARY, "serve"], cwd=folder, env=environment(**settings), capture_output=True, text=True, timeout=30)
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert result.returncode == 2 and len(lines) == 1, (settings, result.stderr)
            assert time.monotonic() - started < 10, "refused at once, not after a hang"
            return lines[0]

        # A port another program listens on (it used to hang start-up half-way, deaf to SIGTERM, every other time).
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for _ in range(3):
            line = refused(TASKPILOT_PORT=str(port), TASKPILOT_DATA_DIR=f"{folder}/busy")
            assert "TASKPILOT_PORT" in line and "already in use" in line, line
        busy.close()
        assert "TASKPILOT_HOST" in refused(TASKPILOT_HOST="999.1.1.1", TASKPILOT_PORT=str(free_port()), TASKPILOT_DATA_DIR=f"{folder}/host")
        line = refused(TASKPILOT_DATA_DIR="/proc/taskpilot-nope", TASKPILOT_PORT=str(free_port()))
        assert "TASKPILOT_DATA_DIR" in line and "cannot be created" in line, line
        # A database file that cannot be written (here a folder in its place; a read-only file for a user who is not root).
        os.makedirs(f"{folder}/unwritable/taskpilot.sqlite")
        line = refused(TASKPILOT_DATA_DIR=f"{folder}/unwritable", TASKPILOT_PORT=str(free_port()))
        assert "TASKPILOT_DATA_DIR" in line and "cannot be written" in line, line
        # A second server on the same SQLite file is refused while the first runs.
        first = serve(folder, free_port())
        try:
            line = refused(TASKPILOT_PORT=str(free_port()))
            assert "TASKPILOT_DATA_DIR" in line and "another Taskpilot server" in line, line
        finally:
            assert stop(first) == 0


def test_servers_racing_for_one_port_all_end_with_the_winner_serving():
    """Servers started at once on one port, each on its own data folder: some pass the start-up check before the
    winner binds, and their own bind then fails after their workers started. Each loser must still exit 2 with the one
    configuration line (it used to hang for good, deaf to SIGTERM, when a worker wrote after the pool had closed)."""
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(3):
            port = free_port()
            racers = [
                subprocess.Popen([BINARY, "serve"], cwd=folder,
                                 env=environment(TASKPILOT_PORT=str(port), TASKPILOT_DATA_DIR=f"{folder}/{port}-{n}"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                for n in range(4)
            ]
            try:
                deadline = time.monotonic() + 30
                while sum(racer.poll() is None for racer in racers) > 1 and time.monotonic() < deadline:
                    time.sleep(0.1)
                running = [racer for racer in racers if racer.poll() is None]
                assert len(running) == 1, f"{len(running)} of 4 still running 30 s after starting on one port"
                for racer in racers:
                    if racer is running[0]:
                        continue
                    lines = [line for line in racer.stderr.read().splitlines() if "error" in line or "critical" in line]
                    assert racer.returncode == 2, lines
                    assert lines[-1].startswith("taskpilot: configuration error: TASKPILOT_PORT:"), lines
                # The winner serves (and only then has its signal handlers for certain: a SIGTERM in the first
                # milliseconds of start-up ends the process by the signal itself).
                ready_by = time.monotonic() + 10
                while True:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as ready:
                            assert ready.status == 200
                            break
                    except OSError:
                        assert time.monotonic() < ready_by, "the winner is not ready 10 s after the others gave up"
                        time.sleep(0.05)
                assert stop(running[0]) == 0
            finally:
                for racer in racers:
                    if racer.poll() is None:
                        racer.kill()
                        racer.wait()


def test_json_logs_are_one_object_per_line_with_the_request_id():
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        process = serve(folder, port, TASKPILOT_LOG_FORMAT="json", TASKPILOT_LOG_LEVEL="info")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/tasks", headers={"X-Request-Id": 'probe/1 "quoted"'})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as error:
            assert error.code == 401
        assert stop(process) == 0
        lines = [json.loads(line) for line in process.stderr.read().splitlines() if line.strip()]
    assert lines and all({"ts", "level", "msg", "logger"} <= line.keys() for line in lines)
    assert lines[-1]["msg"] == "Taskpilot stopped", "the end of a graceful shutdown is logged, last"
    logged = [line for line in lines if line["msg"] == "request" and line.get("request_id") == 'probe/1 "quoted"']
    assert len(logged) == 1, lines
    assert logged[0]["status"] == "401" and logged[0]["path"] == "/api/v1/tasks" and logged[0]["level"] == "info"
    assert logged[0]["ts"].endswith("Z")


def test_a_body_cut_short_is_the_clients_error_not_the_servers():
    """A body that stops before its Content-Length (a client that gave up, a broken proxy) answers 400, on the API and
    on MCP, and is logged as such: the server did nothing wrong."""
    import socket

    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        process = serve(folder, port, TASKPILOT_LOG_FORMAT="json", TASKPILOT_LOG_LEVEL="info")
        status, auth = call(f"http://127.0.0.1:{port}", "/api/v1/auth/register",
                            {"email": "cut@example.com", "password": "correct horse battery"})
        assert status == 201, auth

        def cut(path: str, extra: str = "") -> str:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall((f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {auth['token']}\r\n"
                                    f"Content-Type: application/json\r\n{extra}Content-Length: 100\r\n\r\n" + '{"title":').encode())
                connection.shutdown(socket.SHUT_WR)
                answer = b""
                while chunk := connection.recv(4096):
                    answer += chunk
            return answer.decode(errors="replace")

        task = cut("/api/v1/tasks")
        assert task.startswith("HTTP/1.1 400") and "invalid_json" in task and "ended before" in task, task
        mcp = cut("/mcp", "Accept: application/json, text/event-stream\r\n")
        assert mcp.startswith("HTTP/1.1 400") and "-32700" in mcp, mcp
        status, listed = call(f"http://127.0.0.1:{port}", "/api/v1/tasks", token=auth["token"])
        assert status == 200 and listed["items"] == []
        assert stop(process) == 0
        lines = [json.loads(line) for line in process.stderr.read().splitlines() if line.strip()]
    assert not [line for line in lines if line["level"] == "error"], lines


def test_an_unusable_secret_or_database_url_stops_start_up_naming_it():
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "data").mkdir()
        Path(folder, "data", "jwt-secret").write_text("tooshort")
        started = subprocess.run([BINARY, "serve"], cwd=folder, env=environment(TASKPILOT_PORT=str(free_port())),
                                 capture_output=True, text=True, timeout=60)
        assert started.returncode != 0 and "jwt-secret" in started.stderr and "8 characters" in started.stderr, started.stderr
        assert Path(folder, "data", "jwt-secret").read_text() == "tooshort", "an unusable secret is not replaced"
        for url, said in [("postgres://tp:secretpw@127.0.0.1:74474/db", "a port is 1 to 65535"),
                          ("postgres://127.0.0.1/db", "names no user"), ("postgres://tp:pw@127.0.0.1/db?sslmode=bogus", "sslmode")]:
            bad = subprocess.run([BINARY, "serve"], cwd=folder, env=environment(TASKPILOT_DATABASE_URL=url),
                                 capture_output=True, text=True, timeout=60)
            assert bad.returncode != 0 and "TASKPILOT_DATABASE_URL" in bad.stderr and said in bad.stderr, (url, bad.stderr)
            assert "secretpw" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_a_misspelt_setting_is_named_with_the_one_it_likely_means():
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, ".env").write_text("TASKPILOT_LOG_LEVLE=debug\n")
        process = serve(folder, free_port(), TASKPILOT_PROT="8935")
        assert stop(process) == 0
        log = process.stderr.read()
    assert "TASKPILOT_PROT is no setting and is ignored; did you mean TASKPILOT_PORT?" in log, log
    assert "TASKPILOT_LOG_LEVLE is no setting and is ignored; did you mean TASKPILOT_LOG_LEVEL?" in log, log
    assert "TASKPILOT_BCRYPT_COST is no setting" not in log and "TASKPILOT_PORT is no setting" not in log, log
