"""The MCP server, driven by the official MCP Python SDK over Streamable HTTP (/mcp) and stdio (`taskpilot mcp`)."""

import json
import sys
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server  # noqa: E402

EXPECTED_TOOLS = {
    "add_task", "list_tasks", "complete_task", "delete_task", "update_task", "reopen_task", "bulk_tasks", "set_reminder", "list_tags",
}


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.stop()


def result_json(result):
    assert result.content, result
    return json.loads(result.content[0].text)


async def exercise_every_tool(session: ClientSession, server: Server, other_token: str) -> None:
    init = await session.initialize()
    assert init.server_info.name == "taskpilot"
    tools = await session.list_tools()
    names = {tool.name for tool in tools.tools}
    assert names == EXPECTED_TOOLS
    for tool in tools.tools:
        assert tool.description and tool.input_schema["type"] == "object"

    created = result_json(await session.call_tool("add_task", {
        "title": "Pay rent", "due": "2030-12-01T09:00:00Z", "priority": "high", "tags": ["home"], "recurrence": "every month on the 1st",
    }))
    assert created["status"] == "created" and created["title"] == "Pay rent"
    task_id = created["task_id"]

    listed = result_json(await session.call_tool("list_tasks", {"tags": ["home"]}))
    assert [item["id"] for item in listed] == [task_id]
    assert listed[0]["priority"] == "high" and listed[0]["due_at"] == "2030-12-01T09:00:00Z"

    updated = result_json(await session.call_tool("update_task", {"task_id": task_id, "title": "Pay the rent", "due": "2030-12-01"}))
    assert updated == {"task_id": task_id, "status": "updated", "title": "Pay the rent"}

    reminder = result_json(await session.call_tool("set_reminder", {"task_id": task_id, "offset_minutes": 60}))
    assert reminder["status"] == "reminder_set" and reminder["fire_at"]
    # A reminder that has passed would fire at once: refused, with what to do instead.
    past = await session.call_tool("set_reminder", {"task_id": task_id, "at": "2020-01-01T08:00:00Z"})
    assert past.is_error and "has passed" in past.content[0].text, past

    call = result_json(await session.call_tool("add_task", {"title": "Call mom", "tags": ["family"]}))
    assert result_json(await session.call_tool("complete_task", {"task_id": call["task_id"]}))["status"] == "completed"
    assert result_json(await session.call_tool("reopen_task", {"task_id": call["task_id"]}))["status"] == "reopened"
    # Asked of a task that already is, they say so instead of claiming a change.
    assert result_json(await session.call_tool("reopen_task", {"task_id": call["task_id"]}))["status"] == "already_pending"
    assert result_json(await session.call_tool("complete_task", {"task_id": call["task_id"]}))["status"] == "completed"
    assert result_json(await session.call_tool("complete_task", {"task_id": call["task_id"]}))["status"] == "already_completed"
    assert result_json(await session.call_tool("reopen_task", {"task_id": call["task_id"]}))["status"] == "reopened"
    tags = result_json(await session.call_tool("list_tags", {}))
    tags = tags["result"] if isinstance(tags, dict) else tags
    assert sorted((tag["name"], tag["count"]) for tag in tags) == [("family", 1), ("home", 1)]

    # Another user's task does not exist for this session, and this user's does not for theirs.
    status, other_task = server.request("POST", "/api/v1/tasks", {"title": "not yours"}, token=other_token)
    assert status == 201
    denied = await session.call_tool("complete_task", {"task_id": other_task["id"]})
    assert denied.is_error
    status, still = server.request("GET", f"/api/v1/tasks/{other_task['id']}", token=other_token)
    assert status == 200 and still["completed"] is False

    # Bad arguments are tool errors with a message, not protocol failures.
    bad = await session.call_tool("add_task", {"title": "", "priority": "huge"})
    assert bad.is_error and "priority" in bad.content[0].text
    assert (await session.call_tool("update_task", {"task_id": "abc"})).is_error
    # The limits the tool schemas state are the ones enforced, and RRULE text keeps the rule limits.
    too_many = await session.call_tool("list_tasks", {"limit": 300})
    assert too_many.is_error and "between 1 and 100" in too_many.content[0].text
    zero = await session.call_tool("add_task", {"title": "x", "due": "2026-12-07T09:00", "recurrence": "FREQ=WEEKLY;INTERVAL=0"})
    assert zero.is_error and "interval" in zero.content[0].text

    # A misspelt argument is refused with the names the tool takes, not ignored while the tool says it worked.
    misspelt = await session.call_tool("update_task", {"task_id": task_id, "due_date": "2026-12-11"})
    assert misspelt.is_error and "Unknown argument due_date: did you mean due? update_task takes" in misspelt.content[0].text
    nested = await session.call_tool("bulk_tasks", {"action": "complete", "filter": {"tag": "home"}})
    assert nested.is_error and "filter.tag: did you mean tags? filter takes" in nested.content[0].text
    tags_with_argument = await session.call_tool("list_tags", {"x": 1})
    assert tags_with_argument.is_error and "list_tags takes no arguments" in tags_with_argument.content[0].text
    assert (await session.call_tool("add_task", {"title": "x", "bogus_field": 1})).is_error
    nothing = await session.call_tool("update_task", {"task_id": task_id})
    assert nothing.is_error and "Nothing to change" in nothing.content[0].text
    # Which tasks must be said: a bulk action without filter or ids would act on every task.
    unsaid = await session.call_tool("bulk_tasks", {"action": "delete"})
    assert unsaid.is_error and "filter" in unsaid.content[0].text
    # So would an empty filter, or one whose values are blank; nothing is completed.
    for blank in [{}, {"tags": [""]}, {"query": "  "}, {"priority": []}, {"status": ""}]:
        refused = await session.call_tool("bulk_tasks", {"action": "complete", "filter": blank})
        assert refused.is_error and "every task" in refused.content[0].text, (blank, refused.content[0].text)
    assert result_json(await session.call_tool("list_tasks", {"status": "completed"})) == []
    assert result_json(await session.call_tool("list_tasks", {"status": "all", "query": "rent"}))[0]["id"] == task_id
    # "none" removes the due date, as the CLI's `--due none` does; due_at is taken as another name for due.
    # A due date in words moves the task as it stands: a day keeps its time, a time keeps its day.
    moving = result_json(await session.call_tool("add_task", {"title": "Moving", "due": "2030-12-03T09:30:00Z"}))
    assert not (await session.call_tool("update_task", {"task_id": moving["task_id"], "due": "friday"})).is_error
    day_kept = result_json(await session.call_tool("list_tasks", {"query": "moving"}))[0]["due_at"]
    assert day_kept.endswith("T09:30:00Z") and not day_kept.startswith("2030-12-03"), day_kept
    assert not (await session.call_tool("update_task", {"task_id": moving["task_id"], "due": "4pm"})).is_error
    time_kept = result_json(await session.call_tool("list_tasks", {"query": "moving"}))[0]["due_at"]
    assert time_kept == day_kept[:10] + "T16:00:00Z", (day_kept, time_kept)
    assert result_json(await session.call_tool("delete_task", {"task_id": moving["task_id"]}))["status"] == "deleted"
    dated = result_json(await session.call_tool("add_task", {"title": "Dated", "due": "tomorrow 5pm"}))
    cleared = await session.call_tool("update_task", {"task_id": dated["task_id"], "due": "none"})
    assert not cleared.is_error, cleared.content[0].text
    assert result_json(await session.call_tool("list_tasks", {"query": "dated"}))[0]["due_at"] is None
    assert not (await session.call_tool("update_task", {"task_id": dated["task_id"], "due_at": "2026-12-01"})).is_error
    assert result_json(await session.call_tool("delete_task", {"task_id": dated["task_id"]}))["status"] == "deleted"

    for index in range(4):
        await session.call_tool("add_task", {"title": f"bulk {index}", "tags": ["bulk"]})
    asked = result_json(await session.call_tool("bulk_tasks", {"action": "delete", "filter": {"tags": ["bulk"]}}))
    assert asked["status"] == "confirmation_required" and asked["count"] == 4
    done = result_json(await session.call_tool("bulk_tasks", {"action": "delete", "filter": {"tags": ["bulk"]}, "confirm": True}))
    assert done["affected"] == 4

    deleted = result_json(await session.call_tool("delete_task", {"task_id": task_id}))
    assert deleted["status"] == "deleted"
    assert (await session.call_tool("delete_task", {"task_id": call["task_id"]})).is_error is not True
    assert result_json(await session.call_tool("list_tasks", {"status": "all"})) in ([], {"result": []})


