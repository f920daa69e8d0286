"""Signed webhook deliveries from a real `taskpilot serve` to a real HTTP receiver, verified as a receiver would."""

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server, soon  # noqa: E402


class Receiver:
    """An http.server on a loopback port that keeps every POST and answers the next status in `statuses` (the last repeats)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[dict] = []
        self.statuses = list(statuses or [204])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/taskpilot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.requests) < count:
            time.sleep(0.05)
        return self.requests

    def close(self) -> None:
        self.server.shutdown()


def verify(secret: str, request: dict) -> bool:
    """What a receiver does: recompute the HMAC over "<timestamp>.<body>" and compare in constant time."""
    timestamp = request["headers"]["X-Taskpilot-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Taskpilot-Signature"]) and abs(time.time() - int(timestamp)) < 300


@pytest.fixture(scope="module")
def server():
    running = Server({"TASKPILOT_DELIVERY_RETRY_BASE": "0.1", "TASKPILOT_WEBHOOK_ALLOW_PRIVATE": "true"})
    yield running
    running.stop()


def test_task_and_reminder_events_arrive_signed(server):
    receiver = Receiver()
    try:
        user = server.register("hooks@example.com")
        status, hook = server.request("POST", "/api/v1/webhooks", {"url": receiver.url, "events": ["task.created", "reminder.due"]},
                                      token=user["token"])
        assert status == 201 and hook["secret"].startswith("whsec_")
        status, task = server.request("POST", "/api/v1/tasks", {"title": "Call the bank", "due_at": soon(1.5), "reminders": [{"offset_minutes": 0}]},
                                      token=user["token"])
        assert status == 201
        requests = receiver.wait(2)
        time.sleep(0.5)
        assert [r["headers"]["X-Taskpilot-Event"] for r in receiver.requests] == ["task.created", "reminder.due"], server.logs()
        for request in requests:
            assert request["path"] == "/hooks/taskpilot"
            assert request["headers"]["Content-Type"] == "application/json"
            assert verify(hook["secret"], request)
            assert not verify("whsec_" + "0" * 64, request)
        created, reminder = (json.loads(r["body"]) for r in requests)
        assert created["specversion"] == "1.0" and created["type"] == "taskpilot.task.created"
        assert created["data"]["task_id"] == task["id"] and created["data"]["task_data"]["title"] == "Call the bank"
        assert reminder["type"] == "taskpilot.reminder.due" and reminder["data"]["task_id"] == task["id"]
        assert len({r["headers"]["X-Taskpilot-Delivery"] for r in requests}) == 2
        status, listed = server.request("GET", "/api/v1/webhooks", token=user["token"])
        assert status == 200 and [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    finally:
        receiver.close()


def test_failures_are_retried_with_the_same_delivery_id(server):
    receiver = Receiver([500, 503, 200])
    try:
        user = server.register("retry@example.com")
        status, hook = server.request("POST", "/api/v1/webhooks", {"url": receiver.url, "events": ["task.completed"]}, token=user["token"])
        assert status == 201
        _, task = server.request("POST", "/api/v1/tasks", {"title": "Retry me"}, token=user["token"])
        server.request("POST", f"/api/v1/tasks/{task['id']}/complete", token=user["token"])
        requests = receiver.wait(3, timeout=15)
        time.sleep(0.5)
        assert len(receiver.requests) == 3, server.logs()
        assert len({r["headers"]["X-Taskpilot-Delivery"] for r in requests}) == 1
        assert all(verify(hook["secret"], r) for r in requests)
        _, listed = server.request("GET", "/api/v1/webhooks", token=user["token"])
        assert listed[0]["failures"] == 0 and listed[0]["disabled_at"] is None
    finally:
        receiver.close()
