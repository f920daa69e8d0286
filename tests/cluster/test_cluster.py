"""The local multi-process cluster end to end (issue #6 item 5): PostgreSQL, tansu, api-1 and api-2 behind nginx and
one process per worker role (scripts/cluster.py). A workload of three users runs through nginx while api-1, the
recurring worker and the broker are each killed and restarted in turn; browser-like WebSocket sessions on api-1,
api-2 and through nginx watch. After each fault the workload rests while the cluster catches up (polled, with a
deadline), so that what went wrong is tied to the fault that caused it. Checked each time: every acknowledged task
exists exactly once, every completed recurring task has exactly one next occurrence, every due reminder fired once
with one notification, every task's audit history holds each change once, and every session got every change made
after it (re)connected, once."""

import re
import statistics
import time
import uuid
from collections import Counter

import pytest

from harness import (
    PASSWORD, Api, UserWorkload, Watcher, WatcherPool, check_history, check_pushes, check_recurrence, check_reminders, clock, reconcile,
    snapshot,
)

USERS = 3
# Seconds each user's thread rests between requests: about 15 requests a second in all on 2 cores.
PAUSE = 0.15
# Requests before the faults, while each fault lasts and after each restart: 7 phases, about 300 requests in all.
PHASE = 45
# Creates each user fires at once right before api-1 is killed: some reach api-1 and die with it (nginx answers 502).
BURST = 8
# How long the cluster may take to catch up after each fault: a consumer group that lost a member by SIGKILL waits for
# the member's session to time out (6 s) before the restarted one gets its partitions (~10 s seen); after the broker
# lost its log, every consumer group forms again on the new broker (12–15 s seen).
CATCH_UP = 60


class Timeline:
    def __init__(self) -> None:
        self.begun = time.monotonic()
        self.lines: list[str] = []

    def note(self, line: str) -> None:
        entry = f"[{time.monotonic() - self.begun:6.1f} s {clock(time.time())}] {line}"
        self.lines.append(entry)
        print(entry, flush=True)


