"""Taskpilot's Dapr event bus end to end: the real `taskpilot serve` (TASKPILOT_EVENT_BUS=dapr) publishing through,
subscribing through and receiving job callbacks from the daprd stand-in of sidecar.py, checked through the app's public
HTTP API, its WebSocket, and what the sidecar saw.

The app's side of the contract (DESIGN §5 "Dapr mode"):
  - publish: POST {dapr}/v1.0/publish/{pubsub}/{prefix}{task-events|reminders|task-updates}, Content-Type
    application/cloudevents+json, the body being the CloudEvent of §5;
  - GET /dapr/subscribe lists the topics the process handles, routes /dapr/events/{topic};
  - POST /dapr/events/{topic} answers {"status": SUCCESS | RETRY | DROP}, without user auth;
  - with TASKPILOT_REMINDER_SCHEDULER=dapr-jobs: job `taskpilot-reminders` scheduled at start, due reminders fired when
    the sidecar calls POST /job/taskpilot-reminders.
"""

import asyncio
import collections
import datetime
import json
import time
import uuid

import pytest
import websockets

from conftest import PUBSUB, Stack, call
from conftest_server import next_message, soon
from sidecar import parse_schedule

TOPICS = ["task-events", "reminders", "task-updates"]
JOB = "taskpilot-reminders"
ACTIONS = ["created", "updated", "completed", "reopened", "deleted"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("dapr-bus"))
    yield running
    running.stop()


# --- helpers -------------------------------------------------------------------------------------------------------


def events_of(state: dict, topic: str, task_id: int) -> list[dict]:
    messages = state["topics"].get(topic, {}).get("messages", [])
    return [m for m in messages if isinstance(m.get("data"), dict) and m["data"].get("task_id") == task_id]


def wait_events(stack: Stack, topic: str, task_id: int, count: int, timeout: float = 10) -> list[dict]:
    """The CloudEvents published on `topic` for this task, once there are at least `count` and the app acked them."""
    def done(state):
        found = events_of(state, stack.topic(topic), task_id)
        pending = state["topics"].get(stack.topic(topic), {}).get("pending", {})
        return found if len(found) >= count and not any(pending.values()) else None
    return stack.sidecar.wait_until(done, timeout, f"{count} event(s) on {topic} for task {task_id}")


