"""Fuzzes every operation of /openapi.yaml but the MCP endpoint with Schemathesis against a real server on SQLite.

Checks (every response of thousands of generated requests, valid and invalid, plus stateful sequences that follow
the document's links):
- not_a_server_error: no 5xx, whatever the input;
- status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance:
  every answer is one the document lists, in the shape it gives;
- negative_data_rejection: a request the schema forbids is refused with a 4xx;
- ensure_resource_availability: a created resource is there.

Left out: positive_data_acceptance (every schema-valid request is accepted). Rules that JSON Schema cannot say hold
on the server and refuse some schema-valid requests with a documented 4xx: a recurrence's `until` after the first due
date, a title at most 200 characters once quick add has read the dates out of the text, at most 20 webhooks, no NUL
character anywhere in a body (PostgreSQL cannot store it), an IANA time zone name. And use_after_free (a deleted
resource is gone): a deleted task's history stays readable on purpose, its audit trail ending with the deletion
(the API suites check that a deleted task itself answers 404).
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server  # noqa: E402

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ensure_resource_availability",
]


def post(server: Server, path: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def main() -> int:
    # Logins and chat messages are rate-limited per user; the fuzzer sends thousands.
    server = Server(extra_env={"TASKPILOT_LOGIN_ATTEMPTS": "100000", "TASKPILOT_CHAT_PER_MINUTE": "10000"})
    try:
        token = post(server, "/api/v1/auth/register", {"email": "fuzz@example.com", "password": "correct horse battery"})["token"]
        # A few tasks for the operations that read or change one.
        for title in ("Pay rent every month on the 1st 9am #home", "Call mom tomorrow p2", "Read a book"):
            post(server, "/api/v1/tasks/quick", {"text": title}, token)
        command = [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{server.url}/openapi.yaml",
            "--url",
            server.url,
            "-H",
            f"Authorization: Bearer {token}",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            os.environ.get("FUZZ_MAX_EXAMPLES", "40"),
            "--seed",
            os.environ.get("FUZZ_SEED", "20261203"),
            # One worker: Hypothesis parses lambdas' source with `ast.parse`, which CPython 3.11 cannot do from two
            # threads at once ("AST constructor recursion depth mismatch"); one worker also makes the run repeatable.
            "--workers",
            "1",
            "--no-color",
            # The MCP endpoint's body is JSON-RPC, answered by the MCP SDK (a malformed message is a JSON-RPC error,
            # often inside a 200); tests/mcp drives it with the official MCP client and malformed calls.
            "--exclude-operation-id",
            "mcp",
            *sys.argv[1:],
        ]
        print("==> " + " ".join(part if not part.startswith("Authorization") else "Authorization: Bearer …" for part in command), flush=True)
        # Schemathesis keeps its example database in the working directory: the server's temporary folder.
        outcome = subprocess.run(command, check=False, cwd=server.folder)
        if server.process.poll() is not None:
            print(f"the server exited during the run: {server.logs()}", file=sys.stderr)
            return 1
        return outcome.returncode
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
