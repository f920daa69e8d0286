#!/usr/bin/env python3
"""A stand-in for `daprd` that speaks Dapr's real HTTP API, for testing Taskpilot's Dapr event bus here.

daprd cannot run on these machines (no binary, no Docker, no scheduler/placement services), so this one file plays
the sidecar: the app talks to it exactly as it would talk to daprd, and it talks to the app exactly as daprd does.
Standard library only. What it implements, with daprd's behaviour as documented (docs.dapr.io reference/api) and as
read in dapr/dapr's source:

Towards the app (sidecar API, default http://127.0.0.1:<dapr-http-port>):
  GET    /v1.0/healthz              204 once the app channel is up (app port accepting, subscriptions read), else
                                    500 ERR_HEALTH_NOT_READY -- like daprd, which waits for the app port first
  GET    /v1.0/healthz/outbound     204 as soon as the sidecar listens (what an app should wait on at start)
  GET    /v1.0/metadata             id, components, subscriptions (rules/path), appConnectionProperties
  POST   /v1.0/publish/{pubsub}/{topic}
         Content-Type application/cloudevents+json: the body is the CloudEvent; daprd adds topic, pubsubname,
         traceid/traceparent/tracestate and defaults source/type/specversion only when missing.
         Other content types are wrapped: id, source (app id), type com.dapr.event.sent, specversion 1.0,
         datacontenttype, time, topic, pubsubname, trace fields, data (JSON parsed for JSON content types).
         204 stored | 404 ERR_PUBSUB_NOT_FOUND | 500 ERR_PUBSUB_PUBLISH_MESSAGE (outage) |
         500 ERR_PUBSUB_CLOUD_EVENTS_SER (a CloudEvent body that is not a JSON object)
  POST   /v1.0-alpha1/publish/bulk/{pubsub}/{topic}   [{entryId, event, contentType}] -> 204 | 500 failedEntries
  POST   /v1.0-alpha1/jobs/{name}   {schedule?, dueTime?, repeats?, ttl?, data?, overwrite?, failure_policy?}
  GET    /v1.0-alpha1/jobs/{name}   {name, schedule?, dueTime?, repeats?, ttl?, data?}
  DELETE /v1.0-alpha1/jobs/{name}   204 (also under /v1.0/jobs/, the stable path of newer runtimes)
         Errors as daprd: 400 DAPR_SCHEDULER_SCHEDULE_EMPTY (neither schedule nor dueTime),
         400 DAPR_SCHEDULER_JOB_NAME_EMPTY, 500 DAPR_SCHEDULER_SCHEDULE_JOB (exists and overwrite false, or a
         schedule it cannot parse), 500 DAPR_SCHEDULER_GET_JOB (no such job).

Towards the app (what daprd calls):
  GET  /dapr/subscribe at start, retried until the app answers (404 = no subscriptions). Both shapes:
       {"pubsubname","topic","route"} and {"pubsubname","topic","routes":{"default": "/x", "rules": [...]}}.
  POST {route} per message, Content-Type application/cloudevents+json, in order per topic, one at a time, at
       least once. The answer, exactly as daprd reads it: 2xx with {"status":"SUCCESS"}, an empty body, a body that
       is not a JSON object, or no/empty status -> acked; {"status":"RETRY"} or an unknown status -> redelivered;
       {"status":"DROP"} -> dropped with a warning; 404 -> dropped with an error; any other status or a connection
       error -> redelivered. Redelivery backs off 100 ms, doubling, capped at 2 s, without end.
  POST /job/{name} when a job is due, Content-Type application/json, the body being the job's data as JSON (empty
       when the job has none). Non-2xx or no answer -> retried by the job's failure policy (daprd's default:
       constant, 3 retries, 1 s apart; {"constant": {"max_retries", "interval"}} or {"drop": {}}).
  Schedules: "@every <go duration>", @yearly/@monthly/@weekly/@daily/@hourly, 6-field cron (seconds first), a bare
  Go duration, ISO 8601 "R<n>/PT..". dueTime/ttl: RFC 3339, Go duration from creation, ISO 8601 duration.

The pub/sub components named by --pubsub share one in-memory broker (like several Dapr components on one Kafka):
topics are logs keyed by name, and each subscription reads its topic from the start with its own cursor.

Test hooks (not Dapr; under /_test/):
  GET  /_test/state          counters, messages and attempts per topic, dropped list, jobs, subscriptions, log
  POST /_test/pause|resume   publish answers 500 ERR_PUBSUB_PUBLISH_MESSAGE while paused (a broker outage)
  POST /_test/pause-delivery|resume-delivery   hold deliveries to the app
  POST /_test/pause-jobs|resume-jobs           hold job triggers (missed ticks fire once on resume)
  POST /_test/redeliver/{topic}   deliver every message of the topic once more (at-least-once duplicates)
  POST /_test/reset          forget messages, counters and drops (not jobs or subscriptions)
  POST /_test/resubscribe    read /dapr/subscribe again

    python3 tests/dapr/sidecar.py --dapr-http-port 3500 --app-port 8080 [--pubsub taskpilot-pubsub] [--log-file F]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import http.client
import json
import logging
import os
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

CLOUDEVENTS = "application/cloudevents+json"
DEFAULT_SOURCE = "Dapr"
DEFAULT_TYPE = "com.dapr.event.sent"
RETRY_INITIAL = 0.1
RETRY_CAP = 2.0
APP_TIMEOUT = 30.0
ATTEMPTS_KEPT = 20000
LOG_KEPT = 500


# ---------------------------------------------------------------------------------------------------------------
# Time formats: Go durations, ISO 8601 durations, RFC 3339 points, cron


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string such as 500ms, 1s, 1m30s, 1.5h (time.ParseDuration's grammar)."""
    s = text.strip()
    sign = 1.0
    if s and s[0] in "+-":
        sign, s = (-1.0 if s[0] == "-" else 1.0), s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    total, position = 0.0, 0
    for match in _GO_PART.finditer(s):
        if match.start() != position:
            raise ValueError(f"invalid duration {text!r}")
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        position = match.end()
    if position != len(s):
        raise ValueError(f"invalid duration {text!r}")
    return sign * total


