"""The daprd stand-in on its own, against a tiny scripted app: it must behave as daprd does, or the Taskpilot Dapr
suite proves nothing. Each behaviour here is one the app relies on (or must survive) with a real daprd."""

import datetime
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import call
from conftest_server import free_port
from sidecar import Cron, Sidecar, parse_go_duration, parse_schedule, parse_time_point

PUBSUB = "taskpilot-pubsub"
HERE = Path(__file__).resolve().parent


class FakeApp:
    """An app for the sidecar: serves /dapr/subscribe, answers deliveries and job calls as scripted, records all."""

    def __init__(self, subscriptions, port: int | None = None) -> None:
        self.port = port or free_port()
        self.subscriptions = subscriptions  # None: /dapr/subscribe is a 404
        self.subscribe_failures = 0  # answer 503 to the first N GET /dapr/subscribe
        self.subscribe_calls = 0
        self.answer = lambda route, event, attempt: (200, b'{"status":"SUCCESS"}')
        self.job_answer = lambda name, attempt: (200, b"")
        self.delay = 0.0
        self.received: list[dict] = []  # every delivery: route, headers, event, time
        self.job_calls: list[dict] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> "FakeApp":
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/dapr/subscribe":
                    with app.lock:
                        app.subscribe_calls += 1
                        failing = app.subscribe_calls <= app.subscribe_failures
                    if failing:
                        self.reply(503, b"not yet")
                    elif app.subscriptions is None:
                        self.reply(404, b"")
                    else:
                        self.reply(200, json.dumps(app.subscriptions).encode())
                else:
                    self.reply(404, b"")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path.startswith("/job/"):
                    name = self.path[len("/job/"):]
                    with app.lock:
                        app.job_calls.append({"name": name, "headers": headers, "body": body, "time": time.monotonic()})
                        attempt = sum(1 for c in app.job_calls if c["name"] == name)
                    self.reply(*app.job_answer(name, attempt))
                    return
                route = self.path
                event = json.loads(body)
                with app.lock:
                    app.received.append({"route": route, "headers": headers, "event": event, "time": time.monotonic()})
                    attempt = sum(1 for r in app.received if r["route"] == route and r["event"].get("id") == event.get("id"))
                    app.in_flight[route] = app.in_flight.get(route, 0) + 1
                    app.max_in_flight[route] = max(app.max_in_flight.get(route, 0), app.in_flight[route])
                try:
                    if app.delay:
                        time.sleep(app.delay)
                    answer = app.answer(route, event, attempt)
                finally:
                    # Out of flight before the answer leaves: once it has, the sidecar may rightly send the next one
                    # before this thread runs again.
                    with app.lock:
                        app.in_flight[route] -= 1
                self.reply(*answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, route: str) -> list[dict]:
        with self.lock:
            return [r["event"] for r in self.received if r["route"] == route]


def subscription(topic: str, route: str, pubsub: str = PUBSUB) -> dict:
    return {"pubsubname": pubsub, "topic": topic, "route": route}


@pytest.fixture
def stack(tmp_path):
    """An app subscribed to topic t1 (route /t1) and t2 (v2 shape, route /t2), and a sidecar for it."""
    app = FakeApp([subscription("t1", "/t1"),
                   {"pubsubname": PUBSUB, "topic": "t2", "routes": {"rules": [], "default": "/t2"}},
                   subscription("elsewhere", "/x", pubsub="not-a-component")]).start()
    sidecar = Sidecar(app.port, pubsub=PUBSUB, log_file=str(tmp_path / "sidecar.log")).start()
    sidecar.wait_until(lambda s: s["ready"], 5, "discovery")
    yield app, sidecar
    sidecar.stop()
    app.stop()


def publish(sidecar, topic, body, content_type="application/json", pubsub=PUBSUB):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call("POST", f"{sidecar.url}/v1.0/publish/{pubsub}/{topic}", raw, {"Content-Type": content_type})


def cloud_event(**fields) -> dict:
    event = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "test", "type": "test.thing",
             "datacontenttype": "application/json", "data": {}}
    event.update(fields)
    return event


def wait_for(predicate, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout} s")


