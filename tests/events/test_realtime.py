"""Live updates, recurring tasks, reminders, notifications and history on the embedded default, through a real
WebSocket client and the HTTP API."""

import asyncio
import http.client
import json
import sys
from pathlib import Path

import pytest
import websockets
import websockets.exceptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server, next_message, soon  # noqa: E402


@pytest.fixture(scope="module")
def server():
    # Heartbeats (and the token check that comes with each) every half second instead of 25 s.
    running = Server({"TASKPILOT_WS_HEARTBEAT": "0.5"})
    yield running
    running.stop()


async def test_changes_reach_open_sessions_of_the_owner_only(server):
    alice = server.register("alice-ws@example.com")
    bob = server.register("bob-ws@example.com")
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/ws?access_token={alice['token']}") as first, \
            websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/ws", subprotocols=["bearer", alice["token"]]) as second, \
            websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/ws?access_token={bob['token']}") as other:
        for socket in (first, second, other):
            assert (await next_message(socket, {"hello"}))["type"] == "hello"
        status, task = server.request("POST", "/api/v1/tasks", {"title": "live one"}, token=alice["token"])
        assert status == 201
        for socket in (first, second):
            created = await next_message(socket, {"task.created"})
            assert created["task"]["id"] == task["id"] and created["task"]["title"] == "live one"
        server.request("PATCH", f"/api/v1/tasks/{task['id']}", {"priority": "high"}, token=alice["token"])
        assert (await next_message(first, {"task.updated"}))["task"]["priority"] == "high"
        server.request("POST", f"/api/v1/tasks/{task['id']}/complete", token=alice["token"])
        assert (await next_message(first, {"task.completed"}))["task"]["completed"] is True
        server.request("DELETE", f"/api/v1/tasks/{task['id']}", token=alice["token"])
        assert (await next_message(first, {"task.deleted"}))["task_id"] == task["id"]
        # Bob's session saw none of it.
        with pytest.raises(asyncio.TimeoutError):
            await next_message(other, {"task.created", "task.updated", "task.completed", "task.deleted"}, timeout=0.7)


async def test_a_bad_token_gets_no_socket(server):
    base = f"ws://127.0.0.1:{server.port}/api/v1/ws"
    # A handshake without valid credentials is refused with 401 and the error body naming what to send.
    for url, subprotocols, mentions in (
        (base + "?access_token=nonsense", None, "token"),
        (base, None, "access_token"),
        (base, ["bearer", "nonsense"], "token"),
    ):
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(url, subprotocols=subprotocols):
                pass
        assert refused.value.response.status_code == 401, url
        error = json.loads(refused.value.response.body)["error"]
        assert error["code"] == "unauthorized" and mentions in error["message"], error
    # A handshake to a path that has no socket is 404, with the same error body, whatever its credentials.
    user = server.register("refused-ws@example.com")
    with pytest.raises(websockets.exceptions.InvalidStatus) as missing:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/sockets?access_token={user['token']}"):
            pass
    assert missing.value.response.status_code == 404
    assert json.loads(missing.value.response.body)["error"]["code"] == "not_found"
    # The connection that was refused is not the server's last: a good token still gets its socket.
    async with websockets.connect(f"{base}?access_token={user['token']}") as socket:
        assert (await next_message(socket, {"hello"}))["type"] == "hello"