_ISO_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_iso_duration(text: str) -> float:
    match = _ISO_DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise ValueError(f"invalid ISO 8601 duration {text!r}")
    weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return weeks * 604800 + days * 86400 + hours * 3600 + minutes * 60 + seconds


def parse_time_point(text: str, created: float) -> float:
    """dueTime/ttl: an RFC 3339 point (local time when it has no offset), a Go duration or an ISO 8601 duration
    counted from the job's creation."""
    s = text.strip()
    try:
        return created + parse_go_duration(s)
    except ValueError:
        pass
    try:
        return created + parse_iso_duration(s)
    except ValueError:
        pass
    try:
        point = datetime.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 time, a Go duration or an ISO 8601 duration") from None
    return point.timestamp()  # naive = the server's local time, as daprd's scheduler does


_MONTHS = {name: i + 1 for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_WEEKDAYS = {name: i for i, name in enumerate("sun mon tue wed thu fri sat".split())}
_PERIODS = {
    "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0", "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
}


class Every:
    def __init__(self, period: float, text: str) -> None:
        if period <= 0:
            raise ValueError(f"schedule {text!r}: the period must be positive")
        self.period = period
        self.text = text

    def next_after(self, t: float) -> float:
        return t + self.period


class Cron:
    """Six fields (seconds minutes hours day-of-month month day-of-week), evaluated in local time like robfig/cron."""

    _RANGES = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]

    def __init__(self, text: str) -> None:
        fields = text.split()
        if len(fields) != 6:
            raise ValueError(f"cron {text!r} must have 6 fields (seconds minutes hours day-of-month month day-of-week)")
        self.text = text
        self.sets: list[set[int]] = []
        self.star: list[bool] = []
        for index, (field, (low, high)) in enumerate(zip(fields, self._RANGES)):
            names = _MONTHS if index == 4 else _WEEKDAYS if index == 5 else {}
            self.sets.append(self._field(field, low, high, names, text))
            self.star.append(field in ("*", "?"))
        if 7 in self.sets[5]:
            self.sets[5].add(0)

    @staticmethod
    def _field(field: str, low: int, high: int, names: dict[str, int], text: str) -> set[int]:
        def value(token: str) -> int:
            token = token.lower()
            if token in names:
                return names[token]
            if not token.isdigit():
                raise ValueError(f"cron {text!r}: bad value {token!r}")
            return int(token)

        result: set[int] = set()
        for part in field.split(","):
            step = 1
            if "/" in part:
                part, step_text = part.split("/", 1)
                step = int(step_text)
                if step <= 0:
                    raise ValueError(f"cron {text!r}: bad step")
            if part in ("*", "?"):
                start, end = low, high
            elif "-" in part:
                a, b = part.split("-", 1)
                start, end = value(a), value(b)
            else:
                start = value(part)
                end = high if step > 1 else start
            top = 7 if high == 6 else high
            if start < low or end > top or start > end:
                raise ValueError(f"cron {text!r}: {part!r} is out of range {low}-{high}")
            result.update(range(start, end + 1, step))
        return result

    def _day_ok(self, dt: datetime.datetime) -> bool:
        dom = dt.day in self.sets[3]
        dow = ((dt.weekday() + 1) % 7) in self.sets[5]
        return (dom and dow) if (self.star[3] or self.star[5]) else (dom or dow)

    def next_after(self, t: float) -> float:
        dt = datetime.datetime.fromtimestamp(int(t) + 1)
        limit = dt.year + 5
        seconds, minutes, hours, _, months, _ = self.sets
        while dt.year <= limit:
            if dt.month not in months:
                dt = (dt.replace(day=1) + datetime.timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0)
            elif not self._day_ok(dt):
                dt = (dt + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0)
            elif dt.hour not in hours:
                dt = (dt + datetime.timedelta(hours=1)).replace(minute=0, second=0)
            elif dt.minute not in minutes:
                dt = (dt + datetime.timedelta(minutes=1)).replace(second=0)
            elif dt.second not in seconds:
                dt = dt + datetime.timedelta(seconds=1)
            else:
                return dt.timestamp()
        raise ValueError(f"cron {self.text!r} never fires")


def parse_schedule(text: str) -> tuple[Every | Cron, int | None]:
    """A schedule and the repeat count it implies (ISO 8601 R<n>/...)."""
    s = text.strip()
    if s.startswith("@every"):
        return Every(parse_go_duration(s[len("@every"):].strip()), s), None
    if s in _PERIODS:
        return Cron(_PERIODS[s]), None
    match = re.match(r"^R(\d*)/(P.+)$", s)
    if match:
        return Every(parse_iso_duration(match.group(2)), s), (int(match.group(1)) if match.group(1) else None)
    if len(s.split()) == 6:
        return Cron(s), None
    try:
        return Every(parse_go_duration(s), s), None
    except ValueError:
        pass
    raise ValueError(f"unsupported schedule {text!r}")


