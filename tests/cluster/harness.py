"""What the cluster scenario drives and checks: an HTTP client that survives dying replicas, browser-like WebSocket
sessions that reconnect, a per-user workload that remembers what the API acknowledged, and the checks that compare
that record with what the cluster holds and pushed."""

from __future__ import annotations

import asyncio
import datetime
import http.client
import json
import random
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import websockets

PASSWORD = "correct horse battery"
# Titles are USER-LETTER-NUMBER, e.g. user1-r007 (a rename appends " vN"): unique, so the checks find a task by title.
KEY_LETTERS = {"plain": "p", "recurring": "r", "reminder": "a"}
# Statuses that mean "the replica died or was unreachable": the change may or may not have been made.
UNCERTAIN = {0, 502, 503, 504}


def iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def clock(timestamp: float) -> str:
    """Wall-clock time of day in UTC, as the servers' log lines show it."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def parse_time(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Api:
    """JSON over HTTP to one base URL; a connection that fails or breaks is status 0 (with the error as body)."""

    def __init__(self, base_url: str) -> None:
        parsed = urllib.parse.urlparse(base_url)
        self.host, self.port = parsed.hostname, parsed.port

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 20) -> tuple[int, object]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            try:
                return response.status, json.loads(text) if text else None
            except ValueError:
                return response.status, text
        except (OSError, http.client.HTTPException) as error:
            return 0, f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    def ok(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> object:
        status, answer = self.call(method, path, body, token)
        assert 200 <= status < 300, f"{method} {path} → {status} {answer}"
        return answer

    def all_tasks(self, token: str) -> list[dict]:
        tasks, cursor = [], None
        while True:
            path = "/api/v1/tasks?status=all&limit=500" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            page = self.ok("GET", path, token=token)
            tasks += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return tasks


# --- WebSocket sessions -------------------------------------------------------------------------------------------


@dataclass
class Session:
    connected_at: float
    ended_at: float | None = None
    messages: list[tuple[float, dict]] = field(default_factory=list)


class Watcher:
    """A browser tab: one WebSocket session for one user on one address, reconnecting whenever it drops."""

    def __init__(self, name: str, user: str, ws_url: str, token: str) -> None:
        self.name, self.user = name, user
        self.url = f"{ws_url}/api/v1/ws?access_token={token}"
        self.sessions: list[Session] = []
        self.errors: list[str] = []
        self.stopping = False
        self.socket = None

    @property
    def connected(self) -> bool:
        return bool(self.sessions) and self.sessions[-1].ended_at is None

    async def run(self) -> None:
        while not self.stopping:
            try:
                async with websockets.connect(self.url, open_timeout=5, ping_interval=10, ping_timeout=20, close_timeout=1) as socket:
                    self.socket = socket
                    hello = json.loads(await asyncio.wait_for(socket.recv(), 5))
                    if hello.get("type") != "hello":
                        self.errors.append(f"first message was not hello: {hello}")
                    session = Session(connected_at=time.time())
                    self.sessions.append(session)
                    async for raw in socket:
                        session.messages.append((time.time(), json.loads(raw)))
                    session.ended_at = time.time()
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as error:
                if self.connected:
                    self.sessions[-1].ended_at = time.time()
                if not self.errors or self.errors[-1] != type(error).__name__:
                    self.errors.append(type(error).__name__)
            if not self.stopping:
                await asyncio.sleep(0.2)


class WatcherPool:
    """Runs every watcher on one event loop in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="websockets", daemon=True)
        self.thread.start()
        self.watchers: list[Watcher] = []
        self.futures = []

    def add(self, watcher: Watcher) -> None:
        self.watchers.append(watcher)
        self.futures.append(asyncio.run_coroutine_threadsafe(watcher.run(), self.loop))

    def wait_connected(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not all(w.connected for w in self.watchers):
            assert time.monotonic() < deadline, f"not connected within {timeout} s: {[(w.name, w.errors) for w in self.watchers if not w.connected]}"
            time.sleep(0.05)

    def stop(self) -> None:
        """Closes every session the way a browser closing its tab does, then ends the loop."""

        async def close_all() -> None:
            for watcher in self.watchers:
                watcher.stopping = True
            await asyncio.gather(*(w.socket.close() for w in self.watchers if w.socket is not None), return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(timeout=10)
        for future in self.futures:
            try:
                future.result(timeout=5)
            except Exception:  # noqa: BLE001 - a session that was still reconnecting
                future.cancel()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


# --- the workload -------------------------------------------------------------------------------------------------


@dataclass
class Change:
    """One request that changes a task, as the client saw it."""

    kind: str  # created | updated | completed
    sent: float
    status: int
    attempts: int = 1
    title: str | None = None


@dataclass
class Record:
    """What the client knows of one task."""

    key: str
    kind: str  # plain | recurring | reminder | occurrence
    id: int | None = None
    # acked | uncertain (the create may or may not have happened) | system (an occurrence the recurring worker made)
    origin: str = "acked"
    changes: list[Change] = field(default_factory=list)
    due_at: float | None = None
    created_at: float | None = None

    @property
    def acked(self) -> list[Change]:
        return [c for c in self.changes if 200 <= c.status < 300]

    @property
    def ambiguous(self) -> bool:
        """A request of it failed on a dying replica and was sent again: it may have happened twice."""
        return any(c.attempts > 1 for c in self.changes)

    @property
    def completed(self) -> bool:
        return any(c.kind == "completed" for c in self.acked)

    @property
    def title(self) -> str:
        titles = [c.title for c in self.acked if c.title]
        return titles[-1] if titles else self.key


class UserWorkload(threading.Thread):
    """Creates, renames and completes one user's tasks through nginx until stopped, recording every outcome."""

    def __init__(self, api: Api, user: str, token: str, seed: int, pause: float, problems: list) -> None:
        super().__init__(name=f"workload-{user}", daemon=True)
        self.api, self.user, self.token = api, user, token
        self.random = random.Random(seed)
        self.pause = pause
        self.records: list[Record] = []
        self.ops = 0
        self.statuses: Counter = Counter()
        self.stop_event = threading.Event()
        self.problems = problems
        self.numbers = Counter()
        self.lock = threading.Lock()
        # hold() asks the thread to rest between requests; `resting` says it does.
        self.holding = threading.Event()
        self.resting = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            if self.holding.is_set():
                self.resting.set()
                self.stop_event.wait(0.05)
                continue
            self.resting.clear()
            self.step()
            self.ops += 1
            if self.ops % 12 == 0:
                self.discover_occurrences()
            self.stop_event.wait(self.pause)
        self.resting.set()

    def hold(self) -> None:
        """Returns once the thread rests between requests (so its records can be read)."""
        self.resting.clear()
        self.holding.set()
        self.resting.wait(timeout=60)

    def resume(self) -> None:
        self.holding.clear()

    def step(self) -> None:
        open_tasks = [r for r in self.records if r.id is not None and r.kind != "reminder" and not r.completed]
        roll = self.random.random()
        if roll < 0.22 or len(open_tasks) < 3:
            self.create("plain", {"priority": "low", "tags": ["cluster"]})
        elif roll < 0.38:
            tomorrow = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)
            self.create("recurring", {"due_at": f"{tomorrow}T09:00:00Z", "recurrence": {"frequency": "daily"}, "tags": ["cluster", "recurring"]})
        elif roll < 0.48:
            due = time.time() + self.random.uniform(2, 6)
            self.create("reminder", {"due_at": iso(due), "reminders": [{"offset_minutes": 0}]}, due_at=due)
        elif roll < 0.74:
            record = self.random.choice(open_tasks)
            version = len([c for c in record.changes if c.kind == "updated"]) + 1
            title = f"{record.key} v{version}"
            body = {"title": title, "priority": self.random.choice(["low", "medium", "high", "urgent"])}
            self.change(record, Change("updated", time.time(), 0, title=title), "PATCH", f"/api/v1/tasks/{record.id}", body)
        else:
            record = self.random.choice(open_tasks)
            self.change(record, Change("completed", time.time(), 0), "POST", f"/api/v1/tasks/{record.id}/complete", None)

    def burst(self, count: int) -> list[threading.Thread]:
        """Starts `count` creates at once, beside the workload's own requests (so that some are in flight when a
        replica dies); returns their threads."""
        threads = [threading.Thread(target=self.create, args=("plain", {"priority": "low", "tags": ["cluster", "burst"]}), daemon=True)
                   for _ in range(count)]
        for thread in threads:
            thread.start()
        return threads

    def create(self, kind: str, fields: dict, due_at: float | None = None) -> None:
        with self.lock:
            self.numbers[kind] += 1
            key = f"{self.user}-{KEY_LETTERS[kind]}{self.numbers[kind]:03d}"
        record = Record(key=key, kind=kind, due_at=due_at)
        change = Change("created", time.time(), 0, title=None)
        # Never sent twice: a create that reached a dying replica may or may not exist; the checks find out by title.
        change.status, answer = self.api.call("POST", "/api/v1/tasks", {"title": key, **fields}, self.token)
        self.statuses[("create", change.status)] += 1
        record.changes.append(change)
        if change.status == 201:
            record.id = answer["id"]
        elif change.status in UNCERTAIN:
            record.origin = "uncertain"
        else:
            self.problems.append(("wrong", "workload", f"create {key} → {change.status} {answer}"))
        self.records.append(record)

    def change(self, record: Record, change: Change, method: str, path: str, body: dict | None) -> None:
        """Sends a change, and again while the replica that took it died: setting a title or completing is idempotent."""
        deadline = time.monotonic() + 30
        while True:
            change.status, answer = self.api.call(method, path, body, self.token)
            self.statuses[(change.kind, change.status)] += 1
            if change.status not in UNCERTAIN or time.monotonic() > deadline or self.stop_event.is_set():
                break
            change.attempts += 1
            time.sleep(0.3)
        record.changes.append(change)
        if not 200 <= change.status < 300:
            self.problems.append(("wrong", "workload", f"{method} {path} ({record.key}) → {change.status} {answer} after {change.attempts} attempts"))

    def discover_occurrences(self) -> None:
        """Picks up the next occurrences the recurring worker made, so that they get renamed and completed too."""
        status, page = self.api.call("GET", "/api/v1/tasks?status=pending&tags=recurring&limit=500", token=self.token)
        if status != 200:
            return
        known = {r.id for r in self.records}
        for task in page["items"]:
            if task["occurrence"] > 1 and task["id"] not in known:
                self.records.append(Record(key=f"{self.user}-o{task['id']}", kind="occurrence", id=task["id"], origin="system",
                                           created_at=parse_time(task["created_at"])))


# --- the checks ---------------------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What the cluster holds for one user."""

    tasks: list[dict]
    notifications: list[dict]
    histories: dict[int, list[dict]] = field(default_factory=dict)


def snapshot(api: Api, token: str, with_history: bool) -> Snapshot:
    tasks = api.all_tasks(token)
    notifications = api.ok("GET", "/api/v1/notifications", token=token)
    result = Snapshot(tasks, notifications)
    if with_history:
        for task in tasks:
            result.histories[task["id"]] = api.ok("GET", f"/api/v1/tasks/{task['id']}/history", token=token)
    return result


def root_title(title: str) -> str:
    return title.split(" v")[0]


def reconcile(workload: UserWorkload, snap: Snapshot, problems: list) -> None:
    """Every acknowledged create exists exactly once; an uncertain one at most once (and then counts as made); no
    task appears that nobody created; titles and states are the last acknowledged ones. Fills in the ids of uncertain
    creates that did happen and adds the occurrences the workload never saw."""
    first = defaultdict(list)
    for task in snap.tasks:
        if task["occurrence"] == 1:
            first[root_title(task["title"])].append(task)
    by_id = {task["id"]: task for task in snap.tasks}
    records = {r.key: r for r in workload.records}
    for record in workload.records:
        if record.kind == "occurrence":
            continue
        found = first.get(record.key, [])
        if len(found) > 1:
            problems.append(("wrong", "tasks", f"{record.key} exists {len(found)} times: ids {[t['id'] for t in found]}"))
        elif record.origin == "acked" and not found:
            problems.append(("wrong", "tasks", f"{record.key} (id {record.id}) was acknowledged (201) but is not in the list"))
        elif record.origin == "acked" and found[0]["id"] != record.id:
            problems.append(("wrong", "tasks", f"{record.key}: acknowledged as id {record.id}, listed as id {found[0]['id']}"))
        elif record.origin == "uncertain" and found:
            record.id = found[0]["id"]
            record.origin = "uncertain-made"
    for root, found in first.items():
        if root not in records:
            problems.append(("wrong", "tasks", f"unexpected task {found[0]['id']} '{found[0]['title']}' (nobody created it)"))
    known = {r.id for r in workload.records}
    for task in snap.tasks:
        if task["occurrence"] > 1 and task["id"] not in known:
            workload.records.append(Record(key=f"{workload.user}-o{task['id']}", kind="occurrence", id=task["id"], origin="system",
                                           created_at=parse_time(task["created_at"])))
    for record in workload.records:
        task = by_id.get(record.id)
        if task is None or record.ambiguous:
            continue
        # An occurrence keeps the title its predecessor had until the workload renames it.
        renamed = record.kind != "occurrence" or any(c.title for c in record.acked)
        if renamed and task["title"] != record.title:
            problems.append(("wrong", "tasks", f"task {record.id}: title '{task['title']}', last acknowledged '{record.title}'"))
        if task["completed"] != record.completed:
            problems.append(("wrong", "tasks", f"task {record.id} ({record.key}): completed={task['completed']}, acknowledged {record.completed}"))


def check_recurrence(snap: Snapshot, problems: list) -> None:
    """Every completed recurring task has exactly one next occurrence; every occurrence follows a completed one."""
    by_place = defaultdict(list)
    for task in snap.tasks:
        if task["series_id"] is not None:
            by_place[(task["series_id"], task["occurrence"])].append(task)
    for (series, occurrence), found in by_place.items():
        if len(found) > 1:
            problems.append(("wrong", "recurrence", f"series {series} has {len(found)} occurrences number {occurrence}: ids {[t['id'] for t in found]}"))
        if occurrence > 1:
            previous = by_place.get((series, occurrence - 1), [])
            if not any(t["completed"] for t in previous):
                problems.append(("wrong", "recurrence", f"occurrence {occurrence} of series {series} (task {found[0]['id']}) follows no completed occurrence"))
    for task in snap.tasks:
        if task["recurrence"] and task["completed"]:
            following = by_place.get((task["series_id"], task["occurrence"] + 1), [])
            if not following:
                problems.append(("missing", "recurrence", f"completed recurring task {task['id']} (series {task['series_id']}, occurrence "
                                            f"{task['occurrence']}, completed {task['completed_at']}) has no next occurrence"))


def check_reminders(workload: UserWorkload, snap: Snapshot, problems: list, now: float) -> None:
    """Every reminder that came due fired once and left exactly one notification; nothing else notified."""
    by_id = {task["id"]: task for task in snap.tasks}
    per_task = Counter(n["task_id"] for n in snap.notifications)
    expected = set()
    for record in workload.records:
        if record.kind != "reminder" or record.id is None:
            continue
        expected.add(record.id)
        task = by_id[record.id]
        fire_at = parse_time(task["reminders"][0]["fire_at"])
        if fire_at > now - 0.5:
            continue
        if task["reminders"][0]["fired_at"] is None:
            problems.append(("missing", "reminders", f"reminder of task {record.id} due {task['reminders'][0]['fire_at']} has not fired"))
        if per_task[record.id] == 0:
            problems.append(("missing", "reminders", f"reminder of task {record.id} due {task['reminders'][0]['fire_at']}: no notification"))
        elif per_task[record.id] > 1:
            problems.append(("wrong", "reminders", f"reminder of task {record.id}: {per_task[record.id]} notifications"))
    for task_id, count in per_task.items():
        if task_id not in expected:
            problems.append(("wrong", "reminders", f"{count} notification(s) for task {task_id}, which has no reminder"))


def expected_actions(record: Record) -> list[str]:
    """The audit actions of a task: its creation (acknowledged, made by the recurring worker, or of unknown outcome but
    made) and every acknowledged change after it."""
    made = ["created"] if record.origin in ("system", "uncertain-made") else []
    return made + [c.kind for c in record.acked]


def check_history(workload: UserWorkload, snap: Snapshot, problems: list) -> None:
    """The audit log holds each change of each task exactly once, in order."""
    records = {r.id: r for r in workload.records if r.id is not None}
    for task in snap.tasks:
        history = snap.histories.get(task["id"], [])
        actions = [entry["action"] for entry in history]
        repeated = [event for event, count in Counter(e["event_id"] for e in history).items() if count > 1]
        if repeated:
            problems.append(("wrong", "history", f"history of task {task['id']} holds event(s) {repeated} more than once: {actions}"))
        record = records.get(task["id"])
        if record is None:
            continue
        expected = expected_actions(record)
        if record.ambiguous:
            # A change sent again after a dying replica may legitimately appear twice (the second time as an update).
            if actions.count("created") != 1 or len(actions) < len(expected):
                problems.append(("missing" if len(actions) < len(expected) else "wrong", "history",
                                 f"history of task {task['id']} ({record.key}, retried): {actions}, expected at least {expected}"))
        elif len(actions) < len(expected) and actions == expected[: len(actions)]:
            problems.append(("missing", "history", f"history of task {task['id']} ({record.key}): {actions}, expected {expected}"))
        elif actions != expected:
            problems.append(("wrong", "history", f"history of task {task['id']} ({record.key}): {actions}, expected {expected}"))
        elif history and history[0]["source"] != ("system" if record.origin == "system" else "api"):
            problems.append(("wrong", "history", f"history of task {task['id']}: created by source {history[0]['source']}"))


def message_key(message: dict) -> tuple | None:
    kind = message.get("type")
    if kind in ("task.created", "task.completed"):
        return (kind, message["task"]["id"])
    if kind == "task.updated":
        return (kind, message["task"]["id"], message["task"]["title"])
    if kind == "reminder.due":
        return (kind, message["task_id"])
    if kind == "notification":
        return (kind, message["notification"]["task_id"])
    return None


def expected_pushes(workload: UserWorkload, snap: Snapshot, since: float) -> dict[tuple, tuple[float, bool]]:
    """The messages a session of this user that opened at `since` must get: key → (when it happened, may repeat)."""
    by_id = {task["id"]: task for task in snap.tasks}
    expected = {}
    for record in workload.records:
        if record.id is None:
            continue
        may_repeat = record.ambiguous
        if record.origin == "system":
            if record.created_at and record.created_at > since:
                expected[("task.created", record.id)] = (record.created_at, may_repeat)
        for change in record.changes:
            made = 200 <= change.status < 300 or (change.kind == "created" and record.origin == "uncertain-made")
            if change.sent < since or not made:
                continue
            if change.kind == "updated":
                expected[("task.updated", record.id, change.title)] = (change.sent, may_repeat)
            else:
                expected[(f"task.{change.kind}", record.id)] = (change.sent, may_repeat)
        task = by_id.get(record.id)
        if record.kind == "reminder" and task and task["reminders"][0]["fired_at"]:
            fired = parse_time(task["reminders"][0]["fired_at"])
            if fired > since:
                expected[("reminder.due", record.id)] = (fired, False)
                expected[("notification", record.id)] = (fired, False)
    return expected


def check_pushes(watcher: Watcher, workload: UserWorkload, snap: Snapshot, problems: list, latencies: list | None = None) -> None:
    """The watcher's current session got every change made since it opened, each once."""
    if not watcher.connected:
        problems.append(("missing", "websocket", f"WebSocket {watcher.name} is not connected (errors: {watcher.errors[-3:]})"))
        return
    session = watcher.sessions[-1]
    # The session is registered before `hello` is sent: a change sent after that must reach it. 50 ms of slack for
    # the server's millisecond timestamps.
    expected = expected_pushes(workload, snap, session.connected_at + 0.05)
    seen = Counter()
    first_seen = {}
    for received, message in list(session.messages):
        key = message_key(message)
        if key is not None:
            seen[key] += 1
            first_seen.setdefault(key, received)
    missing = sorted((expected[key][0], key) for key in expected if seen[key] == 0)
    if missing:
        problems.append(("missing", "websocket",
                         f"WebSocket {watcher.name} (session since {clock(session.connected_at)}): {len(missing)} of {len(expected)} changes "
                         f"never arrived, made {clock(missing[0][0])}–{clock(missing[-1][0])}, e.g. {[key for _, key in missing[:3]]}"))
    doubled = [(key, seen[key]) for key, (_, may_repeat) in expected.items() if seen[key] > 1 and not may_repeat]
    if doubled:
        problems.append(("wrong", "websocket", f"WebSocket {watcher.name}: {len(doubled)} changes arrived more than once, e.g. {doubled[:4]}"))
    if latencies is not None:
        latencies += [first_seen[key] - at for key, (at, _) in expected.items() if key in first_seen]