def test_upgrades_the_server_does_not_make_are_answered_as_plain_requests(server):
    """A request asking for an upgrade other than a whole WebSocket handshake (h2c, as `curl --http2` and Java's HTTP
    client send; a handshake without its key or version) gets an answer, not a connection closed unanswered, and the
    connection closes after it (the client opens another for its next request); at /api/v1/ws a handshake that is not
    whole is told what it lacks."""
    user = server.register("upgrades@example.com")
    h2c = {"Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c", "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA"}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for path, status in (("/health/live", 200), ("/api/v1/tasks", 200), ("/api/v1/nothing", 404)):
        connection.request("GET", path, headers={**h2c, "Authorization": f"Bearer {user['token']}"})
        response = connection.getresponse()
        body = response.read()
        assert response.status == status, (path, response.status, body)
        assert response.getheader("Upgrade") is None and response.getheader("Connection") == "close"
    # `Connection: Upgrade` without an Upgrade header asks for nothing: the connection is kept for the next request.
    keep = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for _ in range(2):
        keep.request("GET", "/health/live", headers={"Connection": "Upgrade"})
        response = keep.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("Connection") is None
    keep.close()
    # A POST asking for h2c creates its task once.
    connection.request("POST", "/api/v1/tasks", body=json.dumps({"title": "over h2c"}), headers={
        **h2c, "Authorization": f"Bearer {user['token']}", "Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 201 and json.loads(response.read())["title"] == "over h2c"
    connection.close()
    handshake = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    for missing, says in (("Sec-WebSocket-Key", "Sec-WebSocket-Key is missing"), ("Sec-WebSocket-Version", "Sec-WebSocket-Version must be 13")):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        headers = {name: value for name, value in handshake.items() if name != missing}
        connection.request("GET", f"/api/v1/ws?access_token={user['token']}", headers=headers)
        response = connection.getresponse()
        error = json.loads(response.read())["error"]
        assert response.status == 400 and error["code"] == "bad_request" and says in error["message"], (missing, error)
        connection.close()
    # A client's own Taskpilot-WebSocket-Problem header is dropped: its plain GET is answered as one.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", f"/api/v1/ws?access_token={user['token']}", headers={"Taskpilot-WebSocket-Problem": "made up"})
    response = connection.getresponse()
    assert response.status == 400 and json.loads(response.read())["error"]["code"] == "upgrade_required"
    connection.close()


async def test_a_revoked_token_ends_its_open_session(server):
    user = server.register("revoke-ws@example.com")
    status, created = server.request("POST", "/api/v1/tokens", {"name": "socket"}, token=user["token"])
    assert status == 201
    url = f"ws://127.0.0.1:{server.port}/api/v1/ws?access_token="
    async with websockets.connect(url + created["token"]) as revoked, websockets.connect(url + user["token"]) as kept:
        for socket in (revoked, kept):
            assert (await next_message(socket, {"hello"}))["type"] == "hello"
        assert (await next_message(revoked, {"heartbeat"}, timeout=3))["type"] == "heartbeat"
        assert server.request("DELETE", f"/api/v1/tokens/{created['id']}", token=user["token"])[0] == 204
        assert (await next_message(revoked, {"session_expired"}, timeout=3))["type"] == "session_expired"
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(revoked.recv(), 3)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        # The session of a token still valid goes on.
        assert (await next_message(kept, {"heartbeat"}, timeout=3))["type"] == "heartbeat"


async def test_recurring_task_rolls_forward_once_and_history_records_it(server):
    user = server.register("recurring@example.com", timezone="Europe/Paris")
    token = user["token"]
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/ws?access_token={token}") as socket:
        await next_message(socket, {"hello"})
        status, task = server.request("POST", "/api/v1/tasks", {
            "title": "Pay rent", "due_at": "2026-01-31T09:00", "tags": ["home"], "priority": "high",
            "recurrence": {"frequency": "monthly"}, "reminders": [{"offset_minutes": 60}],
        }, token=token)
        assert status == 201 and task["recurrence"]["by_month_day"] == [31]
        await next_message(socket, {"task.created"})
        server.request("POST", f"/api/v1/tasks/{task['id']}/complete", token=token)
        created = await next_message(socket, {"task.created"})
        following = created["task"]
        assert following["series_id"] == task["id"] and following["occurrence"] == 2
        assert following["due_at"] == "2026-02-28T08:00:00Z"  # 09:00 in Paris on the last day of February
        assert following["tags"] == ["home"] and following["priority"] == "high"
        assert [r["offset_minutes"] for r in following["reminders"]] == [60]
        # Reopening (an undo) takes back the untouched occurrence its completion created; completing again creates
        # occurrence 2 once more, never a second one.
        server.request("POST", f"/api/v1/tasks/{task['id']}/reopen", token=token)
        withdrawn = await next_message(socket, {"task.deleted"})
        assert withdrawn["task_id"] == following["id"]
        server.request("POST", f"/api/v1/tasks/{task['id']}/complete", token=token)
        again = (await next_message(socket, {"task.created"}))["task"]
        assert again["occurrence"] == 2 and again["due_at"] == following["due_at"]
        server.request("POST", f"/api/v1/tasks/{task['id']}/reopen", token=token)
        assert (await next_message(socket, {"task.deleted"}))["task_id"] == again["id"]
        server.request("POST", f"/api/v1/tasks/{task['id']}/complete", token=token)
        following = (await next_message(socket, {"task.created"}))["task"]
        # An occurrence someone changed stays when the completion before it is undone.
        server.request("PATCH", f"/api/v1/tasks/{following['id']}", {"priority": "urgent"}, token=token)
        server.request("POST", f"/api/v1/tasks/{task['id']}/reopen", token=token)
        server.request("POST", f"/api/v1/tasks/{task['id']}/complete", token=token)
        await next_message(socket, {"task.completed"})
        await asyncio.sleep(0.5)
        status, page = server.request("GET", "/api/v1/tasks?status=all&tags=home", token=token)
        assert sorted(item["occurrence"] for item in page["items"]) == [1, 2]
    status, history = server.request("GET", f"/api/v1/tasks/{task['id']}/history", token=token)
    assert status == 200
    assert [entry["action"] for entry in history] == ["created"] + ["completed", "reopened"] * 3 + ["completed"]
    assert history[0]["source"] == "api" and history[0]["after"]["title"] == "Pay rent"
    status, system = server.request("GET", f"/api/v1/tasks/{following['id']}/history", token=token)
    assert [(entry["action"], entry["source"]) for entry in system] == [("created", "system"), ("updated", "api")]
    assert system[0]["actor"] == "system"


async def test_a_due_reminder_arrives_live_and_as_a_notification(server):
    user = server.register("reminder@example.com")
    token = user["token"]
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/ws?access_token={token}") as socket:
        await next_message(socket, {"hello"})
        status, task = server.request("POST", "/api/v1/tasks", {
            "title": "Call the bank", "due_at": soon(1.5), "reminders": [{"offset_minutes": 0}],
        }, token=token)
        assert status == 201
        reminder = await next_message(socket, {"reminder.due"}, timeout=6)
        assert reminder["task_id"] == task["id"] and reminder["title"] == "Call the bank"
        notification = await next_message(socket, {"notification"})
        assert notification["notification"]["title"] == "Call the bank"
        status, notifications = server.request("GET", "/api/v1/notifications", token=token)
        assert [n["title"] for n in notifications] == ["Call the bank"] and notifications[0]["read_at"] is None
        status, read = server.request("POST", f"/api/v1/notifications/{notifications[0]['id']}/read", token=token)
        assert status == 200 and read["read_at"]
        # Every open session hears that it was read (its tray's unread count follows), once.
        seen = await next_message(socket, {"notification.read"})
        assert seen["notification"]["id"] == read["id"] and seen["notification"]["read_at"] == read["read_at"]
        assert server.request("POST", f"/api/v1/notifications/{read['id']}/read", token=token)[0] == 200
        with pytest.raises(asyncio.TimeoutError):
            await next_message(socket, {"notification.read"}, timeout=0.7)
    other = server.register("nosy@example.com")
    status, _ = server.request("POST", f"/api/v1/notifications/{notifications[0]['id']}/read", token=other["token"])
    assert status == 404
    status, mine = server.request("GET", "/api/v1/notifications?unread=true", token=token)
    assert mine == []
    # The reminder fired exactly once.
    status, again = server.request("GET", f"/api/v1/tasks/{task['id']}", token=token)
    assert again["reminders"][0]["fired_at"]
    await asyncio.sleep(1.0)
    status, notifications = server.request("GET", "/api/v1/notifications", token=token)
    assert len(notifications) == 1


async def test_the_reminder_of_an_all_day_task_names_its_day_without_a_time(server):
    import datetime as dt
    import time

    token = server.register("allday-reminder@example.com")["token"]
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date()
    status, task = server.request("POST", "/api/v1/tasks", {
        "title": "Renew passport", "due_at": day.isoformat(), "reminders": [{"at": soon(1.0)}],
    }, token=token)
    assert status == 201 and task["all_day"]
    deadline = time.monotonic() + 10
    notifications = []
    while not notifications and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        notifications = server.request("GET", "/api/v1/notifications", token=token)[1]
    assert len(notifications) == 1, notifications
    body = notifications[0]["body"]
    # "Due Mon 7 Dec", not "Due Mon 7 Dec 00:00": an all-day task has no time.
    assert body.startswith("Due ") and str(day.day) in body and ":" not in body, body


async def test_history_is_private(server):
    alice = server.register("alice-history@example.com")
    bob = server.register("bob-history@example.com")
    status, task = server.request("POST", "/api/v1/tasks", {"title": "mine"}, token=alice["token"])
    status, _ = server.request("GET", f"/api/v1/tasks/{task['id']}/history", token=bob["token"])
    assert status == 404
