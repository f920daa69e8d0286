"""Shared by the browser tests and the screenshot script: run a Taskpilot server, call its API, and
drive headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = ".build/debug/taskpilot"


def server_binary() -> Path:
    """The server executable: $TASKPILOT_BIN (relative paths are read from the repository root)."""
    path = Path(os.environ.get("TASKPILOT_BIN", DEFAULT_BINARY))
    return path if path.is_absolute() else REPO / path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ApiFailure(Exception):
    def __init__(self, status: int, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class Server:
    """A `taskpilot serve` on a loopback port with its own SQLite database in a temp folder."""

    def __init__(self, binary: Path | None = None, web_dir: Path | None = None):
        self.binary = binary or server_binary()
        self.web_dir = web_dir or REPO / "web"
        self.port = free_port()
        self.data_dir = Path(tempfile.mkdtemp(prefix="taskpilot-browser-"))
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("TASKPILOT_")}
        env.update(
            TASKPILOT_HOST="127.0.0.1",
            TASKPILOT_PORT=str(self.port),
            TASKPILOT_DATA_DIR=str(self.data_dir),
            TASKPILOT_DATABASE_URL=f"sqlite://{self.data_dir / 'taskpilot.sqlite'}",
            TASKPILOT_BCRYPT_COST="4",
            TASKPILOT_JWT_SECRET="browser-tests-secret-0123456789abcdef0123456789",
            TASKPILOT_WEB_DIR=str(self.web_dir),
            TASKPILOT_LOG_LEVEL="warning",
        )
        return env

    def start(self, timeout: float = 20.0) -> "Server":
        if not self.binary.exists():
            raise RuntimeError(f"server binary not found: {self.binary} (build it, or set TASKPILOT_BIN)")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(self.binary), "serve"], env=self.environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health/ready", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server not ready within {timeout}s:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # -- API ------------------------------------------------------------------------------------

    def request(self, method: str, path: str, body=None, token: str | None = None):
        """Calls the API; returns (status, decoded JSON or None). Never raises for HTTP errors."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, self._decode(response.read())
        except urllib.error.HTTPError as error:
            return error.code, self._decode(error.read())

    @staticmethod
    def _decode(raw: bytes):
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def get(self, path: str):
        """A plain GET: (status, headers, body bytes)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=15) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def api(self, method: str, path: str, body=None, token: str | None = None):
        """Calls the API and returns the JSON; raises ApiFailure on an HTTP error."""
        status, payload = self.request(method, path, body, token)
        if status >= 400:
            raise ApiFailure(status, payload)
        return payload

    def register(self, email: str, password: str = "correct horse battery", name: str = "", timezone: str | None = None) -> str:
        body = {"email": email, "password": password, "name": name}
        if timezone:
            body["timezone"] = timezone
        return self.api("POST", "/api/v1/auth/register", body)["token"]

    def has_endpoint(self, method: str, path: str, body=None, token: str | None = None) -> bool:
        """False when the route does not exist (404); any other answer means it does."""
        status, _ = self.request(method, path, body, token)
        return status != 404


def make_driver(width: int = 1280, height: int = 860, dark: bool = False):
    """Headless Chromium through /usr/bin/chromedriver (or $CHROMEDRIVER), with the console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--disable-gpu")
    options.add_argument("--no-first-run")
    options.add_argument("--disable-extensions")
    options.add_argument("--lang=en-US")
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument("--force-device-scale-factor=1")
    if dark:
        options.add_argument("--force-dark-mode")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    binary = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    driver_path = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_window_size(width, height)
    return driver


def set_color_scheme(driver, scheme: str | None) -> None:
    """Emulates prefers-color-scheme (light, dark, or None for the default)."""
    features = [{"name": "prefers-color-scheme", "value": scheme}] if scheme else []
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": features})
