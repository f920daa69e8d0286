"""The `taskpilot` client commands against a running server, as a person would use them in a terminal."""

import datetime as dt
import json
import os
import stat
import subprocess
import sys
import tempfile
import zoneinfo
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server  # noqa: E402


@pytest.fixture(scope="module")
def server():
    running = Server()
    running.register("cli@example.com", timezone="Europe/Paris")
    yield running
    running.stop()


@pytest.fixture()
def home():
    with tempfile.TemporaryDirectory() as folder:
        yield folder


def run(server: Server, home: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TASKPILOT_")}
    environment.update(HOME=home, NO_COLOR="1")
    environment.update(env or {})
    return subprocess.run([server.binary, *args], input=stdin, capture_output=True, text=True, env=environment, timeout=60)


def login(server: Server, home: str) -> None:
    result = run(server, home, "login", "--server", server.url, "--email", "cli@example.com", stdin="correct horse battery\n")
    assert result.returncode == 0, result.stderr
    assert "Logged in" in result.stdout


def test_login_stores_a_private_token(server, home):
    login(server, home)
    stored = Path(home, ".config", "taskpilot", "config.json")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    config = json.loads(stored.read_text())
    assert config["server_url"] == server.url and config["token"].startswith("tp_")
    wrong = run(server, home, "login", "--server", server.url, "--email", "cli@example.com", stdin="wrong password!\n")
    assert wrong.returncode == 1 and "wrong" in wrong.stderr


def test_task_lifecycle(server, home):
    login(server, home)
    added = run(server, home, "add", "Pay rent every month on the 1st 9am p1 #home")
    assert added.returncode == 0, added.stderr
    assert "Pay rent" in added.stdout and "every month on the 1st" in added.stdout and "urgent" in added.stdout
    task_id = added.stdout.split("#", 1)[1].split()[0]

    listed = run(server, home, "list", "--tag", "home", "--json")
    items = json.loads(listed.stdout)
    assert [item["title"] for item in items] == ["Pay rent"]
    assert items[0]["due_at"].endswith("T08:00:00Z")

    table = run(server, home, "list")
    assert "ID" in table.stdout and "Pay rent" in table.stdout and "09:00" in table.stdout and "\x1b[" not in table.stdout

    assert run(server, home, "edit", task_id, "--priority", "low", "--title", "Pay the rent").returncode == 0
    shown = run(server, home, "show", task_id)
    assert "Pay the rent" in shown.stdout and "low" in shown.stdout and "every month on the 1st" in shown.stdout
    assert run(server, home, "done", task_id).returncode == 0
    assert run(server, home, "list", "--status", "completed", "--json").stdout.count('"Pay the rent"') == 1
    assert run(server, home, "reopen", task_id).returncode == 0
    tags = run(server, home, "tags")
    assert "#home" in tags.stdout
    assert run(server, home, "rm", task_id).returncode == 0
    # Completing the monthly task rolled the series forward: only the next occurrence is left.
    remaining = json.loads(run(server, home, "list", "--status", "all", "--json").stdout)
    assert [(item["title"], item["occurrence"]) for item in remaining] == [("Pay the rent", 2)]


def test_dates_in_words(server, home):
    login(server, home)
    added = run(server, home, "add", "Renew passport")
    task_id = added.stdout.split("#", 1)[1].split()[0]
    # Words are read in the account's time zone (Europe/Paris): 5pm there is 16:00Z in winter.
    moved = run(server, home, "edit", task_id, "--due", "2026-12-02 5pm", "--json")
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["due_at"] == "2026-12-02T16:00:00Z"
    whole_day = json.loads(run(server, home, "edit", task_id, "--due", "tomorrow", "--json").stdout)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    tomorrow = dt.datetime.now(paris).date() + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(), tzinfo=paris).astimezone(dt.timezone.utc)
    assert whole_day["all_day"] is True and whole_day["due_at"] == midnight.strftime("%Y-%m-%dT%H:%M:%SZ")
    before = json.loads(run(server, home, "list", "--due-before", "in 3 days", "--search", "passport", "--json").stdout)
    after = json.loads(run(server, home, "list", "--due-after", "in 3 days", "--search", "passport", "--json").stdout)
    assert [item["id"] for item in before] == [int(task_id)] and after == []
    cleared = json.loads(run(server, home, "edit", task_id, "--due", "none", "--json").stdout)
    assert cleared["due_at"] is None
    bad = run(server, home, "edit", task_id, "--due", "whenever you like")
    assert bad.returncode == 1 and "--due" in bad.stderr and "tomorrow 5pm" in bad.stderr
    assert run(server, home, "rm", task_id).returncode == 0


def test_chat_one_message_and_interactive(server, home):
    login(server, home)
    one = run(server, home, "chat", "add", "water the plants tomorrow 8am")
    assert one.returncode == 0 and "water the plants" in one.stdout.lower()
    session = run(server, home, "chat", stdin="what's due tomorrow?\nmake it urgent\nexit\n")
    assert session.returncode == 0, session.stderr
    assert "water the plants" in session.stdout.lower() and "urgent" in session.stdout


def test_errors_are_clear_and_non_zero(server, home):
    login(server, home)
    missing = run(server, home, "show", "999999")
    assert missing.returncode == 1 and "not found" in missing.stderr
    bad = run(server, home, "edit", "1", "--priority", "mega")
    assert bad.returncode == 1 and "priority" in bad.stderr
    usage = run(server, home, "show", "abc")
    assert usage.returncode != 0 and "Error" in usage.stderr
    down = run(server, home, "list", env={"TASKPILOT_SERVER_URL": "http://127.0.0.1:9"})
    assert down.returncode == 1 and "cannot reach" in down.stderr
    revoked = run(server, home, "list", env={"TASKPILOT_TOKEN": "tp_revoked"})
    assert revoked.returncode == 1 and "taskpilot login" in revoked.stderr
    nobody = run(server, tempfile.mkdtemp(), "list", env={"TASKPILOT_SERVER_URL": server.url})
    assert nobody.returncode == 1 and "not logged in" in nobody.stderr


def test_environment_overrides_the_stored_login(server, home):
    other = server.register("env@example.com")
    result = run(server, home, "add", "from the environment", env={"TASKPILOT_SERVER_URL": server.url, "TASKPILOT_TOKEN": other["token"]})
    assert result.returncode == 0, result.stderr
    status, page = server.request("GET", "/api/v1/tasks", token=other["token"])
    assert [item["title"] for item in page["items"]] == ["from the environment"]
