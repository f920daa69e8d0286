"""A real Taskpilot server for Python-driven suites: started on a free loopback port, stopped at the end."""

import asyncio
import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`taskpilot serve` on SQLite in a temporary folder."""

    def __init__(self, extra_env: dict[str, str] | None = None, command: list[str] | None = None, port: int | None = None) -> None:
        self.binary = os.environ.get("TASKPILOT_BIN", str(REPO / ".build" / "debug" / "taskpilot"))
        if not os.path.isabs(self.binary):
            self.binary = str(REPO / self.binary)
        self.port = port or free_port()
        self.command = command or ["serve"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = tempfile.mkdtemp(prefix="taskpilot-pytest-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKPILOT_")}
        env.update(
            TASKPILOT_HOST="127.0.0.1",
            TASKPILOT_PORT=str(self.port),
            TASKPILOT_DATA_DIR=self.folder,
            TASKPILOT_DATABASE_URL=f"sqlite://{self.folder}/taskpilot.sqlite",
            TASKPILOT_JWT_SECRET=secrets.token_hex(32),
            TASKPILOT_BCRYPT_COST="4",
            TASKPILOT_LOG_LEVEL="warning",
        )
        env.update(extra_env or {})
        self.env = env
        self.log = open(os.path.join(self.folder, "server.log"), "a")
        self.start()

    def start(self) -> None:
        """Starts the process (again, after `kill`) and waits until it is ready."""
        self.process = subprocess.Popen([self.binary, *self.command], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"taskpilot {' '.join(self.command)} exited: {self.logs()}")
            try:
                with urllib.request.urlopen(self.url + "/health/ready", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"taskpilot {' '.join(self.command)} did not become ready in 30 s: {self.logs()}")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, nothing flushed."""
        self.process.kill()
        self.process.wait(timeout=10)

    def logs(self) -> str:
        self.log.flush()
        return Path(self.folder, "server.log").read_text()[-4000:]

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 30) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else None

    def register(self, email: str, timezone: str = "UTC") -> dict:
        status, body = self.request("POST", "/api/v1/auth/register", {"email": email, "password": "correct horse battery", "timezone": timezone})
        assert status == 201, body
        return body  # type: ignore[return-value]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def soon(seconds: float) -> str:
    """An instant `seconds` from now, as the API takes it."""
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def next_message(socket, kinds: set[str], timeout: float = 5.0) -> dict:
    """The next WebSocket message of one of these types, skipping heartbeats and others. None within `timeout`:
    asyncio.TimeoutError, whether the time ran out while waiting or between two skipped messages."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise asyncio.TimeoutError(f"no {kinds} message within {timeout} s")
        message = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        if message["type"] in kinds:
            return message