def poll(fetch, check, timeout: float = 10, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s; last: {json.dumps(value, default=str)[:2000]}")
        time.sleep(0.1)


def api(stack: Stack, method: str, path: str, token: str, body=None):
    return stack.server.request(method, path, body, token=token)


def history(stack: Stack, task_id: int, token: str, count: int, timeout: float = 10) -> list[dict]:
    return poll(lambda: api(stack, "GET", f"/api/v1/tasks/{task_id}/history", token)[1],
                lambda h: isinstance(h, list) and len(h) >= count, timeout, f"{count} history entries of task {task_id}")


# --- subscriptions --------------------------------------------------------------------------------------------------


def test_the_app_subscribes_to_its_three_topics(stack):
    status, subscriptions, _ = call("GET", stack.server.url + "/dapr/subscribe")
    assert status == 200, subscriptions
    found = sorted((s["pubsubname"], s["topic"], s.get("route") or s["routes"]["default"]) for s in subscriptions)
    assert found == sorted((PUBSUB, stack.topic(t), f"/dapr/events/{t}") for t in TOPICS)
    state = stack.sidecar.state()
    assert sorted((s["pubsubname"], s["topic"], s["route"]) for s in state["subscriptions"]) == found
    status, metadata, _ = call("GET", stack.sidecar.url + "/v1.0/metadata")
    assert {s["topic"] for s in metadata["subscriptions"]} == {stack.topic(t) for t in TOPICS}


# --- publishing -----------------------------------------------------------------------------------------------------


def test_task_changes_are_published_as_cloudevents_on_the_right_topics(stack):
    user = stack.server.register("events@example.com")
    token, user_id = user["token"], user["user"]["id"]
    status, task = api(stack, "POST", "/api/v1/tasks", token, {"title": "Write the report", "priority": "high", "tags": ["work"]})
    assert status == 201
    assert api(stack, "PATCH", f"/api/v1/tasks/{task['id']}", token, {"priority": "low"})[0] == 200
    assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/complete", token)[0] == 200
    assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/reopen", token)[0] == 200
    assert api(stack, "DELETE", f"/api/v1/tasks/{task['id']}", token)[0] in (200, 204)

    events = wait_events(stack, "task-events", task["id"], 5)
    assert [e["type"] for e in events] == [f"taskpilot.task.{a}" for a in ACTIONS]  # in order: keyed by task
    for event, action in zip(events, ACTIONS):
        assert event["specversion"] == "1.0" and uuid.UUID(event["id"])
        assert event["source"] and str(task["id"]) in str(event["subject"])
        assert datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        assert event["datacontenttype"].startswith("application/json")
        assert event["topic"] == stack.topic("task-events") and event["pubsubname"] == PUBSUB
        data = event["data"]
        assert data["event_type"] == action and data["task_id"] == task["id"] and data["user_id"] == user_id
        assert data["source"] == "api" and data["timestamp"]
    assert events[0]["data"]["task_data"]["title"] == "Write the report"
    assert events[0]["data"]["task_data"]["tags"] == ["work"] and events[1]["data"]["task_data"]["priority"] == "low"
    assert events[2]["data"]["task_data"]["completed"] is True
    assert len({e["id"] for e in events}) == 5

    updates = wait_events(stack, "task-updates", task["id"], 5)
    assert len(updates) == 5 and {u["type"] for u in updates} == {"taskpilot.task.changed"}
    assert all(u["data"]["user_id"] == user_id and u["data"]["change"] for u in updates)
    assert updates[0]["data"]["task"]["title"] == "Write the report"
    assert events_of(stack.sidecar.state(), stack.topic("reminders"), task["id"]) == []
    # Every one of them was delivered back to the app and acked (SUCCESS), none dropped.
    state = stack.sidecar.state()
    ids = {e["id"] for e in events + updates}
    outcomes = {a["outcome"] for a in state["attempts"] if a["id"] in ids}
    assert outcomes == {"success"}, [a for a in state["attempts"] if a["id"] in ids]
    assert not [d for d in state["dropped"] if d["id"] in ids]


# --- workers through the bus ----------------------------------------------------------------------------------------


def test_history_records_every_change_through_the_audit_worker(stack):
    user = stack.server.register("history@example.com")
    token = user["token"]
    status, task = api(stack, "POST", "/api/v1/tasks", token, {"title": "Audit me"})
    for action in ("complete", "reopen", "complete"):
        assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/{action}", token)[0] == 200
    entries = history(stack, task["id"], token, 4)
    time.sleep(0.5)
    entries = api(stack, "GET", f"/api/v1/tasks/{task['id']}/history", token)[1]
    assert [e["action"] for e in entries] == ["created", "completed", "reopened", "completed"]
    assert {e["source"] for e in entries} == {"api"} and entries[0]["after"]["title"] == "Audit me"
    events = wait_events(stack, "task-events", task["id"], 4)
    assert sorted(e["event_id"] for e in entries if e.get("event_id")) in ([], sorted(ev["id"] for ev in events))


def test_completing_a_recurring_task_yields_exactly_one_next_occurrence(stack):
    user = stack.server.register("recurring@example.com")
    token = user["token"]
    status, task = api(stack, "POST", "/api/v1/tasks", token, {
        "title": "Water the plants", "due_at": "2026-06-01T08:00:00Z", "tags": ["home"],
        "recurrence": {"frequency": "daily"}})
    assert status == 201
    assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/complete", token)[0] == 200
    page = poll(lambda: api(stack, "GET", "/api/v1/tasks?status=all&tags=home", token)[1],
                lambda p: len(p["items"]) >= 2, 10, "the next occurrence")
    following = next(i for i in page["items"] if i["id"] != task["id"])
    assert following["series_id"] == task["id"] and following["occurrence"] == 2
    assert following["due_at"] == "2026-06-02T08:00:00Z" and following["status"] == "pending"
    # Reopen (an undo) takes back the untouched occurrence 2; complete again: one occurrence 2 once more.
    assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/reopen", token)[0] == 200
    assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/complete", token)[0] == 200
    wait_events(stack, "task-events", task["id"], 4)
    page = poll(lambda: api(stack, "GET", "/api/v1/tasks?status=all&tags=home", token)[1],
                lambda p: len(p["items"]) >= 2 and following["id"] not in [i["id"] for i in p["items"]], 10, "occurrence 2 again")
    time.sleep(0.5)
    page = api(stack, "GET", "/api/v1/tasks?status=all&tags=home", token)[1]
    assert sorted(i["occurrence"] for i in page["items"]) == [1, 2]
    entries = history(stack, following["id"], token, 2)
    assert [(e["action"], e["source"]) for e in entries] == [("created", "system"), ("deleted", "system")]


def test_redelivered_events_are_applied_once(stack):
    """At least once: the sidecar delivers every task event a second time; nothing may happen twice."""
    user = stack.server.register("redelivery@example.com")
    token = user["token"]
    status, task = api(stack, "POST", "/api/v1/tasks", token, {
        "title": "Feed the cat", "due_at": "2026-06-01T07:00:00Z", "tags": ["cat"], "recurrence": {"frequency": "daily"}})
    assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/complete", token)[0] == 200
    poll(lambda: api(stack, "GET", "/api/v1/tasks?status=all&tags=cat", token)[1], lambda p: len(p["items"]) == 2, 10, "occurrence 2")
    wait_events(stack, "task-events", task["id"], 2)
    before = history(stack, task["id"], token, 2)
    topic = stack.topic("task-events")
    delivered = stack.sidecar.state()["counters"][topic]["delivered"]
    copies = stack.sidecar.redeliver(topic)
    assert copies >= 2
    stack.sidecar.wait_until(lambda s: s["counters"][topic]["delivered"] + s["counters"][topic]["dropped"] >= delivered + copies,
                             15, "the redelivered copies to be handled")
    redelivered = [a for a in stack.sidecar.state()["attempts"] if a["topic"] == topic and a["id"] == task_events_id(stack, task)]
    assert len([a for a in redelivered if a["outcome"] == "success"]) >= 2  # the duplicate was acked, not dropped or retried
    time.sleep(0.5)
    page = api(stack, "GET", "/api/v1/tasks?status=all&tags=cat", token)[1]
    assert sorted(i["occurrence"] for i in page["items"]) == [1, 2]
    assert api(stack, "GET", f"/api/v1/tasks/{task['id']}/history", token)[1] == before


def task_events_id(stack: Stack, task: dict) -> str:
    return events_of(stack.sidecar.state(), stack.topic("task-events"), task["id"])[0]["id"]


# --- reminders through the Jobs API ---------------------------------------------------------------------------------


def test_the_reminder_job_is_scheduled_in_the_sidecar(stack):
    status, job, _ = call("GET", f"{stack.sidecar.url}/v1.0-alpha1/jobs/{JOB}")
    assert status == 200, job
    assert job["name"] == JOB and "schedule" in job
    timer, _ = parse_schedule(job["schedule"])
    assert timer.next_after(0) <= 1.0, f"{job['schedule']} fires less than once a second"
    stack.sidecar.wait_until(lambda s: s["jobs"][JOB]["succeeded"] >= 1, 5, "a job callback the app acked")
    calls = stack.sidecar.state()["jobs"][JOB]["calls"]
    assert calls and all(c["status"] is not None and 200 <= c["status"] < 300 for c in calls), calls


def test_a_due_reminder_becomes_exactly_one_notification(stack):
    user = stack.server.register("reminder@example.com")
    token, user_id = user["token"], user["user"]["id"]
    status, task = api(stack, "POST", "/api/v1/tasks", token, {
        "title": "Call the bank", "due_at": soon(2), "reminders": [{"offset_minutes": 0}]})
    assert status == 201
    notifications = poll(lambda: api(stack, "GET", "/api/v1/notifications", token)[1], lambda n: len(n) >= 1, 10,
                         "the notification")
    assert [n["title"] for n in notifications] == ["Call the bank"]
    [event] = wait_events(stack, "reminders", task["id"], 1)
    assert event["type"] == "taskpilot.reminder.due" and uuid.UUID(event["id"])
    data = event["data"]
    assert data["title"] == "Call the bank" and data["user_id"] == user_id
    assert data["reminder_id"] == task["reminders"][0]["id"] and data["due_at"] and data["remind_at"]
    time.sleep(2.0)  # two more job ticks: nothing fires again
    assert len(api(stack, "GET", "/api/v1/notifications", token)[1]) == 1
    assert len(events_of(stack.sidecar.state(), stack.topic("reminders"), task["id"])) == 1
    assert api(stack, "GET", f"/api/v1/tasks/{task['id']}", token)[1]["reminders"][0]["fired_at"]


def test_reminders_wait_for_the_job_callback(stack):
    """With dapr-jobs the app does not poll by itself: no job tick, no reminder; the next tick fires it."""
    user = stack.server.register("held-reminder@example.com")
    token = user["token"]
    stack.sidecar.pause_jobs()
    try:
        time.sleep(0.3)  # let a callback already under way finish
        status, task = api(stack, "POST", "/api/v1/tasks", token, {
            "title": "Renew the passport", "due_at": soon(1), "reminders": [{"offset_minutes": 0}]})
        assert status == 201
        time.sleep(3.0)
        assert api(stack, "GET", "/api/v1/notifications", token)[1] == [], "a reminder fired without a job callback"
    finally:
        stack.sidecar.resume_jobs()
    notifications = poll(lambda: api(stack, "GET", "/api/v1/notifications", token)[1], lambda n: len(n) >= 1, 5,
                         "the notification after the job resumed")
    assert [n["title"] for n in notifications] == ["Renew the passport"]


# --- realtime -------------------------------------------------------------------------------------------------------


async def test_websocket_sessions_get_task_updates_through_the_sidecar(stack):
    user = stack.server.register("live@example.com")
    token = user["token"]
    async with websockets.connect(f"ws://127.0.0.1:{stack.server.port}/api/v1/ws?access_token={token}") as socket:
        await next_message(socket, {"hello"})
        status, task = api(stack, "POST", "/api/v1/tasks", token, {"title": "live one"})
        created = await next_message(socket, {"task.created"})
        assert created["task"]["id"] == task["id"] and created["task"]["title"] == "live one"
        api(stack, "PATCH", f"/api/v1/tasks/{task['id']}", token, {"priority": "urgent"})
        assert (await next_message(socket, {"task.updated"}))["task"]["priority"] == "urgent"
        api(stack, "POST", f"/api/v1/tasks/{task['id']}/complete", token)
        assert (await next_message(socket, {"task.completed"}))["task"]["completed"] is True
        # The push comes from the task-updates delivery: hold deliveries and nothing arrives.
        stack.sidecar.pause_delivery()
        try:
            status, held = api(stack, "POST", "/api/v1/tasks", token, {"title": "held back"})
            with pytest.raises(asyncio.TimeoutError):
                await next_message(socket, {"task.created"}, timeout=1.0)
        finally:
            stack.sidecar.resume_delivery()
        created = await next_message(socket, {"task.created"}, timeout=5)
        assert created["task"]["id"] == held["id"]


# --- bad deliveries -------------------------------------------------------------------------------------------------


def test_undeliverable_events_are_answered_drop(stack):
    base = f"{stack.server.url}/dapr/events"
    headers = {"Content-Type": "application/cloudevents+json"}
    no_id = {"specversion": "1.0", "type": "taskpilot.task.created", "source": "test", "datacontenttype": "application/json",
             "data": {"event_type": "created", "task_id": 1}}
    cases = {
        "not JSON": ("task-events", b"this is not a cloud event"),
        "not a CloudEvent": ("task-events", json.dumps([1, 2, 3]).encode()),
        "no id": ("task-events", json.dumps(no_id).encode()),
        "not a Taskpilot event": ("task-events", json.dumps({**no_id, "id": str(uuid.uuid4()), "type": "com.dapr.event.sent"}).encode()),
        "a topic the app does not have": ("no-such-topic", json.dumps({**no_id, "id": str(uuid.uuid4())}).encode()),
    }
    # No Authorization header: these routes are the sidecar's.
    answers = {name: call("POST", f"{base}/{topic}", body, headers)[:2] for name, (topic, body) in cases.items()}
    assert answers == {name: (200, {"status": "DROP"}) for name in cases}


def test_an_event_on_the_wrong_route_is_not_applied(stack):
    """A reminder CloudEvent delivered on the task-events route: never retried, never turned into a notification."""
    user = stack.server.register("misrouted@example.com")
    token = user["token"]
    status, task = api(stack, "POST", "/api/v1/tasks", token, {
        "title": "Misrouted", "due_at": "2030-01-01T09:00:00Z", "reminders": [{"offset_minutes": 60}]})
    event = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "test", "type": "taskpilot.reminder.due",
             "subject": str(task["id"]), "datacontenttype": "application/json", "topic": stack.topic("reminders"),
             "data": {"task_id": task["id"], "title": "Misrouted", "due_at": task["due_at"], "remind_at": task["due_at"],
                      "user_id": user["user"]["id"], "reminder_id": task["reminders"][0]["id"]}}
    status, answer, _ = call("POST", f"{stack.server.url}/dapr/events/task-events", json.dumps(event).encode(),
                             {"Content-Type": "application/cloudevents+json"})
    assert status == 200 and answer["status"] in ("DROP", "SUCCESS"), answer  # the contract asks DROP; never RETRY
    time.sleep(0.5)
    assert api(stack, "GET", "/api/v1/notifications", token)[1] == []
    assert api(stack, "GET", f"/api/v1/tasks/{task['id']}", token)[1]["reminders"][0]["fired_at"] is None


