"""The Kafka bus end to end and under faults: tansu (a real Kafka-protocol broker) with librdkafka 2.16, PostgreSQL,
`taskpilot serve` and the four worker roles each in its own process."""

import asyncio
import collections
import json
import threading
import time

import websockets
from confluent_kafka import Consumer

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import Deployment  # noqa: E402
from conftest_server import next_message, soon  # noqa: E402


def all_tasks(deployment: Deployment, token: str) -> list[dict]:
    items, cursor = [], None
    while True:
        path = "/api/v1/tasks?status=all&limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, page = deployment.api.request("GET", path, token=token)
        assert status == 200, page
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def next_occurrences(deployment: Deployment, token: str) -> collections.Counter:
    """How many follow-up occurrences each series has."""
    return collections.Counter(task["series_id"] for task in all_tasks(deployment, token) if task["occurrence"] > 1)


def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 30) -> list:
    """Reads a topic from the start with a confluent-kafka consumer group of its own."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"pytest-{time.monotonic_ns()}", "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000, "max.poll.interval.ms": 30000,
    })
    consumer.subscribe([topic])
    messages = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
    finally:
        consumer.close()
    return messages


async def until(socket, done, timeout: float = 20.0) -> list[dict]:
    """Collects messages (without heartbeats) until `done(messages)` holds."""
    seen: list[dict] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while not done(seen):
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"gave up after {timeout} s; received {[(m['type'], m.get('task', {}).get('id')) for m in seen]}"
        message = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        if message["type"] != "heartbeat":
            seen.append(message)
    return seen


async def test_the_workers_run_as_processes_of_their_own(broker):
    with Deployment(broker) as deployment:
        token = deployment.api.register("kafka-e2e@example.com", timezone="Europe/Paris")["token"]
        async with websockets.connect(f"ws://127.0.0.1:{deployment.api.port}/api/v1/ws?access_token={token}") as socket:
            await next_message(socket, {"hello"})
            status, task = deployment.api.request("POST", "/api/v1/tasks", {
                "title": "Pay rent", "due_at": "2026-01-31T09:00", "tags": ["home"], "recurrence": {"frequency": "monthly"},
            }, token=token)
            assert status == 201
            # Live updates travel API → outbox → Kafka (task-updates) → the API's fan-out consumer → the socket. Order
            # is kept per task (the partition key), not across tasks, so collect until everything has arrived.
            deployment.api.request("POST", f"/api/v1/tasks/{task['id']}/complete", token=token)
            seen = await until(socket, lambda seen: {("task.created", task["id"]), ("task.completed", task["id"])} <= {
                (m["type"], m["task"]["id"]) for m in seen if "task" in m} and any(
                m["type"] == "task.created" and m["task"]["series_id"] == task["id"] and m["task"]["occurrence"] == 2 for m in seen))
            mine = [m["type"] for m in seen if m.get("task", {}).get("id") == task["id"]]
            assert mine == ["task.created", "task.completed"]
            # The recurring worker (its own process) created the next occurrence once; it arrived live too.
            following = next(m["task"] for m in seen if m["type"] == "task.created" and m["task"]["series_id"] == task["id"] and m["task"]["occurrence"] == 2)
            assert following["due_at"] == "2026-02-28T08:00:00Z"
            # The reminder scheduler and the notification worker (two more processes) deliver a reminder once.
            status, reminded = deployment.api.request("POST", "/api/v1/tasks", {
                "title": "Call the bank", "due_at": soon(1.5), "reminders": [{"offset_minutes": 0}],
            }, token=token)
            assert status == 201
            reminder = await next_message(socket, {"reminder.due"})
            assert reminder["task_id"] == reminded["id"]
            assert (await next_message(socket, {"notification"}))["notification"]["title"] == "Call the bank"
        # The audit worker recorded the history.
        history = deployment.wait_for(
            lambda: (h := deployment.api.request("GET", f"/api/v1/tasks/{task['id']}/history", token=token)[1]) and len(h) == 2 and h,
            what="two audit entries")
        assert [entry["action"] for entry in history] == ["created", "completed"]
        status, notifications = deployment.api.request("GET", "/api/v1/notifications", token=token)
        assert [n["title"] for n in notifications] == ["Call the bank"]
        assert next_occurrences(deployment, token) == {task["id"]: 1}
        # On the wire: CloudEvents keyed by task id on the prefixed topic.
        messages = read_topic(broker.bootstrap, deployment.env["TASKPILOT_TOPIC_PREFIX"] + "task-events", expected=4)
        events = [json.loads(message.value()) for message in messages]
        mine = [(message.key().decode(), event) for message, event in zip(messages, events) if event["subject"] == f"task/{task['id']}"]
        assert [event["type"] for _, event in mine] == ["taskpilot.task.created", "taskpilot.task.completed"]
        assert all(key == str(task["id"]) and event["specversion"] == "1.0" and event["data"]["task_id"] == task["id"] for key, event in mine)
        assert mine[1][1]["data"]["source"] == "api" and mine[1][1]["data"]["task_data"]["completed"] is True


def complete_in_background(deployment: Deployment, token: str, ids: list[int], pause: float) -> threading.Thread:
    def run() -> None:
        for task_id in ids:
            status, body = deployment.api.request("POST", f"/api/v1/tasks/{task_id}/complete", token=token)
            assert status == 200, body
            time.sleep(pause)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def create_recurring(deployment: Deployment, token: str, count: int) -> list[int]:
    ids = []
    for index in range(count):
        status, task = deployment.api.request("POST", "/api/v1/tasks", {
            "title": f"chore {index}", "due_at": "2026-03-01T08:00:00Z", "recurrence": {"frequency": "daily"},
        }, token=token)
        assert status == 201, task
        ids.append(task["id"])
    return ids


def assert_exactly_once(deployment: Deployment, token: str, ids: list[int]) -> None:
    """Every completion produced one next occurrence, and the audit log holds each change once."""
    deployment.wait_for(lambda: sum(next_occurrences(deployment, token).values()) >= len(ids), timeout=60, what="every next occurrence")
    time.sleep(1.5)  # anything doubled would show up by now
    assert next_occurrences(deployment, token) == {task_id: 1 for task_id in ids}
    for task_id in ids:
        history = deployment.wait_for(
            lambda: (lambda h: h if len(h) >= 2 else None)(deployment.api.request("GET", f"/api/v1/tasks/{task_id}/history", token=token)[1]),
            timeout=30, what=f"the history of task {task_id}")
        assert [entry["action"] for entry in history] == ["created", "completed"], (task_id, history)


def test_a_broker_outage_during_a_burst_loses_and_doubles_nothing(broker):
    with Deployment(broker) as deployment:
        token = deployment.api.register("kafka-outage@example.com")["token"]
        ids = create_recurring(deployment, token, 45)
        worker = complete_in_background(deployment, token, ids, pause=0.05)
        time.sleep(0.8)
        broker.stop(kill=True)  # tansu keeps its log in memory: what it held is gone
        time.sleep(2.0)  # writes keep succeeding meanwhile: the outbox holds their events
        broker.start()
        worker.join()
        assert_exactly_once(deployment, token, ids)


def test_a_worker_killed_mid_stream_resumes_without_loss_or_doubles(broker):
    with Deployment(broker) as deployment:
        token = deployment.api.register("kafka-kill@example.com")["token"]
        ids = create_recurring(deployment, token, 45)
        worker = complete_in_background(deployment, token, ids, pause=0.04)
        time.sleep(0.7)
        deployment.workers["recurring"].kill()  # SIGKILL: offsets of handled events may not be committed yet
        time.sleep(0.5)
        deployment.workers["recurring"].start()
        deployment.workers["audit"].kill()
        deployment.workers["audit"].start()
        worker.join()
        assert_exactly_once(deployment, token, ids)


def test_two_reminder_schedulers_fire_each_reminder_once(broker):
    with Deployment(broker, workers=("notifications",)) as deployment:
        deployment.add_worker("reminders", name="scheduler-1")
        deployment.add_worker("reminders", name="scheduler-2")
        token = deployment.api.register("kafka-reminders@example.com")["token"]
        due = soon(3)
        titles = []
        for index in range(30):
            title = f"reminder {index}"
            status, _ = deployment.api.request("POST", "/api/v1/tasks", {"title": title, "due_at": due, "reminders": [{"offset_minutes": 0}]}, token=token)
            assert status == 201
            titles.append(title)
        deployment.wait_for(
            lambda: len(deployment.api.request("GET", "/api/v1/notifications?limit=100", token=token)[1]) >= 30, timeout=30, what="30 notifications")
        time.sleep(1.5)
        status, notifications = deployment.api.request("GET", "/api/v1/notifications?limit=100", token=token)
        assert sorted(n["title"] for n in notifications) == sorted(titles)


def test_a_replica_started_while_the_broker_is_down_follows_the_broker_once_it_is_back(broker):
    """The API process starts with the broker down and a write waiting to be published: publishing and the bus epoch
    check both wait for the topics. Both must go on once the broker is back (the second waiter used to replace the
    first, whose task then waited for good: that replica never noticed a later broker restart and its consumers read
    past the end of the new log)."""
    broker.stop(kill=True)
    try:
        with Deployment(broker, workers=("audit",)) as deployment:
            token = deployment.api.register("kafka-late-broker@example.com")["token"]
            status, first = deployment.api.request("POST", "/api/v1/tasks", {"title": "written while the broker is down"}, token=token)
            assert status == 201
            time.sleep(16)  # the topics' creation gives up after 15 s
            broker.start()
            deployment.wait_for(lambda: history_has(deployment, token, first["id"], "created"), timeout=60, what="the first task audited")
            log = Path(deployment.api.folder, "server.log")
            assert "CONTINUATION MISUSE" not in log.read_text()
            broker.stop(kill=True)  # the new broker has lost the log: the replica must see the new epoch
            broker.start()
            deployment.wait_for(lambda: log.read_text().count("new bus epoch") >= 1, timeout=60, what="the replica to see the new bus epoch")
            status, second = deployment.api.request("POST", "/api/v1/tasks", {"title": "after the restart"}, token=token)
            assert status == 201
            deployment.wait_for(lambda: history_has(deployment, token, second["id"], "created"), timeout=60, what="the second task audited")
    finally:
        if broker.process is None:
            broker.start()


def history_has(deployment: Deployment, token: str, task_id: int, action: str) -> bool:
    status, history = deployment.api.request("GET", f"/api/v1/tasks/{task_id}/history", token=token)
    return status == 200 and any(entry["action"] == action for entry in history)
