"""Taskpilot on the Kafka bus: tansu as the broker, PostgreSQL as the database, `serve` and each worker role as
processes of their own."""

import os
import secrets
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server, free_port  # noqa: E402
from kafka_support import Broker, librdkafka_env  # noqa: E402

ROLES = ("recurring", "reminders", "notifications", "audit")


def fresh_database() -> str:
    """A new, empty PostgreSQL database on the server `scripts/with-postgres.sh` started."""
    base = os.environ.get("TASKPILOT_TEST_POSTGRES_URL")
    if not base:
        pytest.fail("TASKPILOT_TEST_POSTGRES_URL is not set: run this suite through `make test-kafka` (scripts/with-postgres.sh)")
    name = "kafka_" + secrets.token_hex(4)
    subprocess.run(["psql", base, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return urllib.parse.urlunparse(urllib.parse.urlparse(base)._replace(path="/" + name))


class Deployment:
    """One API process and one process per worker role, all on the Kafka bus and one database."""

    def __init__(self, broker: Broker, workers: tuple[str, ...] = ROLES, api_workers: str = "none") -> None:
        self.broker = broker
        self.database = fresh_database()
        self.env = {
            "TASKPILOT_DATABASE_URL": self.database,
            "TASKPILOT_EVENT_BUS": "kafka",
            "TASKPILOT_KAFKA_BROKERS": broker.bootstrap,
            "TASKPILOT_TOPIC_PREFIX": f"t{secrets.token_hex(3)}.",
            "TASKPILOT_JWT_SECRET": secrets.token_hex(32),
            "TASKPILOT_LOG_LEVEL": "info",
            **librdkafka_env(),
        }
        self.api = Server(extra_env={**self.env, "TASKPILOT_WORKERS": api_workers})
        self.workers: dict[str, Server] = {}
        for role in workers:
            self.add_worker(role)

    def add_worker(self, role: str, name: str | None = None) -> Server:
        worker = Server(extra_env={**self.env, "TASKPILOT_WORKERS": "none"}, command=["worker", role], port=free_port())
        self.workers[name or role] = worker
        return worker

    def wait_for(self, check, timeout: float = 30, every: float = 0.2, what: str = "condition"):
        """Polls `check` until it returns something truthy; fails with the logs when the time is up."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(every)
        raise AssertionError(f"timed out waiting for {what}; last value {last!r}")

    def __enter__(self) -> "Deployment":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if error is not None:
            print(self.all_logs())
        self.stop()

    def all_logs(self) -> str:
        """Each process's log without the per-request lines."""
        parts = []
        for name, process in {"api": self.api, **self.workers}.items():
            lines = [line for line in Path(process.folder, "server.log").read_text().splitlines() if " request" not in line and "Migrat" not in line]
            parts.append(f"--- {name}\n" + "\n".join(lines[-60:]))
        return "\n".join(parts)

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        self.api.stop()


@pytest.fixture(scope="module")
def broker():
    running = Broker()
    yield running
    running.stop()