def test_the_sidecar_drops_what_the_app_refuses_and_moves_on(stack):
    topic = stack.topic("task-events")
    bad = {"specversion": "1.0", "type": "taskpilot.task.created", "source": "test", "data": {"task_id": 1}}  # no id
    status, _, _ = call("POST", f"{stack.sidecar.url}/v1.0/publish/{PUBSUB}/{topic}", json.dumps(bad).encode(),
                        {"Content-Type": "application/cloudevents+json"})
    assert status == 204
    status, _, _ = call("POST", f"{stack.sidecar.url}/v1.0/publish/{PUBSUB}/{topic}", {"hello": "world"})  # wrapped by Dapr
    assert status == 204
    stack.sidecar.wait_until(lambda s: not any(s["topics"][topic]["pending"].values()), 10, "both handled")
    state = stack.sidecar.state()
    dropped = [d for d in state["dropped"] if d["topic"] == topic and d["id"] is None]
    assert [(d["reason"], d["status"]) for d in dropped] == [("DROP", 200)]
    wrapped = state["topics"][topic]["messages"][-1]
    assert wrapped["type"] == "com.dapr.event.sent"
    outcome = [a["outcome"] for a in state["attempts"] if a["id"] == wrapped["id"]]
    assert outcome and outcome[-1] in ("DROP", "success") and "retry" not in outcome, outcome  # never retried forever
    # The topic still flows.
    user = stack.server.register("after-drop@example.com")
    status, task = api(stack, "POST", "/api/v1/tasks", user["token"], {"title": "still flowing"})
    wait_events(stack, "task-events", task["id"], 1)