def register(api: Api, label: str) -> tuple[str, str]:
    email = f"{label}-{uuid.uuid4().hex[:8]}@example.com"
    answer = api.ok("POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD})
    return label, answer["token"]


def ws(url: str) -> str:
    return url.replace("http://", "ws://")


def error_lines(cluster, limit: int = 6) -> str:
    """Each member's distinct warning/error lines (timestamps aside), the taskpilot ones before librdkafka's
    (`%3|…`), for the failure message."""
    out = []
    for name in cluster.members:
        counts: Counter = Counter()
        first: dict[str, str] = {}
        for line in cluster.logs(name, None).splitlines():
            line = re.sub(r"\x1b\[[0-9;]*m", "", line)
            if not re.search(r"\b(warning|error|critical|fatal|panic)\b", line, re.I):
                continue
            shape = re.sub(r"\d+", "N", line[line.find(" ", 20):] if not line.startswith("%") else line.split("|", 3)[-1])
            counts[shape] += 1
            first.setdefault(shape, line)
        shapes = sorted(counts, key=lambda shape: (first[shape].startswith("%"), -counts[shape]))
        if shapes:
            out.append(f"--- {name} ---\n" + "\n".join(f"{counts[shape]:5}× {first[shape][:300]}" for shape in shapes[:limit]))
    return "\n".join(out) or "(no warning or error lines in any log)"


def test_nginx_spreads_requests_over_both_replicas_and_a_change_reaches_a_session_on_the_other(cluster):
    api = Api(cluster.url)
    _, token = register(api, "smoke")
    for _ in range(6):
        api.ok("GET", "/api/v1/auth/me", token=token)
    access = (cluster.logs_dir / "nginx-access.log").read_text().splitlines()[-6:]
    for name in ("api-1", "api-2"):
        assert any(f"upstream=127.0.0.1:{cluster.member(name).port}" in line for line in access), f"nginx never chose {name}:\n" + "\n".join(access)

    pool = WatcherPool()
    try:
        watchers = [Watcher(f"smoke@{name}", "smoke", ws(url), token)
                    for name, url in (("api-2", cluster.member("api-2").url), ("nginx", cluster.url))]
        for watcher in watchers:
            pool.add(watcher)
        pool.wait_connected()
        task = Api(cluster.member("api-1").url).ok("POST", "/api/v1/tasks", {"title": "made on api-1"}, token=token)
        deadline = time.monotonic() + 15
        while not all(any(m.get("type") == "task.created" and m["task"]["id"] == task["id"] for _, m in w.sessions[-1].messages) for w in watchers):
            assert time.monotonic() < deadline, f"a task made on api-1 did not reach the sessions on api-2 and nginx within 15 s:\n{error_lines(cluster)}"
            time.sleep(0.05)
    finally:
        pool.stop()
    # Every process started within a second of the others on a fresh broker: none may take a marker still on its way
    # for a broker that lost its log (that replays the outbox and restarts every consumer group for nothing).
    alarmed = [name for name in cluster.members if "the broker lost its log" in cluster.logs(name, None)]
    assert not alarmed, f"{alarmed} took the broker for one that lost its log, though it never restarted:\n{error_lines(cluster)}"


def test_no_task_or_event_is_lost_or_doubled_when_a_replica_a_worker_and_the_broker_die(cluster):
    timeline = Timeline()
    api = Api(cluster.url)
    users = dict(register(api, f"user{i + 1}") for i in range(USERS))
    pool = WatcherPool()
    watchers = {user: [Watcher(f"{user}@{place}", user, ws(url), token)
                       for place, url in (("api-1", cluster.member("api-1").url), ("api-2", cluster.member("api-2").url), ("nginx", cluster.url))]
                for user, token in users.items()}
    for watcher in (w for ws_ in watchers.values() for w in ws_):
        pool.add(watcher)
    try:
        Scenario(cluster, timeline, api, users, pool, watchers).run()
    finally:
        pool.stop()


class Scenario:
    def __init__(self, cluster, timeline: Timeline, api: Api, users: dict[str, str], pool: WatcherPool, watchers: dict[str, list[Watcher]]) -> None:
        self.cluster, self.timeline, self.api, self.users, self.pool, self.watchers = cluster, timeline, api, users, pool, watchers
        # (missing | wrong, area, text): "missing" may still arrive while the cluster catches up; "wrong" will not go away.
        self.problems: list[tuple[str, str, str]] = []
        seed = int(time.time())
        self.workloads = {user: UserWorkload(api, user, token, seed + i, PAUSE, self.problems) for i, (user, token) in enumerate(users.items())}
        self.timeline.note(f"workload seed {seed}")

    def done(self) -> int:
        return sum(w.ops for w in self.workloads.values())

    def run_workload(self, ops: int, while_: str) -> None:
        """Lets the workload make `ops` more requests (a deadline, not a sleep: a stalled cluster is a finding)."""
        target, deadline = self.done() + ops, time.monotonic() + 45
        while self.done() < target:
            if time.monotonic() > deadline:
                self.problems.append(("wrong", "workload", f"the workload stalled {while_}: {self.done()} of {target} requests after 45 s"))
                return
            time.sleep(0.05)

    def check(self, with_history: bool, latencies: list | None = None) -> list[tuple[str, str, str]]:
        """Everything the cluster should hold and have pushed for what the workload did so far (the workload rests)."""
        found = list(self.problems)
        now = time.time()
        for user, workload in self.workloads.items():
            snap = snapshot(self.api, self.users[user], with_history)
            reconcile(workload, snap, found)
            check_recurrence(snap, found)
            check_reminders(workload, snap, found, now)
            if with_history:
                check_history(workload, snap, found)
            for watcher in self.watchers[user]:
                check_pushes(watcher, workload, snap, found, latencies)
        for member in self.cluster.exited():
            found.append(("wrong", "processes", f"{member.name} exited by itself (code {member.process.returncode}):\n{self.cluster.logs(member.name, 15)}"))
        return found

    def settle(self, after: str, deadline_s: float = CATCH_UP) -> list[tuple[str, str, str]]:
        """Rests the workload and polls until nothing is missing (or the deadline); notes how long it took."""
        for workload in self.workloads.values():
            workload.hold()
        begun = time.monotonic()
        deadline, next_note = begun + deadline_s, begun + 15
        while True:
            found = self.check(with_history=False)
            if not any(kind == "missing" for kind, _, _ in found):
                # History last: it is the costly part (one request per task).
                found = self.check(with_history=True)
                if not any(kind == "missing" for kind, _, _ in found):
                    break
            if time.monotonic() > deadline:
                break
            if time.monotonic() > next_note:
                self.timeline.note(f"  catching up: {self.summary(found)}")
                next_note = time.monotonic() + 15
            time.sleep(0.5)
        elapsed = time.monotonic() - begun
        if any(kind == "missing" for kind, _, _ in found):
            self.timeline.note(f"{after}: still missing after {elapsed:.0f} s: {self.summary(found)}; outbox: {outbox_state(self.cluster)}")
        else:
            wrong = Counter(area for kind, area, _ in found if kind == "wrong")
            self.timeline.note(f"{after}: caught up in {elapsed:.1f} s" + (f"; wrong so far: {dict(wrong)}" if wrong else ""))
        return found

    @staticmethod
    def summary(found: list[tuple[str, str, str]]) -> str:
        return str(dict(Counter(area for kind, area, _ in found if kind == "missing")))

    def resume(self) -> None:
        for workload in self.workloads.values():
            workload.resume()

    def fault(self, name: str, what: str, burst: int = 0) -> None:
        # A burst of creates from every user right before the kill, so that some are in flight when it lands.
        bursts = [thread for workload in self.workloads.values() for thread in workload.burst(burst)]
        self.cluster.kill(name)
        for thread in bursts:
            thread.join(timeout=30)
        self.timeline.note(f"{name} killed ({what}) after {self.done()} requests" + (f" and a burst of {len(bursts)} creates" if bursts else ""))
        self.run_workload(PHASE, f"while {name} was down")
        self.timeline.note(f"{name} restarted, ready in {self.cluster.restart(name):.1f} s")
        self.run_workload(PHASE, f"after {name} came back")
        self.settle(f"after {name} was killed and restarted")
        self.resume()

    def run(self) -> None:
        self.pool.wait_connected()
        self.timeline.note(f"{len(self.pool.watchers)} WebSocket sessions open ({USERS} users × api-1, api-2, nginx)")
        for workload in self.workloads.values():
            workload.start()
        try:
            self.run_workload(PHASE, "before the faults")
            self.settle("without faults")
            self.resume()
            self.fault("api-1", "SIGKILL", burst=BURST)
            self.fault("worker-recurring", "SIGKILL")
            self.fault("broker", "SIGKILL; its in-memory log is gone")
        finally:
            for workload in self.workloads.values():
                workload.stop_event.set()
            for workload in self.workloads.values():
                workload.join(timeout=60)
        self.report()

    def report(self) -> None:
        # Late doubles (a replay after the broker restart, a redelivery) would show up a little later: look once more.
        time.sleep(3)
        latencies: list[float] = []
        found = self.check(with_history=True, latencies=latencies)
        for watcher in self.watchers_on("api-2"):
            if len(watcher.sessions) > 1:
                found.append(("wrong", "websocket", f"WebSocket {watcher.name} was disconnected though api-2 never died: {watcher.errors}"))
        records = [r for w in self.workloads.values() for r in w.records]
        statuses = sum((w.statuses for w in self.workloads.values()), Counter())
        self.timeline.note(f"{self.done()} requests, answers {dict(sorted(statuses.items()))}")
        self.timeline.note(f"tasks by kind {dict(Counter(r.kind for r in records))}; creates of unknown outcome "
                           f"{[r.key for r in records if r.origin.startswith('uncertain')]}; changes sent again {[r.key for r in records if r.ambiguous]}")
        reconnects = {w.name: len(w.sessions) - 1 for ws_ in self.watchers.values() for w in ws_ if len(w.sessions) > 1}
        self.timeline.note(f"WebSocket reconnects {reconnects}")
        if latencies:
            latencies.sort()
            self.timeline.note(f"change → WebSocket push over {len(latencies)} pushes: median {statistics.median(latencies) * 1000:.0f} ms, "
                               f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
        self.timeline.note(f"outbox: {outbox_state(self.cluster)}")
        if found:
            pytest.fail(describe(found) + "\n\ntimeline:\n" + "\n".join(self.timeline.lines) +
                        f"\n\nwarnings and errors in the logs (folder {self.cluster.folder}):\n{error_lines(self.cluster)}", pytrace=False)

    def watchers_on(self, place: str) -> list[Watcher]:
        return [w for ws_ in self.watchers.values() for w in ws_ if w.name.endswith("@" + place)]


def describe(found: list[tuple[str, str, str]], examples: int = 8) -> str:
    """The problems grouped by area, a few examples each."""
    areas: dict[str, list[str]] = {}
    for kind, area, text in found:
        entry = f"[{kind}] {text}"
        if entry not in areas.setdefault(area, []):
            areas[area].append(entry)
    lines = [f"{sum(len(v) for v in areas.values())} problems in {', '.join(f'{a} ({len(v)})' for a, v in areas.items())}:"]
    for area, entries in areas.items():
        lines.append(f"{area}:")
        lines += [f"  - {entry}" for entry in entries[:examples]]
        if len(entries) > examples:
            lines.append(f"  … and {len(entries) - examples} more")
    return "\n".join(lines)


def outbox_state(cluster) -> str:
    """How many events still wait in the outbox per topic (read straight from PostgreSQL)."""
    try:
        rows = cluster.sql("SELECT topic, count(*) FILTER (WHERE published_at IS NULL), count(*) FROM outbox GROUP BY topic ORDER BY topic")
    except Exception as error:  # noqa: BLE001 - a diagnostic only
        return f"(could not read: {error})"
    return "; ".join(f"{topic}: {waiting} of {total} unpublished" for topic, waiting, total in (row.split("|") for row in rows.splitlines())) or "empty"