def rfc3339(t: float | None = None) -> str:
    moment = datetime.datetime.fromtimestamp(time.time() if t is None else t, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------------------------
# State


class Subscription:
    def __init__(self, pubsubname: str, topic: str, route: str, metadata: dict, dead_letter: str) -> None:
        self.pubsubname = pubsubname
        self.topic = topic
        self.route = route if route.startswith("/") else "/" + route
        self.metadata = metadata
        self.dead_letter = dead_letter
        self.cursor = 0
        self.thread: threading.Thread | None = None

    def describe(self) -> dict:
        return {"pubsubname": self.pubsubname, "topic": self.topic, "route": self.route, "cursor": self.cursor,
                "metadata": self.metadata, "deadLetterTopic": self.dead_letter}


class Job:
    def __init__(self, name: str, spec: dict, created: float) -> None:
        self.name = name
        self.created = created
        self.spec = spec
        self.schedule_text = spec.get("schedule")
        self.due_text = spec.get("dueTime", spec.get("due_time"))
        self.ttl_text = spec.get("ttl")
        self.has_data = "data" in spec and spec["data"] is not None
        self.data = spec.get("data")
        repeats = spec.get("repeats")
        if repeats is not None and (not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 0):
            raise ValueError("repeats must be a non-negative integer")
        self.repeats = repeats or None
        self.timer: Every | Cron | None = None
        if self.schedule_text is not None:
            if not isinstance(self.schedule_text, str):
                raise ValueError("schedule must be a string")
            self.timer, implied = parse_schedule(self.schedule_text)
            if implied and not self.repeats:
                self.repeats = implied
        if self.due_text is not None and not isinstance(self.due_text, str):
            raise ValueError("dueTime must be a string")
        if self.ttl_text is not None and not isinstance(self.ttl_text, str):
            raise ValueError("ttl must be a string")
        self.expires_at = parse_time_point(self.ttl_text, created) if self.ttl_text else None
        if self.due_text:
            self.next_at: float | None = parse_time_point(self.due_text, created)
        elif self.timer is not None:
            self.next_at = self.timer.next_after(created)
        else:
            raise ValueError("a job needs a schedule or a dueTime")
        policy = spec.get("failure_policy", spec.get("failurePolicy"))
        self.drop_on_failure = False
        self.max_retries: int | None = 3  # daprd: "If not set, the job is retried up to 3 times with a delay of 1 s"
        self.retry_interval = 1.0
        if isinstance(policy, dict):
            if "drop" in policy:
                self.drop_on_failure = True
            elif isinstance(policy.get("constant"), dict):
                constant = policy["constant"]
                retries = constant.get("max_retries", constant.get("maxRetries"))
                self.max_retries = None if retries is None else int(retries)
                interval = constant.get("interval")
                self.retry_interval = parse_go_duration(interval) if interval else 0.0
        self.running = False
        self.triggered = 0  # ticks handled (succeeded or given up)
        self.succeeded = 0
        self.failures = 0  # failed callback attempts
        self.calls: list[dict] = []

    def public(self) -> dict:
        out: dict[str, Any] = {"name": self.name}
        if self.schedule_text is not None:
            out["schedule"] = self.schedule_text
        if self.spec.get("repeats"):
            out["repeats"] = self.spec["repeats"]
        if self.due_text is not None:
            out["dueTime"] = self.due_text
        if self.ttl_text is not None:
            out["ttl"] = self.ttl_text
        if self.has_data:
            out["data"] = self.data
        policy = self.spec.get("failure_policy", self.spec.get("failurePolicy"))
        if policy is not None:
            out["failurePolicy"] = policy
        return out

    def describe(self) -> dict:
        out = self.public()
        out.update(triggered=self.triggered, succeeded=self.succeeded, failures=self.failures,
                   next_at=rfc3339(self.next_at) if self.next_at else None, calls=list(self.calls[-50:]))
        return out


class DaprError(Exception):
    def __init__(self, status: int, code: str, message: str, reason: str | None = None, metadata: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.reason, self.metadata = status, code, message, reason, metadata or {}

    def body(self) -> dict:
        out: dict[str, Any] = {"errorCode": self.code, "message": self.message}
        if self.reason:
            out["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": self.reason,
                               "domain": "dapr.io", "metadata": self.metadata}]
        return out


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": rfc3339(record.created), "level": record.levelname.lower(), "scope": "dapr.sidecar",
                "msg": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, default=str)


# ---------------------------------------------------------------------------------------------------------------
# The sidecar