async def test_streamable_http(server):
    alice = server.register("alice-http@example.com")
    bob = server.register("bob-http@example.com")
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {alice['token']}"})
    async with streamable_http_client(server.url + "/mcp", http_client=client) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await exercise_every_tool(session, server, bob["token"])


async def test_stdio_with_personal_token(server):
    alice = server.register("alice-stdio@example.com")
    bob = server.register("bob-stdio@example.com")
    status, token = server.request("POST", "/api/v1/tokens", {"name": "mcp"}, token=alice["token"])
    assert status == 201
    parameters = StdioServerParameters(
        command=server.binary, args=["mcp"], env={"TASKPILOT_SERVER_URL": server.url, "TASKPILOT_TOKEN": token["token"], "HOME": server.folder},
    )
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            await exercise_every_tool(session, server, bob["token"])


def test_stdio_answers_a_line_that_is_no_json_even_with_the_server_down(server):
    import subprocess
    for url in (server.url, "http://127.0.0.1:9"):
        result = subprocess.run(
            [server.binary, "mcp"], input="this is not json\n", capture_output=True, text=True, timeout=30,
            env={"TASKPILOT_SERVER_URL": url, "TASKPILOT_TOKEN": "tp_x", "HOME": server.folder, "PATH": "/usr/bin:/bin"},
        )
        reply = json.loads(result.stdout.strip().splitlines()[0])
        assert reply["id"] is None and reply["error"]["code"] == -32700, (url, result.stdout, result.stderr)