# --- discovery, health, metadata -------------------------------------------------------------------------------


def test_discovery_waits_for_the_app_and_health_follows_like_daprd(tmp_path):
    app = FakeApp([subscription("t1", "/t1")])
    app.subscribe_failures = 2
    sidecar = Sidecar(app.port, log_file=str(tmp_path / "sidecar.log")).start()
    try:
        # No app yet: the outbound check passes, the full check does not (daprd waits for the app channel).
        assert call("GET", f"{sidecar.url}/v1.0/healthz/outbound")[0] == 204
        status, body, _ = call("GET", f"{sidecar.url}/v1.0/healthz")
        assert status == 500 and body["errorCode"] == "ERR_HEALTH_NOT_READY"
        time.sleep(0.3)
        assert sidecar.state()["discovery_attempts"] >= 2 and not sidecar.state()["ready"]
        app.start()
        sidecar.wait_until(lambda s: s["ready"], 5, "discovery")
        assert app.subscribe_calls == 3  # two 503 answers were retried
        assert call("GET", f"{sidecar.url}/v1.0/healthz")[0] == 204
        status, metadata, _ = call("GET", f"{sidecar.url}/v1.0/metadata")
        assert status == 200 and metadata["id"] == "taskpilot"
        assert [c["name"] for c in metadata["components"]] == [PUBSUB]
        assert [(s["pubsubname"], s["topic"], s["rules"][0]["path"]) for s in metadata["subscriptions"]] == [(PUBSUB, "t1", "/t1")]
    finally:
        sidecar.stop()
        app.stop()


def test_both_subscription_shapes_and_unknown_components(stack):
    app, sidecar = stack
    assert [(s["topic"], s["route"]) for s in sidecar.state()["subscriptions"]] == [("t1", "/t1"), ("t2", "/t2")]
    assert any("unknown pubsub" in line["msg"] for line in sidecar.state()["log"])


def test_an_app_without_subscribe_route_has_no_subscriptions(tmp_path):
    app = FakeApp(None).start()
    with Sidecar(app.port, log_file=str(tmp_path / "s.log")) as sidecar:
        sidecar.wait_until(lambda s: s["ready"], 5, "discovery")
        assert sidecar.state()["subscriptions"] == []
        assert publish(sidecar, "t1", {"a": 1})[0] == 204
        time.sleep(0.2)
        assert app.received == []
    app.stop()


# --- publish -----------------------------------------------------------------------------------------------------


def test_plain_json_is_wrapped_in_a_cloudevent_like_daprd(stack):
    app, sidecar = stack
    status, body, _ = publish(sidecar, "t1", {"status": "completed"})
    assert status == 204 and body is None
    [event] = sidecar.messages("t1")
    assert event["specversion"] == "1.0" and uuid.UUID(event["id"])
    assert event["type"] == "com.dapr.event.sent" and event["source"] == "taskpilot"
    assert event["datacontenttype"] == "application/json" and event["data"] == {"status": "completed"}
    assert event["topic"] == "t1" and event["pubsubname"] == PUBSUB
    assert event["traceparent"].startswith("00-") and datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    received = wait_for(lambda: app.events("/t1"), what="delivery")
    assert received == [event]
    assert app.received[0]["headers"]["content-type"] == "application/cloudevents+json"
    # text/plain stays a string
    publish(sidecar, "t1", b"hello", content_type="text/plain")
    assert sidecar.messages("t1")[1]["data"] == "hello" and sidecar.messages("t1")[1]["datacontenttype"] == "text/plain"


def test_a_cloudevent_is_kept_as_sent_plus_topic_and_pubsubname(stack):
    app, sidecar = stack
    sent = cloud_event(type="taskpilot.task.created", subject="42", time="2026-01-01T00:00:00Z",
                       data={"task_id": 42, "nested": {"a": [1, 2]}})
    status, _, _ = publish(sidecar, "t1", sent, content_type="application/cloudevents+json")
    assert status == 204
    [stored] = sidecar.messages("t1")
    for key, value in sent.items():
        assert stored[key] == value, key
    assert stored["topic"] == "t1" and stored["pubsubname"] == PUBSUB
    [delivered] = wait_for(lambda: app.events("/t1"), what="delivery")
    assert delivered == stored
    # A CloudEvent body that is not a JSON object cannot be published.
    status, body, _ = publish(sidecar, "t1", b"[1, 2]", content_type="application/cloudevents+json")
    assert status == 500 and body["errorCode"] == "ERR_PUBSUB_CLOUD_EVENTS_SER"
    assert len(sidecar.messages("t1")) == 1