class Sidecar:
    """daprd's HTTP API on 127.0.0.1:`port` (a free port by default) for the app on 127.0.0.1:`app_port`."""

    def __init__(self, app_port: int, pubsub: str | list[str] = "taskpilot-pubsub", port: int = 0,
                 app_id: str = "taskpilot", log_file: str | None = None, log_level: str | None = None,
                 app_api_token: str | None = None, dapr_api_token: str | None = None) -> None:
        self.app_port = app_port
        names = [pubsub] if isinstance(pubsub, str) else list(pubsub)
        self.pubsubs = [n.strip() for name in names for n in name.split(",") if n.strip()]
        self.app_id = app_id
        self.app_api_token = app_api_token
        self.dapr_api_token = dapr_api_token
        self._requested_port = port
        self.port = 0
        self.url = ""
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.ready = False
        self.publish_paused = False
        self.delivery_paused = False
        self.jobs_paused = False
        self.subscriptions: list[Subscription] = []
        self.discovery_attempts = 0
        self.jobs: dict[str, Job] = {}
        self._reset_broker()
        self.log_records: list[dict] = []
        self.logger = logging.getLogger(f"dapr-sidecar.{id(self)}")
        self.logger.propagate = False
        self.logger.handlers.clear()
        handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonLines())
        self.logger.addHandler(handler)
        self.logger.setLevel((log_level or ("info" if log_file else "warning")).upper())

    def _reset_broker(self) -> None:
        self.topics: dict[str, list[dict]] = {}
        self.counters: dict[str, dict[str, int]] = {}
        self.dropped: list[dict] = []
        self.attempts: list[dict] = []
        self.publish_rejected = 0
        self.generation = getattr(self, "generation", 0) + 1
        for sub in getattr(self, "subscriptions", []):
            sub.cursor = 0

    # -- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> "Sidecar":
        sidecar = self

        class Handler(_Handler):
            owner = sidecar

        self._server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._spawn(lambda: self._server.serve_forever(poll_interval=0.05), "http")
        self._spawn(self._discover, "discovery")
        self._spawn(self._job_loop, "jobs")
        self._log(logging.INFO, "dapr sidecar stand-in started", port=self.port, app_port=self.app_port,
                  pubsubs=self.pubsubs)
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=APP_TIMEOUT + 1)
        self._log(logging.INFO, "dapr sidecar stand-in stopped")
        for handler in list(self.logger.handlers):
            handler.close()
            self.logger.removeHandler(handler)

    def __enter__(self) -> "Sidecar":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: Callable, name: str, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=f"sidecar-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _log(self, level: int, msg: str, **fields: Any) -> None:
        if level >= logging.WARNING:
            with self._cond:
                self.log_records.append({"time": rfc3339(), "level": logging.getLevelName(level).lower(), "msg": msg, **fields})
                del self.log_records[:-LOG_KEPT]
        self.logger.log(level, msg, extra={"fields": fields})

    # -- calls to the app -------------------------------------------------------------------------------------

    def _call_app(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                  timeout: float = APP_TIMEOUT) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.app_port, timeout=timeout)
        try:
            all_headers = dict(headers or {})
            if self.app_api_token:
                all_headers["dapr-api-token"] = self.app_api_token
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _discover(self) -> None:
        """GET /dapr/subscribe until the app answers, then one delivery thread per subscription."""
        delay = 0.05
        while not self._stopping.is_set():
            self.discovery_attempts += 1
            try:
                status, body = self._call_app("GET", "/dapr/subscribe", headers={"Accept": "application/json"}, timeout=5)
            except OSError as error:
                if self.discovery_attempts in (1, 50) or self.discovery_attempts % 200 == 0:
                    self._log(logging.INFO, "waiting for the app", app_port=self.app_port, error=str(error))
                self._stopping.wait(delay)
                delay = min(delay * 1.5, 0.5)
                continue
            if status == 404:
                self._log(logging.INFO, "the app has no /dapr/subscribe: no subscriptions")
                self._install([])
                return
            if status >= 500:
                self._log(logging.WARNING, "GET /dapr/subscribe failed; retrying", status=status, body=body[:300].decode(errors="replace"))
                self._stopping.wait(delay)
                delay = min(delay * 1.5, 0.5)
                continue
            try:
                entries = json.loads(body or b"[]")
                subscriptions = self._parse_subscriptions(entries)
            except (ValueError, TypeError, AttributeError) as error:
                self._log(logging.ERROR, "cannot read the app's subscriptions", status=status, error=str(error),
                          body=body[:300].decode(errors="replace"))
                subscriptions = []
            self._install(subscriptions)
            return

    def _parse_subscriptions(self, entries: Any) -> list[Subscription]:
        if entries is None:
            return []
        if not isinstance(entries, list):
            raise ValueError("GET /dapr/subscribe must return a JSON array")
        result = []
        for entry in entries:
            pubsubname, topic = entry.get("pubsubname") or entry.get("pubsubName"), entry.get("topic")
            if not pubsubname or not topic:
                raise ValueError(f"subscription without pubsubname or topic: {entry}")
            route = entry.get("route")
            routes = entry.get("routes")
            if not route and isinstance(routes, dict):
                route = routes.get("default")
                rules = routes.get("rules") or []
                if not route:
                    plain = [r.get("path") for r in rules if not r.get("match")]
                    route = plain[0] if plain else None
                if any(r.get("match") for r in rules):
                    self._log(logging.WARNING, "routing rules with CEL matches are not evaluated; using the default route",
                              topic=topic)
            if not route:
                raise ValueError(f"subscription to {topic} has no route")
            if pubsubname not in self.pubsubs:
                self._log(logging.WARNING, "subscription to an unknown pubsub is ignored (daprd skips it too)",
                          pubsubname=pubsubname, topic=topic)
                continue
            result.append(Subscription(pubsubname, topic, route, entry.get("metadata") or {}, entry.get("deadLetterTopic") or ""))
        return result

    def _install(self, subscriptions: list[Subscription]) -> None:
        with self._cond:
            old = self.subscriptions
            self.subscriptions = subscriptions
            for sub in subscriptions:
                match = next((o for o in old if (o.pubsubname, o.topic, o.route) == (sub.pubsubname, sub.topic, sub.route)), None)
                if match:
                    sub.cursor = match.cursor
            self.ready = True
            self._cond.notify_all()
        self._log(logging.INFO, "subscriptions", subscriptions=[s.describe() for s in subscriptions])
        for sub in subscriptions:
            sub.thread = self._spawn(self._deliver_loop, f"deliver-{sub.topic}", sub)

    # -- publish ----------------------------------------------------------------------------------------------

    def publish(self, pubsub: str, topic: str, body: bytes, content_type: str | None, traceparent: str | None = None) -> None:
        if pubsub not in self.pubsubs:
            raise DaprError(404, "ERR_PUBSUB_NOT_FOUND", f"pubsub '{pubsub}' not found", "DAPR_PUBSUB_NOT_FOUND")
        if not topic:
            raise DaprError(404, "ERR_TOPIC_EMPTY", f"topic is empty in pubsub {pubsub}", "DAPR_PUBSUB_TOPIC_NAME_EMPTY")
        envelope = self._envelope(pubsub, topic, body, content_type, traceparent)
        with self._cond:
            if self.publish_paused:
                self.publish_rejected += 1
                raise DaprError(500, "ERR_PUBSUB_PUBLISH_MESSAGE",
                                f"error when publishing to topic {topic} in pubsub {pubsub}: broker unavailable",
                                "DAPR_PUBSUB_PUBLISH_MESSAGE", {"topic": topic, "error": "broker unavailable"})
            self._append(topic, pubsub, envelope)

    def _append(self, topic: str, pubsub: str, envelope: dict, redelivery: bool = False) -> None:
        log = self.topics.setdefault(topic, [])
        log.append({"seq": len(log), "pubsubname": pubsub, "published_at": rfc3339(), "redelivery": redelivery,
                    "event": envelope})
        self._counter(topic)["published" if not redelivery else "redeliveries"] += 1
        self._cond.notify_all()

    def _counter(self, topic: str) -> dict[str, int]:
        return self.counters.setdefault(topic, {"published": 0, "redeliveries": 0, "delivered": 0, "retried": 0, "dropped": 0})

    def _envelope(self, pubsub: str, topic: str, body: bytes, content_type: str | None, traceparent: str | None) -> dict:
        content_type = (content_type or "text/plain").strip()
        media = content_type.split(";")[0].strip().lower()
        traceparent = traceparent or f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        if media == CLOUDEVENTS:
            try:
                event = json.loads(body)
            except ValueError:
                event = None
            if not isinstance(event, dict):
                raise DaprError(500, "ERR_PUBSUB_CLOUD_EVENTS_SER", "cannot create cloudevent", "DAPR_PUBSUB_CLOUD_EVENT_CREATION")
            event.setdefault("source", DEFAULT_SOURCE)
            event.setdefault("type", DEFAULT_TYPE)
            event.setdefault("specversion", "1.0")
        else:
            event = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": self.app_id, "type": DEFAULT_TYPE,
                     "datacontenttype": content_type, "time": rfc3339()}
            if media == "application/json" or media.endswith("+json"):
                try:
                    event["data"] = json.loads(body)
                except ValueError:
                    event["data"] = body.decode(errors="replace")
            elif media.startswith("text/") or not body:
                event["data"] = body.decode(errors="replace")
            else:
                import base64
                event["data_base64"] = base64.b64encode(body).decode()
        event["topic"] = topic
        event["pubsubname"] = pubsub
        event["traceid"] = traceparent
        event["traceparent"] = traceparent
        event["tracestate"] = ""
        return event

    # -- delivery ---------------------------------------------------------------------------------------------

    def _deliver_loop(self, sub: Subscription) -> None:
        backoff = RETRY_INITIAL
        attempt = 0
        while not self._stopping.is_set():
            with self._cond:
                while not self._stopping.is_set() and (
                        self.delivery_paused or sub not in self.subscriptions or sub.cursor >= len(self.topics.get(sub.topic, []))):
                    if sub not in self.subscriptions:
                        return
                    self._cond.wait(0.5)
                if self._stopping.is_set():
                    return
                message = self.topics[sub.topic][sub.cursor]
                seq, generation = sub.cursor, self.generation
            attempt += 1
            outcome, status, detail = self._post_event(sub, message["event"])
            event_id = message["event"].get("id")
            with self._cond:
                if sub not in self.subscriptions or sub.cursor != seq or generation != self.generation:  # reset meanwhile
                    attempt = 0
                    continue
                counter = self._counter(sub.topic)
                self.attempts.append({"topic": sub.topic, "pubsubname": sub.pubsubname, "route": sub.route, "seq": seq,
                                      "id": event_id, "attempt": attempt, "status": status, "outcome": outcome,
                                      "at": rfc3339()})
                del self.attempts[:-ATTEMPTS_KEPT]
                if outcome == "retry":
                    counter["retried"] += 1
                else:
                    sub.cursor += 1
                    attempt = 0
                    backoff = RETRY_INITIAL
                    if outcome == "success":
                        counter["delivered"] += 1
                    else:
                        counter["dropped"] += 1
                        self.dropped.append({"topic": sub.topic, "pubsubname": sub.pubsubname, "route": sub.route,
                                             "seq": seq, "id": event_id, "reason": outcome, "status": status,
                                             "detail": detail, "at": rfc3339()})
                self._cond.notify_all()
            if outcome == "retry":
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, RETRY_CAP)

    def _post_event(self, sub: Subscription, event: dict) -> tuple[str, int | None, str]:
        """POST the CloudEvent to the subscription's route and read the answer as daprd does."""
        event_id = event.get("id")
        headers = {"Content-Type": CLOUDEVENTS}
        if isinstance(event.get("traceparent"), str):
            headers["traceparent"] = event["traceparent"]
        try:
            status, body = self._call_app("POST", sub.route, json.dumps(event).encode(), headers)
        except OSError as error:
            self._log(logging.WARNING, "error returned from app channel while sending pub/sub event to app",
                      topic=sub.topic, id=event_id, error=str(error))
            return "retry", None, f"connection: {error}"
        text = body.decode(errors="replace")
        if 200 <= status <= 299:
            try:
                answer = json.loads(body) if body.strip() else {}
            except ValueError:
                answer = None  # daprd: "skipping status check due to error parsing result" -> success
            app_status = answer.get("status", "") if isinstance(answer, dict) else ""
            if app_status in ("", None, "SUCCESS"):
                return "success", status, text[:200]
            if app_status == "RETRY":
                self._log(logging.INFO, "RETRY status returned from app while processing pub/sub event", topic=sub.topic, id=event_id)
                return "retry", status, text[:200]
            if app_status == "DROP":
                self._log(logging.WARNING, "DROP status returned from app while processing pub/sub event", topic=sub.topic, id=event_id)
                return "DROP", status, text[:200]
            self._log(logging.WARNING, "unknown status returned from app while processing pub/sub event",
                      topic=sub.topic, id=event_id, status=app_status)
            return "retry", status, text[:200]
        if status == 404:
            self._log(logging.ERROR, "non-retriable error returned from app while processing pub/sub event",
                      topic=sub.topic, id=event_id, route=sub.route, status=status, body=text[:200])
            return "404", status, text[:200]
        self._log(logging.WARNING, "retriable error returned from app while processing pub/sub event",
                  topic=sub.topic, id=event_id, status=status, body=text[:200])
        return "retry", status, text[:200]

    # -- jobs -------------------------------------------------------------------------------------------------

    def schedule_job(self, name: str, spec: Any) -> None:
        meta = {"appID": self.app_id, "namespace": "default"}
        if not name or "|" in name:
            raise DaprError(400, "DAPR_SCHEDULER_JOB_NAME_EMPTY", "Name is empty", "DAPR_SCHEDULER_JOB_NAME_EMPTY", meta)
        if not isinstance(spec, dict):
            raise DaprError(400, "ERR_MALFORMED_REQUEST", "the job must be a JSON object", None)
        if spec.get("schedule") is None and spec.get("dueTime", spec.get("due_time")) is None:
            raise DaprError(400, "DAPR_SCHEDULER_SCHEDULE_EMPTY", "Schedule is empty", "DAPR_SCHEDULER_SCHEDULE_EMPTY", meta)
        try:
            job = Job(name, spec, time.time())
        except (ValueError, TypeError) as error:
            raise DaprError(500, "DAPR_SCHEDULER_SCHEDULE_JOB",
                            f"failed to schedule job due to: rpc error: code = InvalidArgument desc = {error}",
                            "DAPR_SCHEDULER_SCHEDULE_JOB", meta) from None
        with self._cond:
            if name in self.jobs and not spec.get("overwrite"):
                raise DaprError(500, "DAPR_SCHEDULER_SCHEDULE_JOB",
                                "failed to schedule job due to: rpc error: code = AlreadyExists desc = job already exists",
                                "DAPR_SCHEDULER_SCHEDULE_JOB", meta)
            self.jobs[name] = job
            self._cond.notify_all()
        self._log(logging.INFO, "job scheduled", job=name, spec=spec)

    def get_job(self, name: str) -> dict:
        with self._cond:
            job = self.jobs.get(name)
            if job is None:
                raise DaprError(500, "DAPR_SCHEDULER_GET_JOB",
                                f"failed to get job due to: rpc error: code = NotFound desc = job not found: {name}",
                                "DAPR_SCHEDULER_GET_JOB", {"appID": self.app_id, "namespace": "default"})
            return job.public()

    def delete_job(self, name: str) -> None:
        with self._cond:
            self.jobs.pop(name, None)
            self._cond.notify_all()
        self._log(logging.INFO, "job deleted", job=name)

    def _job_loop(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                now = time.time()
                wake = 0.5
                if not self.jobs_paused:
                    for job in list(self.jobs.values()):
                        if job.running or job.next_at is None:
                            continue
                        if job.expires_at is not None and job.next_at > job.expires_at:
                            self.jobs.pop(job.name, None)
                            self._log(logging.INFO, "job expired", job=job.name)
                            continue
                        if job.next_at <= now:
                            job.running = True
                            self._spawn(self._fire, f"job-{job.name}", job)
                        else:
                            wake = min(wake, job.next_at - now)
                self._cond.wait(max(wake, 0.005))

    def _fire(self, job: Job) -> None:
        body = json.dumps(job.data).encode() if job.has_data else b""
        retries = 0
        ok = False
        while not self._stopping.is_set():
            with self._cond:
                if self.jobs.get(job.name) is not job:
                    return  # deleted or overwritten meanwhile
            try:
                status, answer = self._call_app("POST", f"/job/{job.name}", body, {"Content-Type": "application/json"})
                error = "" if 200 <= status <= 299 else answer[:200].decode(errors="replace")
            except OSError as exc:
                status, error = None, f"connection: {exc}"
            with self._cond:
                job.calls.append({"at": rfc3339(), "status": status, "error": error})
                del job.calls[:-200]
            if status is not None and 200 <= status <= 299:
                ok = True
                break
            job.failures += 1
            self._log(logging.WARNING, "job callback failed", job=job.name, status=status, error=error)
            if job.drop_on_failure or (job.max_retries is not None and retries >= job.max_retries):
                break
            retries += 1
            self._stopping.wait(job.retry_interval)
        with self._cond:
            job.running = False
            if self.jobs.get(job.name) is not job:
                return
            job.triggered += 1
            job.succeeded += ok
            now = time.time()
            finished = job.timer is None or (job.repeats is not None and job.triggered >= job.repeats)
            if not finished:
                assert job.timer is not None and job.next_at is not None
                upcoming = job.timer.next_after(job.next_at)
                if upcoming <= now:  # ticks missed while the callback ran or jobs were paused: this firing covered them
                    upcoming = job.timer.next_after(now)
                job.next_at = upcoming
                if job.expires_at is not None and job.next_at > job.expires_at:
                    finished = True
            if finished:
                self.jobs.pop(job.name, None)
                self._log(logging.INFO, "job finished and deleted", job=job.name, triggered=job.triggered)
            self._cond.notify_all()

    # -- test hooks -------------------------------------------------------------------------------------------

    def _hold(self, what: str, held: bool) -> None:
        with self._cond:
            setattr(self, f"{what}_paused", held)
            self._cond.notify_all()

    def pause(self) -> None:
        """A broker outage: publish answers 500 ERR_PUBSUB_PUBLISH_MESSAGE until resume()."""
        self._hold("publish", True)

    def resume(self) -> None:
        self._hold("publish", False)

    def pause_delivery(self) -> None:
        self._hold("delivery", True)

    def resume_delivery(self) -> None:
        self._hold("delivery", False)

    def pause_jobs(self) -> None:
        self._hold("jobs", True)

    def resume_jobs(self) -> None:
        self._hold("jobs", False)

    def redeliver(self, topic: str) -> int:
        """Append every message of the topic once more: the app sees each event a second time."""
        with self._cond:
            originals = [m for m in self.topics.get(topic, []) if not m["redelivery"]]
            for message in originals:
                self._append(topic, message["pubsubname"], copy.deepcopy(message["event"]), redelivery=True)
            return len(originals)

    def reset(self) -> None:
        with self._cond:
            self._reset_broker()
            self._cond.notify_all()

    def resubscribe(self) -> None:
        with self._cond:
            self.ready = False
        self._spawn(self._discover, "rediscovery")

    def messages(self, topic: str, include_redeliveries: bool = False) -> list[dict]:
        with self._cond:
            return [copy.deepcopy(m["event"]) for m in self.topics.get(topic, []) if include_redeliveries or not m["redelivery"]]

    def state(self) -> dict:
        with self._cond:
            return copy.deepcopy({
                "app_id": self.app_id, "app_port": self.app_port, "ready": self.ready,
                "paused": self.publish_paused, "delivery_paused": self.delivery_paused, "jobs_paused": self.jobs_paused,
                "publish_rejected": self.publish_rejected, "discovery_attempts": self.discovery_attempts,
                "subscriptions": [s.describe() for s in self.subscriptions],
                "topics": {name: {**self._counter(name), "messages": [m["event"] for m in log if not m["redelivery"]],
                                  "pending": {s.route: len(log) - s.cursor for s in self.subscriptions if s.topic == name}}
                           for name, log in self.topics.items()},
                "counters": self.counters,
                "dropped": self.dropped,
                "attempts": self.attempts,
                "jobs": {name: job.describe() for name, job in self.jobs.items()},
                "log": self.log_records,
            })

    def wait_until(self, predicate: Callable[[dict], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        """Wait until predicate(state()) is truthy and return its value; AssertionError with a summary otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            value = predicate(state)
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                summary = {"counters": state["counters"], "dropped": state["dropped"][-5:], "log": state["log"][-5:],
                           "subscriptions": state["subscriptions"], "jobs": list(state["jobs"])}
                raise AssertionError(f"sidecar: {what} not reached within {timeout} s: {json.dumps(summary)[:3000]}")
            with self._cond:
                self._cond.wait(min(remaining, 0.1))


# ---------------------------------------------------------------------------------------------------------------
# HTTP


class _Handler(BaseHTTPRequestHandler):
    owner: Sidecar
    protocol_version = "HTTP/1.1"
    server_version = "daprd-standin"
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: the sidecar logs what matters
        self.owner.logger.debug("%s %s", self.address_string(), format % args)

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any = None, content_type: str = "application/json") -> None:
        body = b"" if payload is None else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 204 and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, error: DaprError) -> None:
        self._send(error.status, error.body())

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        path = parts.path
        try:
            body = self._body()
        except (ValueError, OSError):
            self._send(400, {"errorCode": "ERR_MALFORMED_REQUEST", "message": "cannot read the request body"})
            return
        try:
            if path.startswith("/_test/"):
                self._test_hook(method, path, parts.query)
                return
            if path == "/v1.0/healthz/outbound" and method == "GET":
                self._send(204)
                return
            if path == "/v1.0/healthz" and method == "GET":
                if owner.ready:
                    self._send(204)
                else:
                    self._send(500, {"errorCode": "ERR_HEALTH_NOT_READY",
                                     "message": "dapr is not ready: [app channel: waiting for the app]"})
                return
            if owner.dapr_api_token and self.headers.get("dapr-api-token") != owner.dapr_api_token:
                self._send(401, {"errorCode": "ERR_UNAUTHORIZED", "message": "invalid api token"})
                return
            if path == "/v1.0/metadata" and method == "GET":
                self._send(200, self._metadata())
                return
            match = re.fullmatch(r"/v1\.0/publish/([^/]*)/(.+)", path)
            if match and method == "POST":
                pubsub, topic = unquote(match.group(1)), unquote(match.group(2))
                owner.publish(pubsub, topic, body, self.headers.get("Content-Type"), self.headers.get("traceparent"))
                self._send(204)
                return
            match = re.fullmatch(r"/v1\.0-alpha1/publish/bulk/([^/]*)/(.+)", path)
            if match and method == "POST":
                self._bulk(unquote(match.group(1)), unquote(match.group(2)), body)
                return
            match = re.fullmatch(r"/v1\.0(?:-alpha1)?/jobs/([^/]*)", path)
            if match:
                name = unquote(match.group(1))
                if method == "POST":
                    try:
                        spec = json.loads(body) if body.strip() else {}
                    except ValueError as error:
                        raise DaprError(400, "ERR_MALFORMED_REQUEST", f"failed to parse the job: {error}") from None
                    if isinstance(spec, dict) and isinstance(spec.get("job"), dict):
                        spec = spec["job"]
                    owner.schedule_job(name, spec)
                    self._send(204)
                elif method == "GET":
                    self._send(200, owner.get_job(name))
                elif method == "DELETE":
                    owner.delete_job(name)
                    self._send(204)
                else:
                    self._send(405, {"errorCode": "ERR_MALFORMED_REQUEST", "message": "method not allowed"})
                return
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
        except DaprError as error:
            level = logging.WARNING if error.status >= 500 else logging.INFO
            owner._log(level, "request failed", method=method, path=path, status=error.status, errorCode=error.code,
                       message=error.message)
            self._error(error)

    def _bulk(self, pubsub: str, topic: str, body: bytes) -> None:
        owner = self.owner
        if pubsub not in owner.pubsubs:
            raise DaprError(400, "ERR_PUBSUB_NOT_FOUND", f"pubsub '{pubsub}' not found")
        try:
            entries = json.loads(body)
            assert isinstance(entries, list)
        except (ValueError, AssertionError):
            raise DaprError(400, "ERR_PUBSUB_EVENTS_SER", "the bulk request must be a JSON array of entries") from None
        failed = []
        envelopes = []
        for entry in entries:
            event = entry.get("event")
            content_type = entry.get("contentType") or "application/json"
            raw = event.encode() if isinstance(event, str) and not content_type.endswith("json") else json.dumps(event).encode()
            envelopes.append((entry.get("entryId"), owner._envelope(pubsub, topic, raw, content_type, None)))
        with owner._cond:
            for entry_id, envelope in envelopes:
                if owner.publish_paused:
                    owner.publish_rejected += 1
                    failed.append({"entryId": entry_id, "error": "broker unavailable"})
                else:
                    owner._append(topic, pubsub, envelope)
        if failed:
            self._send(500, {"failedEntries": failed, "errorCode": "ERR_PUBSUB_PUBLISH_MESSAGE"})
        else:
            self._send(204)

    def _metadata(self) -> dict:
        owner = self.owner
        with owner._cond:
            subscriptions = [{"pubsubname": s.pubsubname, "topic": s.topic, "metadata": s.metadata,
                              "rules": [{"match": "", "path": s.route}], "deadLetterTopic": s.dead_letter,
                              "type": "PROGRAMMATIC"} for s in owner.subscriptions]
        return {
            "id": owner.app_id, "runtimeVersion": "edge (taskpilot test stand-in)", "enabledFeatures": [],
            "actors": [], "httpEndpoints": [],
            "components": [{"name": name, "type": "pubsub.in-memory", "version": "v1", "capabilities": []}
                           for name in owner.pubsubs],
            "subscriptions": subscriptions,
            "extended": {"appCommand": "", "appPID": "", "daprRuntimeVersion": "edge"},
            "appConnectionProperties": {"port": owner.app_port, "protocol": "http", "channelAddress": "127.0.0.1"},
        }

    def _test_hook(self, method: str, path: str, query: str) -> None:
        owner = self.owner
        actions: dict[str, Callable[[], Any]] = {
            "/_test/pause": owner.pause, "/_test/resume": owner.resume,
            "/_test/pause-delivery": owner.pause_delivery, "/_test/resume-delivery": owner.resume_delivery,
            "/_test/pause-jobs": owner.pause_jobs, "/_test/resume-jobs": owner.resume_jobs,
            "/_test/reset": owner.reset, "/_test/resubscribe": owner.resubscribe,
        }
        if method == "GET" and path == "/_test/state":
            self._send(200, owner.state())
        elif method == "GET" and path.startswith("/_test/messages/"):
            self._send(200, owner.messages(unquote(path[len("/_test/messages/"):]), "all" in parse_qs(query)))
        elif method == "POST" and path.startswith("/_test/redeliver/"):
            self._send(200, {"redelivered": owner.redeliver(unquote(path[len("/_test/redeliver/"):]))})
        elif method == "POST" and path in actions:
            actions[path]()
            self._send(204)
        else:
            self._send(404, {"errorCode": "ERR_TEST_HOOK", "message": f"no test hook {method} {path}"})


# ---------------------------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A stand-in for daprd speaking Dapr's HTTP API (tests only).")
    parser.add_argument("--dapr-http-port", type=int, default=3500)
    parser.add_argument("--app-port", type=int, required=True)
    parser.add_argument("--app-id", default="taskpilot")
    parser.add_argument("--pubsub", action="append", help="pub/sub component name(s); repeat or comma-separate "
                        "(default taskpilot-pubsub)")
    parser.add_argument("--log-file")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    sidecar = Sidecar(args.app_port, pubsub=args.pubsub or ["taskpilot-pubsub"], port=args.dapr_http_port,
                      app_id=args.app_id, log_file=args.log_file, log_level=args.log_level,
                      app_api_token=os.environ.get("APP_API_TOKEN"), dapr_api_token=os.environ.get("DAPR_API_TOKEN"))
    try:
        sidecar.start()
    except OSError as error:
        print(f"sidecar: cannot listen on 127.0.0.1:{args.dapr_http_port}: {error}", file=sys.stderr)
        return 1
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    done.wait()
    sidecar.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