# --- outage -----------------------------------------------------------------------------------------------------------


def test_a_publish_outage_delays_events_but_loses_none(stack):
    user = stack.server.register("outage@example.com")
    token = user["token"]
    stack.sidecar.pause()
    try:
        tasks = []
        for n in range(4):
            status, task = api(stack, "POST", "/api/v1/tasks", token, {"title": f"during the outage {n}"})
            assert status == 201, task  # writes do not wait for the broker
            tasks.append(task)
        for task in tasks[:2]:
            assert api(stack, "POST", f"/api/v1/tasks/{task['id']}/complete", token)[0] == 200
        stack.sidecar.wait_until(lambda s: s["publish_rejected"] > 0, 10, "the app trying to publish")
        time.sleep(1.0)
        state = stack.sidecar.state()
        assert all(events_of(state, stack.topic("task-events"), t["id"]) == [] for t in tasks)
    finally:
        stack.sidecar.resume()
    for task in tasks:
        expected = 2 if task in tasks[:2] else 1
        events = wait_events(stack, "task-events", task["id"], expected, timeout=30)
        assert [e["data"]["event_type"] for e in events] == ["created", "completed"][:expected]
        wait_events(stack, "task-updates", task["id"], expected, timeout=10)
    entries = history(stack, tasks[0]["id"], token, 2)
    assert [e["action"] for e in entries] == ["created", "completed"]
    time.sleep(1.0)  # a late duplicate would show up now
    state = stack.sidecar.state()
    for topic in TOPICS:
        ids = [m["id"] for m in state["topics"].get(stack.topic(topic), {}).get("messages", [])
               if m.get("id") and str(m.get("type", "")).startswith("taskpilot.")]
        duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
        assert duplicates == [], f"{topic}: published more than once: {duplicates}"
    for task in tasks:
        assert len(events_of(state, stack.topic("task-events"), task["id"])) == (2 if task in tasks[:2] else 1)