def test_unknown_pubsub_is_a_404_with_a_dapr_error_and_stores_nothing(stack):
    app, sidecar = stack
    status, body, _ = publish(sidecar, "t1", {"a": 1}, pubsub="nope")
    assert status == 404 and body["errorCode"] == "ERR_PUBSUB_NOT_FOUND" and "nope" in body["message"]
    assert sidecar.state()["topics"] == {}


def test_a_publish_outage_answers_500_until_resumed(stack):
    app, sidecar = stack
    assert call("POST", f"{sidecar.url}/_test/pause")[0] == 204
    status, body, _ = publish(sidecar, "t1", {"n": 1})
    assert status == 500 and body["errorCode"] == "ERR_PUBSUB_PUBLISH_MESSAGE"
    status, state, _ = call("GET", f"{sidecar.url}/_test/state")
    assert state["paused"] is True and state["publish_rejected"] == 1 and state["topics"] == {}
    assert call("POST", f"{sidecar.url}/_test/resume")[0] == 204
    assert publish(sidecar, "t1", {"n": 2})[0] == 204
    assert [e["data"] for e in wait_for(lambda: app.events("/t1"), what="delivery")] == [{"n": 2}]


def test_bulk_publish(stack):
    app, sidecar = stack
    entries = [{"entryId": "1", "event": {"n": 1}, "contentType": "application/json"},
               {"entryId": "2", "event": cloud_event(id="ce-2", data={"n": 2}), "contentType": "application/cloudevents+json"}]
    status, _, _ = call("POST", f"{sidecar.url}/v1.0-alpha1/publish/bulk/{PUBSUB}/t1", entries)
    assert status == 204
    assert [e["data"] for e in sidecar.messages("t1")] == [{"n": 1}, {"n": 2}] and sidecar.messages("t1")[1]["id"] == "ce-2"
    sidecar.pause()
    status, body, _ = call("POST", f"{sidecar.url}/v1.0-alpha1/publish/bulk/{PUBSUB}/t1", entries[:1])
    assert status == 500 and body["failedEntries"][0]["entryId"] == "1"


# --- delivery semantics -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, body", [(200, b""), (200, b'{"status":"SUCCESS"}'), (200, b"{}"),
                                          (200, b'{"status":""}'), (204, b""), (201, b"not json at all")])
def test_2xx_answers_that_daprd_takes_as_success(stack, status, body):
    app, sidecar = stack
    app.answer = lambda route, event, attempt: (status, body)
    publish(sidecar, "t1", {"n": 1})
    sidecar.wait_until(lambda s: s["counters"]["t1"]["delivered"] == 1, 3, "ack")
    time.sleep(0.3)
    counters = sidecar.state()["counters"]["t1"]
    assert (counters["delivered"], counters["retried"], counters["dropped"]) == (1, 0, 0)
    assert len(app.events("/t1")) == 1


def test_retry_answers_redeliver_with_growing_backoff(stack):
    app, sidecar = stack
    script = {1: (200, b'{"status":"RETRY"}'), 2: (500, b"boom"), 3: (200, b'{"status":"LATER"}'), 4: (429, b"")}
    app.answer = lambda route, event, attempt: script.get(attempt, (200, b'{"status":"SUCCESS"}'))
    publish(sidecar, "t1", {"n": 1})
    sidecar.wait_until(lambda s: s["counters"]["t1"]["delivered"] == 1, 5, "ack after retries")
    counters = sidecar.state()["counters"]["t1"]
    assert (counters["delivered"], counters["retried"], counters["dropped"]) == (1, 4, 0)
    times = [r["time"] for r in app.received]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(gaps) == 4
    for gap, expected in zip(gaps, [0.1, 0.2, 0.4, 0.8]):
        assert expected * 0.9 <= gap < expected + 0.8, gaps
    assert [a["outcome"] for a in sidecar.state()["attempts"]] == ["retry"] * 4 + ["success"]