async def test_http_requires_credentials(server):
    client = create_mcp_http_client(headers={"Authorization": "Bearer not-a-token"})
    with pytest.raises(Exception):
        async with streamable_http_client(server.url + "/mcp", http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()


def test_a_tool_call_of_the_wrong_shape_is_invalid_params(server):
    """Arguments that are not an object, or a name that is not a string, are the caller's error (-32602) with what to
    fix, not an internal error; nothing is written."""
    import urllib.error
    import urllib.request
    user = server.register("shape-mcp@example.com")

    def call(params) -> dict:
        body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}).encode()
        request = urllib.request.Request(server.url + "/mcp", data=body, method="POST", headers={
            "Authorization": f"Bearer {user['token']}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18",
        })
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            return json.loads(response.read())

    for params, named in [
        ({"name": "add_task", "arguments": "buy milk"}, "params.arguments"),
        ({"name": "add_task", "arguments": [{"title": "buy milk"}]}, "params.arguments"),
        ({"name": "add_task", "arguments": 5}, "params.arguments"),
        ({"name": 5, "arguments": {"title": "buy milk"}}, "params.name"),
        ({"arguments": {"title": "buy milk"}}, "params.name"),
        ("add_task", "params must be an object"),
    ]:
        answer = call(params)
        assert answer["id"] == 7 and answer["error"]["code"] == -32602, (params, answer)
        assert named in answer["error"]["message"], answer
    # A body over the limit is a JSON-RPC error too (413), not the REST error shape.
    huge = json.dumps({"jsonrpc": "2.0", "id": 8, "method": "tools/call",
                       "params": {"name": "add_task", "arguments": {"title": "x", "description": "y" * 2_000_000}}}).encode()
    request = urllib.request.Request(server.url + "/mcp", data=huge, method="POST", headers={
        "Authorization": f"Bearer {user['token']}", "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18",
    })
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413
    answer = json.loads(refused.value.read())
    assert answer["jsonrpc"] == "2.0" and answer["error"]["code"] == -32600 and "bytes" in answer["error"]["message"]
    # The well-formed call still works, and only it wrote a task.
    answer = call({"name": "add_task", "arguments": {"title": "buy milk"}})
    assert "error" not in answer and not answer["result"].get("isError"), answer
    status, page = server.request("GET", "/api/v1/tasks", token=user["token"])
    assert status == 200 and [task["title"] for task in page["items"]] == ["buy milk"]


def test_accept_is_read_as_http_reads_it(server):
    """`Accept: */*` (most HTTP libraries' default) or none gets the JSON answer; an Accept that admits no JSON is 406
    with a JSON-RPC error."""
    import urllib.error
    import urllib.request
    user = server.register("accept-mcp@example.com")
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()

    def post(accept: str | None):
        headers = {"Authorization": f"Bearer {user['token']}", "Content-Type": "application/json"}
        if accept is not None:
            headers["Accept"] = accept
        request = urllib.request.Request(server.url + "/mcp", data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    for accept in ("*/*", None, "application/*", "application/json;q=0.9, text/event-stream"):
        status, answer = post(accept)
        assert status == 200 and answer == {"jsonrpc": "2.0", "id": 1, "result": {}}, (accept, status, answer)
    for accept in ("text/event-stream", "application/json;q=0, text/event-stream", "*/*; q=0.0", "application/json; q=0, */*"):
        status, answer = post(accept)
        assert status == 406, (accept, status, answer)
    status, answer = post("text/event-stream")
    assert status == 406 and answer["error"]["code"] == -32600 and "application/json" in answer["error"]["message"], answer
