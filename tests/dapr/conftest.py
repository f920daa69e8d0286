"""Shared pieces of the Dapr suites: a small HTTP helper, and the stack of the end-to-end tests (the daprd stand-in of
sidecar.py in front of a real `taskpilot serve` with TASKPILOT_EVENT_BUS=dapr)."""

import contextlib
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import conftest_server  # noqa: E402
from sidecar import Sidecar  # noqa: E402

PUBSUB = "taskpilot-pubsub"
UNSUPPORTED = "is not available in this build"


def call(method: str, url: str, body=None, headers: dict | None = None, timeout: float = 10) -> tuple[int, object, dict]:
    """(status, parsed JSON or text or None, headers) of one request; `body` is JSON unless it is bytes."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None and not isinstance(body, bytes):
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, got = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), dict(error.headers)
    if not raw:
        return status, None, got
    try:
        return status, json.loads(raw), got
    except ValueError:
        return status, raw.decode(errors="replace"), got


@contextlib.contextmanager
def server_on_port(port: int):
    """conftest_server.Server picks its own port; the sidecar must know it first, so hand it ours."""
    original = conftest_server.free_port
    conftest_server.free_port = lambda: port
    try:
        yield
    finally:
        conftest_server.free_port = original


class Stack:
    """The sidecar stand-in (started first, as daprd is, on the app port chosen here) and `taskpilot serve`."""

    def __init__(self, folder: Path, extra_env: dict[str, str] | None = None, prefix: str = "",
                 sidecar_options: dict | None = None) -> None:
        self.app_port = conftest_server.free_port()
        self.prefix = prefix
        self.sidecar = Sidecar(self.app_port, pubsub=PUBSUB, log_file=str(folder / "sidecar.log"), **(sidecar_options or {})).start()
        env = {
            "TASKPILOT_EVENT_BUS": "dapr",
            "TASKPILOT_DAPR_HTTP_ENDPOINT": self.sidecar.url,
            "TASKPILOT_DAPR_PUBSUB": PUBSUB,
            "TASKPILOT_WORKERS": "recurring,reminders,notifications,audit",
            "TASKPILOT_REMINDER_SCHEDULER": "dapr-jobs",
            "TASKPILOT_LOG_LEVEL": "info",
        }
        if prefix:
            env["TASKPILOT_TOPIC_PREFIX"] = prefix
        env.update(extra_env or {})
        self.env = env
        self.server = None
        self.start_server()

    def start_server(self) -> None:
        try:
            with server_on_port(self.app_port):
                self.server = conftest_server.Server(extra_env=self.env)
        except RuntimeError as error:
            self.sidecar.stop()
            if UNSUPPORTED in str(error):
                pytest.skip(f"this taskpilot binary has no Dapr bus yet: {str(error).strip()[-200:]}")
            raise
        # The sidecar reads /dapr/subscribe once the app listens, as daprd does.
        self.sidecar.wait_until(lambda s: s["ready"], 10, "subscription discovery")

    def topic(self, name: str) -> str:
        return self.prefix + name

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.sidecar.stop()