def test_drop_and_404_drop_the_message_and_log_it(stack):
    app, sidecar = stack
    app.answer = lambda route, event, attempt: (200, b'{"status":"DROP"}') if event["data"]["n"] == 1 else (404, b"no route")
    publish(sidecar, "t1", {"n": 1})
    publish(sidecar, "t1", {"n": 2})
    sidecar.wait_until(lambda s: s["counters"]["t1"]["dropped"] == 2, 3, "drops")
    time.sleep(0.4)  # and neither comes back
    state = sidecar.state()
    assert len(app.events("/t1")) == 2
    assert [(d["reason"], d["status"]) for d in state["dropped"]] == [("DROP", 200), ("404", 404)]
    assert [d["id"] for d in state["dropped"]] == [m["id"] for m in sidecar.messages("t1")]
    assert state["counters"]["t1"]["delivered"] == 0 and state["counters"]["t1"]["retried"] == 0
    levels = {line["msg"]: line["level"] for line in state["log"]}
    assert levels["DROP status returned from app while processing pub/sub event"] == "warning"
    assert levels["non-retriable error returned from app while processing pub/sub event"] == "error"


def test_order_per_topic_one_message_at_a_time(stack):
    app, sidecar = stack
    app.delay = 0.01
    app.answer = lambda route, event, attempt: (200, b'{"status":"RETRY"}') if route == "/t1" and event["data"]["n"] == 3 and attempt <= 2 \
        else (200, b'{"status":"SUCCESS"}')
    for n in range(12):
        publish(sidecar, "t1", {"n": n})
        publish(sidecar, "t2", {"n": n})
    sidecar.wait_until(lambda s: s["counters"]["t1"]["delivered"] == 12 and s["counters"]["t2"]["delivered"] == 12, 8, "all")
    sequence = [e["data"]["n"] for e in app.events("/t1")]
    assert sequence == [0, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11]  # 3 retried in place; nothing overtook it
    assert [e["data"]["n"] for e in app.events("/t2")] == list(range(12))
    assert app.max_in_flight == {"/t1": 1, "/t2": 1}


def test_connection_errors_are_retried_until_the_app_is_back(stack):
    app, sidecar = stack
    app.stop()
    publish(sidecar, "t1", {"n": 1})
    sidecar.wait_until(lambda s: s["counters"]["t1"]["retried"] >= 2, 3, "retries while the app is down")
    assert sidecar.state()["counters"]["t1"]["delivered"] == 0
    app.start()
    sidecar.wait_until(lambda s: s["counters"]["t1"]["delivered"] == 1, 5, "delivery once the app is back")
    assert [e["data"] for e in app.events("/t1")] == [{"n": 1}]


def test_hooks_hold_delivery_redeliver_and_reset(stack):
    app, sidecar = stack
    assert call("POST", f"{sidecar.url}/_test/pause-delivery")[0] == 204
    publish(sidecar, "t1", {"n": 1})
    time.sleep(0.3)
    assert app.received == []
    assert call("POST", f"{sidecar.url}/_test/resume-delivery")[0] == 204
    sidecar.wait_until(lambda s: s["counters"]["t1"]["delivered"] == 1, 3, "held delivery")
    status, body, _ = call("POST", f"{sidecar.url}/_test/redeliver/t1")
    assert status == 200 and body == {"redelivered": 1}
    sidecar.wait_until(lambda s: s["counters"]["t1"]["delivered"] == 2, 3, "redelivery")
    first, again = app.events("/t1")
    assert first == again and len(sidecar.messages("t1")) == 1 and len(sidecar.messages("t1", True)) == 2
    assert call("POST", f"{sidecar.url}/_test/reset")[0] == 204
    assert sidecar.state()["topics"] == {}
    publish(sidecar, "t1", {"n": 2})
    sidecar.wait_until(lambda s: s["counters"]["t1"]["delivered"] == 1, 3, "delivery after reset")
    assert app.events("/t1")[-1]["data"] == {"n": 2}