# --- restart ----------------------------------------------------------------------------------------------------------


def test_a_restarted_app_takes_over_its_existing_job(stack):
    """The scheduler keeps jobs across app restarts: scheduling `taskpilot-reminders` again must not fail."""
    stack.server.stop()
    stack.start_server()
    job = stack.sidecar.state()["jobs"].get(JOB)
    assert job is not None
    conflicts = [line for line in stack.sidecar.state()["log"]
                 if line.get("path", "").endswith(f"/jobs/{JOB}") and line.get("status") == 500]
    user = stack.server.register("after-restart@example.com")
    status, task = api(stack, "POST", "/api/v1/tasks", user["token"], {
        "title": "Reminder after restart", "due_at": soon(1), "reminders": [{"offset_minutes": 0}]})
    notifications = poll(lambda: api(stack, "GET", "/api/v1/notifications", user["token"])[1], lambda n: len(n) >= 1, 10,
                         "a reminder after the restart")
    assert [n["title"] for n in notifications] == ["Reminder after restart"]
    # daprd answers 500 to a second POST of an existing job without "overwrite": true; the app should not need it.
    assert conflicts == [], f"the app re-scheduled {JOB} without overwrite: {conflicts[0]['message']}"


# --- topic prefix -----------------------------------------------------------------------------------------------------