# --- jobs ---------------------------------------------------------------------------------------------------------


def jobs_url(sidecar, name):
    return f"{sidecar.url}/v1.0-alpha1/jobs/{name}"


def test_a_recurring_job_calls_the_app_with_its_data_until_deleted(stack):
    app, sidecar = stack
    status, _, _ = call("POST", jobs_url(sidecar, "tick"), {"schedule": "@every 200ms", "data": {"kind": "reminders"}})
    assert status == 204
    status, job, _ = call("GET", jobs_url(sidecar, "tick"))
    assert status == 200 and job == {"name": "tick", "schedule": "@every 200ms", "data": {"kind": "reminders"}}
    wait_for(lambda: len(app.job_calls) >= 3, 3, "three ticks")
    first = app.job_calls[0]
    assert first["name"] == "tick" and first["headers"]["content-type"] == "application/json"
    assert json.loads(first["body"]) == {"kind": "reminders"}
    gaps = [b["time"] - a["time"] for a, b in zip(app.job_calls, app.job_calls[1:3])]
    assert all(0.15 < gap < 0.7 for gap in gaps), gaps
    assert call("DELETE", jobs_url(sidecar, "tick"))[0] == 204
    count = len(app.job_calls)
    time.sleep(0.5)
    assert len(app.job_calls) <= count + 1  # at most one already in flight
    status, body, _ = call("GET", jobs_url(sidecar, "tick"))
    assert status == 500 and body["errorCode"] == "DAPR_SCHEDULER_GET_JOB"


def test_one_shot_due_times_and_repeats(stack):
    app, sidecar = stack
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=0.4)).isoformat().replace("+00:00", "Z")
    assert call("POST", jobs_url(sidecar, "at"), {"dueTime": soon})[0] == 204
    assert call("POST", jobs_url(sidecar, "in"), {"dueTime": "300ms", "data": "plain"})[0] == 204
    assert call("POST", f"{sidecar.url}/v1.0/jobs/thrice", {"schedule": "@every 100ms", "repeats": 3})[0] == 204
    start = time.monotonic()
    wait_for(lambda: {c["name"] for c in app.job_calls} == {"at", "in", "thrice"}, 3, "all three jobs")
    time.sleep(0.7)
    by_name = {n: [c for c in app.job_calls if c["name"] == n] for n in ("at", "in", "thrice")}
    assert [len(v) for v in by_name.values()] == [1, 1, 3]
    assert by_name["at"][0]["body"] == b""  # no data, empty body (daprd sends the data as is)
    assert json.loads(by_name["in"][0]["body"]) == "plain"
    assert by_name["in"][0]["time"] - start >= 0.25
    assert sidecar.state()["jobs"] == {}  # finished jobs are deleted, as the scheduler does


def test_job_conflicts_overwrite_and_validation(stack):
    app, sidecar = stack
    assert call("POST", jobs_url(sidecar, "j"), {"schedule": "@every 1h", "data": 1})[0] == 204
    status, body, _ = call("POST", jobs_url(sidecar, "j"), {"schedule": "@every 1h", "data": 2})
    assert status == 500 and body["errorCode"] == "DAPR_SCHEDULER_SCHEDULE_JOB" and "already exists" in body["message"]
    assert call("GET", jobs_url(sidecar, "j"))[1]["data"] == 1
    assert call("POST", jobs_url(sidecar, "j"), {"schedule": "@every 2h", "data": 2, "overwrite": True})[0] == 204
    assert call("GET", jobs_url(sidecar, "j"))[1] == {"name": "j", "schedule": "@every 2h", "data": 2}
    status, body, _ = call("POST", jobs_url(sidecar, "k"), {"data": 1})
    assert status == 400 and body["errorCode"] == "DAPR_SCHEDULER_SCHEDULE_EMPTY"
    status, body, _ = call("POST", jobs_url(sidecar, "k"), {"schedule": "every so often"})
    assert status == 500 and body["errorCode"] == "DAPR_SCHEDULER_SCHEDULE_JOB"
    assert call("DELETE", jobs_url(sidecar, "never-made"))[0] == 204


def test_failing_job_callbacks_follow_the_failure_policy(stack):
    app, sidecar = stack
    app.job_answer = lambda name, attempt: (500, b"nope") if name == "drop" or attempt <= 2 else (200, b"")
    policy = {"constant": {"max_retries": 5, "interval": "100ms"}}
    assert call("POST", jobs_url(sidecar, "flaky"), {"dueTime": "0s", "failure_policy": policy})[0] == 204
    assert call("POST", jobs_url(sidecar, "drop"), {"dueTime": "0s", "failure_policy": {"drop": {}}})[0] == 204
    wait_for(lambda: sum(c["name"] == "flaky" for c in app.job_calls) == 3, 3, "flaky retried twice then ok")
    time.sleep(0.4)
    calls = [c for c in app.job_calls if c["name"] == "flaky"]
    assert len(calls) == 3 and all(b["time"] - a["time"] >= 0.09 for a, b in zip(calls, calls[1:]))
    assert sum(c["name"] == "drop" for c in app.job_calls) == 1
    assert sidecar.state()["jobs"] == {}


def test_paused_jobs_fire_once_on_resume(stack):
    app, sidecar = stack
    assert call("POST", f"{sidecar.url}/_test/pause-jobs")[0] == 204
    call("POST", jobs_url(sidecar, "tick"), {"schedule": "@every 100ms"})
    time.sleep(0.5)
    assert app.job_calls == []
    call("POST", f"{sidecar.url}/_test/resume-jobs")
    wait_for(lambda: app.job_calls, 2, "a tick after resume")
    time.sleep(0.05)
    assert len(app.job_calls) == 1  # missed ticks are not replayed in a burst


def test_time_formats():
    assert parse_go_duration("500ms") == 0.5 and parse_go_duration("1m30s") == 90 and parse_go_duration("1.5h") == 5400
    for bad in ("", "5", "1d", "ms", "1s2"):
        with pytest.raises(ValueError):
            parse_go_duration(bad)
    assert parse_time_point("PT1M", 100.0) == 160.0 and parse_time_point("2s", 100.0) == 102.0
    assert parse_time_point("2026-01-01T00:00:00Z", 0) == datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    every, repeats = parse_schedule("R5/PT2S")
    assert every.next_after(10) == 12 and repeats == 5
    base = datetime.datetime(2026, 3, 14, 10, 29, 59).timestamp()
    cron, _ = parse_schedule("0 30 * * * *")
    assert datetime.datetime.fromtimestamp(cron.next_after(base)) == datetime.datetime(2026, 3, 14, 10, 30, 0)
    assert datetime.datetime.fromtimestamp(Cron("0 15 3 * * *").next_after(base)) == datetime.datetime(2026, 3, 15, 3, 15)
    assert datetime.datetime.fromtimestamp(parse_schedule("@weekly")[0].next_after(base)) == datetime.datetime(2026, 3, 15)  # a Sunday
    assert datetime.datetime.fromtimestamp(Cron("*/20 * * * jan-feb mon").next_after(base)) == datetime.datetime(2027, 1, 4)


# --- the command line ---------------------------------------------------------------------------------------------


def test_runs_from_the_command_line_and_stops_cleanly_on_sigterm(tmp_path):
    app = FakeApp([subscription("t1", "/t1")]).start()
    port = free_port()
    log = tmp_path / "sidecar.log"
    process = subprocess.Popen([sys.executable, str(HERE / "sidecar.py"), "--dapr-http-port", str(port), "--app-port",
                                str(app.port), "--pubsub", PUBSUB, "--log-file", str(log)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(url), 5, "the sidecar")
        assert publish(type("S", (), {"url": url}), "t1", {"n": 1})[0] == 204
        wait_for(lambda: app.events("/t1"), 3, "delivery")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        stdout, stderr = process.communicate()
        assert stdout == b"" and stderr == b""  # quiet: everything went to the log file
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert {"time", "level", "msg"} <= set(lines[0]) and lines[-1]["msg"] == "dapr sidecar stand-in stopped"
    finally:
        if process.poll() is None:
            process.kill()
        app.stop()


def _healthy(url):
    try:
        return call("GET", url + "/v1.0/healthz", timeout=1)[0] == 204
    except OSError:
        return False