def test_a_topic_prefix_names_every_topic(tmp_path):
    prefixed = Stack(tmp_path, prefix="acme.")
    try:
        status, subscriptions, _ = call("GET", prefixed.server.url + "/dapr/subscribe")
        assert sorted(s["topic"] for s in subscriptions) == sorted(f"acme.{t}" for t in TOPICS)
        user = prefixed.server.register("prefix@example.com")
        status, task = prefixed.server.request("POST", "/api/v1/tasks", {"title": "prefixed"}, token=user["token"])
        wait_events(prefixed, "task-events", task["id"], 1)
        wait_events(prefixed, "task-updates", task["id"], 1)
        assert set(prefixed.sidecar.state()["topics"]) <= {f"acme.{t}" for t in TOPICS}
    finally:
        prefixed.stop()


# --- API tokens -------------------------------------------------------------------------------------------------------


def test_api_tokens_guard_both_directions(tmp_path):
    """Dapr's DAPR_API_TOKEN (app -> sidecar) and APP_API_TOKEN (sidecar -> app), both sent as dapr-api-token."""
    guarded = Stack(tmp_path, extra_env={"TASKPILOT_DAPR_API_TOKEN": "to-the-sidecar", "TASKPILOT_DAPR_APP_TOKEN": "to-the-app"},
                    sidecar_options={"dapr_api_token": "to-the-sidecar", "app_api_token": "to-the-app"})
    try:
        assert len(guarded.sidecar.state()["subscriptions"]) == len(TOPICS)
        user = guarded.server.register("tokens@example.com")
        status, task = guarded.server.request("POST", "/api/v1/tasks", {"title": "guarded"}, token=user["token"])
        [event] = wait_events(guarded, "task-events", task["id"], 1)  # published with the token, delivered with the other
        assert history(guarded, task["id"], user["token"], 1)[0]["action"] == "created"
        guarded.sidecar.wait_until(lambda s: s["jobs"][JOB]["succeeded"] >= 1, 5, "a job callback with the token")
        # Without the token the app refuses the sidecar's routes, and the sidecar the app's calls.
        assert call("GET", guarded.server.url + "/dapr/subscribe")[0] == 401
        assert call("POST", guarded.server.url + "/dapr/events/task-events", json.dumps(event).encode(),
                    {"Content-Type": "application/cloudevents+json"})[0] == 401
        assert call("POST", f"{guarded.server.url}/job/{JOB}", b"")[0] == 401
        assert call("POST", f"{guarded.sidecar.url}/v1.0/publish/{PUBSUB}/task-events", {"a": 1})[0] == 401
    finally:
        guarded.stop()
