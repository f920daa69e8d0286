"""The `taskpilot` client commands against a running server, as a person would use them in a terminal."""

import datetime as dt
import json
import re
import os
import stat
import subprocess
import sys
import tempfile
import time
import unicodedata
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


def client_environment(home: str, env: dict[str, str] | None = None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TASKPILOT_")}
    environment.update(HOME=home, NO_COLOR="1")
    environment.update(env or {})
    return environment


def run(server: Server, home: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = client_environment(home, env)
    return subprocess.run([server.binary, *args], input=stdin, capture_output=True, encoding="utf-8", env=environment, timeout=60)


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


def login_at_a_terminal(server: Server, home: str) -> tuple[int, int]:
    """`taskpilot login` in a pseudo-terminal: its pid and the terminal's other end."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.execve(server.binary, [server.binary, "login", "--server", server.url, "--email", "cli@example.com"], client_environment(home))
    return pid, fd


class TerminalOutput:
    """What a command wrote to its pseudo-terminal, read as it comes."""

    def __init__(self, fd: int):
        self.fd = fd
        self.output = b""

    def read(self) -> bool:
        """Reads what comes within half a second; False once the command's side is closed."""
        import select

        if not select.select([self.fd], [], [], 0.5)[0]:
            return True
        try:
            chunk = os.read(self.fd, 1024)
        except OSError:
            return False
        self.output += chunk
        return bool(chunk)

    def until(self, text: bytes, deadline: float) -> None:
        while text not in self.output and time.monotonic() < deadline and self.read():
            pass

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")


def exit_status(pid: int, deadline: float, read=lambda: False) -> int | None:
    """The command's wait status once it ends, or None, killed, if it is still running at the deadline. `read` takes
    the command's output meanwhile; while it reads nothing, the wait sleeps a little between looks."""
    import signal

    while time.monotonic() < deadline:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            return status
        if not read():
            time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_password_typed_at_a_terminal_is_not_shown(server, home):
    import termios

    pid, fd = login_at_a_terminal(server, home)
    # Output stopped (^S) until echo goes off: the prompt cannot show before the terminal hides what is typed. The
    # other order lost a password typed as soon as the prompt showed (TCSAFLUSH dropped it) and left login waiting.
    os.write(fd, b"\x13")
    echo_off_by = time.monotonic() + 10
    while termios.tcgetattr(fd)[3] & termios.ECHO and time.monotonic() < echo_off_by:
        time.sleep(0.01)
    echo_before_prompt = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    os.write(fd, b"\x11")
    terminal = TerminalOutput(fd)
    deadline = time.monotonic() + 30
    terminal.until(b"Password:", deadline)
    os.write(fd, b"correct horse battery\n")
    status = exit_status(pid, deadline, terminal.read)
    os.close(fd)
    text = terminal.text
    assert status is not None, f"login still waiting 30 s after the password was typed: {text!r}"
    assert not echo_before_prompt, f"echo still on 10 s after the prompt was written: {text!r}"
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "Password:" in text and "Logged in" in text, text
    assert "correct horse battery" not in text, text


def test_ctrl_c_at_the_password_prompt_gives_the_terminal_back_with_echo(server, home):
    import signal
    import termios

    pid, fd = login_at_a_terminal(server, home)
    terminal = TerminalOutput(fd)
    deadline = time.monotonic() + 30
    terminal.until(b"Password:", deadline)
    echo_at_prompt = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    os.write(fd, b"secr\x03")  # part of a password, then Ctrl-C
    status = exit_status(pid, deadline)
    # The terminal outlives the command: the shell it goes back to must show what is typed again.
    echo = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    os.close(fd)
    assert "Password:" in terminal.text and not echo_at_prompt, terminal.text
    assert status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT, status
    assert echo, "echo still off after Ctrl-C at the password prompt"


def test_logging_in_again_revokes_the_token_it_replaces(server, home):
    login(server, home)
    first = json.loads(Path(home, ".config", "taskpilot", "config.json").read_text())["token"]
    login(server, home)
    second = json.loads(Path(home, ".config", "taskpilot", "config.json").read_text())["token"]
    assert first != second
    assert server.request("GET", "/api/v1/auth/me", token=first)[0] == 401
    assert server.request("GET", "/api/v1/auth/me", token=second)[0] == 200
    # The server spelled another way (a trailing slash), or not given (the stored login's): still the one it replaces.
    slash = run(server, home, "login", "--server", server.url + "/", "--email", "cli@example.com", stdin="correct horse battery\n")
    assert slash.returncode == 0, slash.stderr
    third = json.loads(Path(home, ".config", "taskpilot", "config.json").read_text())["token"]
    assert server.request("GET", "/api/v1/auth/me", token=second)[0] == 401
    stored = run(server, home, "login", "--email", "cli@example.com", stdin="correct horse battery\n")
    assert stored.returncode == 0 and server.url in stored.stdout, stored.stdout + stored.stderr
    assert server.request("GET", "/api/v1/auth/me", token=third)[0] == 401
    # A server address without its scheme is named as such, not as a server that cannot be reached.
    bare = run(server, home, "login", "--server", server.url.removeprefix("http://"), "--email", "cli@example.com", stdin="correct horse battery\n")
    assert bare.returncode == 1 and "http://" in bare.stderr and "cannot reach" not in bare.stderr, bare.stderr


def test_text_that_starts_with_a_dash_is_the_title_not_options(server, home):
    login(server, home)
    # Read as options, "-x marks the spot" was a group of short flags with -h among them: help, exit 0, no task.
    added = run(server, home, "add", "-x marks the spot", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["title"] == "-x marks the spot"
    bullet = run(server, home, "add", "- buy eggs tomorrow", "--json")
    assert bullet.returncode == 0 and json.loads(bullet.stdout)["title"] == "buy eggs", bullet.stdout + bullet.stderr
    unknown = run(server, home, "add", "--colour", "blue")
    assert unknown.returncode != 0 and "colour" in unknown.stderr, unknown.stderr
    for task in (json.loads(added.stdout), json.loads(bullet.stdout)):
        assert run(server, home, "rm", str(task["id"])).returncode == 0


def test_option_values_and_ids_are_read_as_typed(server, home):
    login(server, home)
    added = json.loads(run(server, home, "add", "pack for the trip", "--json").stdout)
    # A value that starts with a dash (a Markdown bullet, a negative number) is the option's value.
    edited = run(server, home, "edit", str(added["id"]), "--description", "- socks\n- charger", "--title", "-5 degrees: pack a coat", "--json")
    assert edited.returncode == 0, edited.stderr
    task = json.loads(edited.stdout)
    assert task["description"] == "- socks\n- charger" and task["title"] == "-5 degrees: pack a coat", task
    # An id as the tables show it.
    shown = run(server, home, "show", f"#{added['id']}")
    assert shown.returncode == 0 and "pack a coat" in shown.stdout, shown.stderr
    # An option's value stays as typed: "#1" is a title there, not an id.
    titled = run(server, home, "edit", f"#{added['id']}", "--title", "#1", "--json")
    assert titled.returncode == 0 and json.loads(titled.stdout)["title"] == "#1", titled.stdout + titled.stderr
    single = run(server, home, "add", "-urgent", "--json")
    assert single.returncode == 0 and json.loads(single.stdout)["title"] == "-urgent", single.stderr
    for task_id in (added["id"], json.loads(single.stdout)["id"]):
        assert run(server, home, "rm", f"#{task_id}").returncode == 0


def test_add_names_its_reminders_and_done_says_when_the_next_one_is_due(server, home):
    login(server, home)
    added = run(server, home, "add", "call the plumber tomorrow at 5pm remind me 1 hour before")
    assert added.returncode == 0 and "reminder 1 hour before" in added.stdout, added.stdout
    weekly = json.loads(run(server, home, "add", "water the ferns every monday at 9am", "--json").stdout)
    done = run(server, home, "done", str(weekly["id"]))
    assert done.returncode == 0 and "the next one is due" in done.stdout, done.stdout
    last = json.loads(run(server, home, "add", "one more ferry every day for 1 times", "--json").stdout)
    ended = run(server, home, "done", str(last["id"]))
    assert ended.returncode == 0 and "last of the series" in ended.stdout, ended.stdout
    for task in json.loads(run(server, home, "list", "--status", "all", "--json", "--limit", "200").stdout):
        if task["title"].lower().startswith(("call the plumber", "water the ferns", "one more ferry")):
            assert run(server, home, "rm", str(task["id"])).returncode == 0


def test_a_table_fits_the_terminal_it_is_shown_on(server, home):
    import pty

    login(server, home)
    long_title = "Renew the passport and the identity card before the long summer trip abroad"
    added = json.loads(run(server, home, "add", long_title + " tomorrow #travel #paperwork #family", "--json").stdout)
    primary, secondary = pty.openpty()
    environment = client_environment(home, {"COLUMNS": "80"})
    process = subprocess.run([server.binary, "list"], stdout=secondary, stderr=subprocess.PIPE, env=environment, timeout=60)
    os.close(secondary)
    output = b""
    try:
        while chunk := os.read(primary, 65536):
            output += chunk
    except OSError:
        pass
    os.close(primary)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", output.decode()).splitlines()
    assert process.returncode == 0 and any("Renew the passport" in line for line in lines), lines
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    # Piped, the table keeps whole lines (up to 60 columns of title) for the program reading them.
    piped = run(server, home, "list").stdout
    assert "Renew the passport and the identity card before the long su…" in piped, piped
    assert run(server, home, "rm", str(added["id"])).returncode == 0


def test_rm_asks_on_a_terminal_and_logout_revokes_the_token(server, home):
    import pty
    import urllib.error
    import urllib.request

    login(server, home)
    added = json.loads(run(server, home, "add", "keep me unless told", "--json").stdout)

    def typing(answer: str, *args: str) -> subprocess.CompletedProcess:
        primary, secondary = pty.openpty()
        os.write(primary, answer.encode())
        try:
            return subprocess.run([server.binary, *args], stdin=secondary, capture_output=True, encoding="utf-8",
                                  env=client_environment(home), timeout=60)
        finally:
            os.close(secondary)
            os.close(primary)

    kept = typing("n\n", "rm", str(added["id"]))
    assert kept.returncode == 0 and "[y/N]" in kept.stdout and "Kept" in kept.stdout, kept.stdout + kept.stderr
    assert run(server, home, "show", str(added["id"])).returncode == 0
    deleted = typing("y\n", "rm", str(added["id"]))
    assert deleted.returncode == 0 and "Deleted" in deleted.stdout, deleted.stdout + deleted.stderr
    gone = run(server, home, "show", str(added["id"]))
    assert gone.returncode == 1 and "taskpilot list --status all" in gone.stderr, gone.stderr

    token = json.loads(Path(home, ".config", "taskpilot", "config.json").read_text())["token"]
    out = run(server, home, "logout")
    assert out.returncode == 0 and "revoked" in out.stdout, out.stdout + out.stderr
    request = urllib.request.Request(server.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    after = run(server, home, "list")
    assert after.returncode == 1 and "not logged in" in after.stderr, after.stderr
    assert "nothing to do" in run(server, home, "logout").stdout


def test_a_failed_login_says_to_check_what_was_typed(server, home):
    wrong = run(server, home, "login", "--server", server.url, "--email", "cli@example.com", stdin="wrong password!\n")
    assert wrong.returncode == 1 and "check the email and password" in wrong.stderr.lower()
    assert "taskpilot login" not in wrong.stderr, wrong.stderr
    bad_token = run(server, home, "login", "--server", server.url, "--token", "tp_not_a_token")
    assert bad_token.returncode == 1 and "check the token" in bad_token.stderr.lower()
    assert "taskpilot login" not in bad_token.stderr, bad_token.stderr
    assert not Path(home, ".config", "taskpilot", "config.json").exists()


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
    # Reminders in words with when they fire: one of a task on a day is at 9:00 (the day before, here).
    passport = run(server, home, "add", "Renew passport on 2030-03-15 remind me the day before")
    passport_id = passport.stdout.split("#", 1)[1].split()[0]
    shown = run(server, home, "show", passport_id)
    assert "1 day before (2030-03-14 09:00)" in shown.stdout, shown.stdout
    assert run(server, home, "rm", passport_id).returncode == 0
    assert run(server, home, "done", task_id).returncode == 0
    assert run(server, home, "list", "--status", "completed", "--json").stdout.count('"Pay the rent"') == 1
    assert run(server, home, "reopen", task_id).returncode == 0
    again = run(server, home, "reopen", task_id)
    assert again.returncode == 0 and "already open" in again.stdout, again.stdout
    tags = run(server, home, "tags")
    assert "#home" in tags.stdout
    assert run(server, home, "rm", task_id).returncode == 0
    # Reopening undid the completion, the next occurrence it made with it (or before it was made): nothing is left.
    time.sleep(0.5)
    assert run(server, home, "list", "--status", "all", "--json").stdout.strip() == "[]"


def test_dates_in_words(server, home):
    login(server, home)
    added = run(server, home, "add", "Renew passport")
    task_id = added.stdout.split("#", 1)[1].split()[0]
    # Words are read in the account's time zone (Europe/Paris): 5pm there is 16:00Z in winter.
    moved = run(server, home, "edit", task_id, "--due", "2026-12-02 5pm", "--json")
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["due_at"] == "2026-12-02T16:00:00Z"
    # A day in words keeps the time of day (17:00 in Paris).
    next_day = json.loads(run(server, home, "edit", task_id, "--due", "tomorrow", "--json").stdout)
    tomorrow = dt.datetime.now(PARIS).date() + dt.timedelta(days=1)
    assert next_day["all_day"] is False and next_day["due_at"] == utc(tomorrow, dt.time(17))
    before = json.loads(run(server, home, "list", "--due-before", "in 3 days", "--search", "passport", "--json").stdout)
    after = json.loads(run(server, home, "list", "--due-after", "in 3 days", "--search", "passport", "--json").stdout)
    assert [item["id"] for item in before] == [int(task_id)] and after == []
    cleared = json.loads(run(server, home, "edit", task_id, "--due", "none", "--json").stdout)
    assert cleared["due_at"] is None
    bad = run(server, home, "edit", task_id, "--due", "whenever you like")
    assert bad.returncode == 1 and "--due" in bad.stderr and "tomorrow 5pm" in bad.stderr
    assert run(server, home, "rm", task_id).returncode == 0


PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def utc(day: dt.date, time: dt.time) -> str:
    """A wall-clock time in Paris as the API writes it (UTC)."""
    return dt.datetime.combine(day, time, tzinfo=PARIS).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def paris(task: dict) -> dt.datetime:
    """A task's due date on the wall clock in Paris."""
    return dt.datetime.strptime(task["due_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).astimezone(PARIS)


def edit(server: Server, home: str, task_id: str, *args: str) -> dict:
    result = run(server, home, "edit", task_id, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_moving_to_a_day_keeps_the_time_and_to_a_time_keeps_the_day(server, home):
    login(server, home)
    task_id = run(server, home, "add", "Dentist").stdout.split("#", 1)[1].split()[0]
    # 2027-03-05 is a Friday; 15:00 in Paris is 14:00Z.
    assert edit(server, home, task_id, "--due", "2027-03-05T15:00")["due_at"] == "2027-03-05T14:00:00Z"

    later = edit(server, home, task_id, "--due", "4pm")
    assert later["all_day"] is False and later["due_at"] == utc(dt.date(2027, 3, 5), dt.time(16))

    friday = edit(server, home, task_id, "--due", "friday")
    assert friday["all_day"] is False
    assert paris(friday).weekday() == 4 and paris(friday).time() == dt.time(16), friday["due_at"]
    assert edit(server, home, task_id, "--due", "4:30pm")["due_at"] == utc(paris(friday).date(), dt.time(16, 30))

    tomorrow = dt.datetime.now(PARIS).date() + dt.timedelta(days=1)
    assert edit(server, home, task_id, "--due", "tomorrow")["due_at"] == utc(tomorrow, dt.time(16, 30))
    # A day and a time together set both.
    assert edit(server, home, task_id, "--due", "2027-03-08 9am")["due_at"] == utc(dt.date(2027, 3, 8), dt.time(9))

    # An ISO date makes it all-day; a day in words keeps it all-day, a time gives it that time on its day.
    whole_day = edit(server, home, task_id, "--due", "2027-03-05")
    assert whole_day["all_day"] is True and whole_day["due_at"] == utc(dt.date(2027, 3, 5), dt.time())
    monday = edit(server, home, task_id, "--due", "monday")
    assert monday["all_day"] is True and paris(monday).weekday() == 0 and paris(monday).time() == dt.time()
    timed = edit(server, home, task_id, "--due", "9am")
    assert timed["all_day"] is False and timed["due_at"] == utc(paris(monday).date(), dt.time(9))

    # Without a due date, a bare time is the next 16:00 (today unless it has passed), a day is all-day.
    edit(server, home, task_id, "--due", "none")
    fresh = edit(server, home, task_id, "--due", "4pm")
    now = dt.datetime.now(PARIS)
    assert paris(fresh).time() == dt.time(16) and paris(fresh) > now and paris(fresh).date() - now.date() <= dt.timedelta(days=1)
    edit(server, home, task_id, "--due", "none")
    assert edit(server, home, task_id, "--due", "friday")["all_day"] is True

    shown = run(server, home, "edit", task_id, "--due", "2027-03-05T15:00")
    assert shown.returncode == 0 and "2027-03-05 15:00" in shown.stdout
    assert run(server, home, "rm", task_id).returncode == 0


def test_recurrence_in_words_or_as_an_rrule(server, home):
    login(server, home)
    task_id = run(server, home, "add", "Water the plants").stdout.split("#", 1)[1].split()[0]
    # A task without a due date starts at the first occurrence the words name, as in quick add.
    weekly = edit(server, home, task_id, "--recurrence", "every monday")
    assert weekly["recurrence"]["frequency"] == "weekly" and weekly["recurrence"]["by_weekday"] == ["MO"]
    assert weekly["due_at"] is not None and paris(weekly).weekday() == 0

    rrule = edit(server, home, task_id, "--recurrence", "FREQ=DAILY;INTERVAL=2")
    assert (rrule["recurrence"]["frequency"], rrule["recurrence"]["interval"]) == ("daily", 2)
    assert rrule["due_at"] == weekly["due_at"]

    completion = edit(server, home, task_id, "--recurrence", "every! 2 weeks")
    assert completion["recurrence"]["from_completion"] is True and completion["recurrence"]["interval"] == 2

    # "every month" falls on the day of the task's due date, not today's.
    edit(server, home, task_id, "--due", "2027-03-15T09:00")
    monthly = edit(server, home, task_id, "--recurrence", "every month until Dec 31")
    assert monthly["recurrence"]["frequency"] == "monthly" and monthly["recurrence"]["by_month_day"] == [15]
    assert monthly["recurrence"]["until"] is not None and monthly["due_at"] == utc(dt.date(2027, 3, 15), dt.time(9))
    both = edit(server, home, task_id, "--due", "2027-04-20T10:00", "--recurrence", "every year")
    assert both["recurrence"]["frequency"] == "yearly" and both["recurrence"]["by_month_day"] == [20]

    shown = run(server, home, "show", task_id)
    assert "every year" in shown.stdout, shown.stdout
    # A time said with the repetition is the task's new time on its day.
    timed = edit(server, home, task_id, "--recurrence", "every weekday 8am")
    assert timed["recurrence"]["by_weekday"] == ["MO", "TU", "WE", "TH", "FR"]
    assert timed["due_at"] == utc(dt.date(2027, 4, 20), dt.time(8))
    # A weekday by its place in the month (20 April 2027 is the third Tuesday).
    third = edit(server, home, task_id, "--recurrence", "every 3rd tuesday")
    assert third["recurrence"]["rrule"] == "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=3", third["recurrence"]
    assert third["recurrence"]["text"] == "every month on the third Tuesday" and third["due_at"] == timed["due_at"]
    # A rule on other days starts on the first of them, at the same time (30 April 2027 is the last Friday).
    last = edit(server, home, task_id, "--recurrence", "every last friday")
    assert last["recurrence"]["text"] == "every month on the last Friday" and last["due_at"] == utc(dt.date(2027, 4, 30), dt.time(8))
    yearly = edit(server, home, task_id, "--recurrence", "every 4th thursday of november")
    assert yearly["recurrence"]["text"] == "every year on the fourth Thursday of November", yearly["recurrence"]
    assert yearly["due_at"] == utc(dt.date(2027, 11, 25), dt.time(8))
    # As an RRULE too: a rule on other days starts on the first of them (26 November 2027 is a Friday).
    friday = edit(server, home, task_id, "--recurrence", "FREQ=WEEKLY;BYDAY=FR")
    assert friday["due_at"] == utc(dt.date(2027, 11, 26), dt.time(8)), friday["due_at"]
    # A due date and a rule given together: the rule's first day from that date (4 June 2027 is a Friday, 7 June a Monday).
    given = edit(server, home, task_id, "--due", "2027-06-04T10:00", "--recurrence", "every other monday")
    assert given["due_at"] == utc(dt.date(2027, 6, 7), dt.time(10)), given["due_at"]

    bad = run(server, home, "edit", task_id, "--recurrence", "whenever it rains")
    assert bad.returncode == 1 and "--recurrence" in bad.stderr and "every monday" in bad.stderr and "FREQ=" in bad.stderr
    hourly = run(server, home, "edit", task_id, "--recurrence", "every 2 hours")
    assert hourly.returncode == 0 and "repeats     every 2 hours" in hourly.stdout, hourly.stdout + hourly.stderr
    bad_rrule = run(server, home, "edit", task_id, "--recurrence", "FREQ=MINUTELY")
    assert bad_rrule.returncode == 1 and "FREQ" in bad_rrule.stderr
    assert edit(server, home, task_id, "--recurrence", "none")["recurrence"] is None
    assert run(server, home, "rm", task_id).returncode == 0


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and fullwidth take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def test_list_without_a_limit_gathers_every_page(server, home):
    # The server answers at most 500 tasks a page: 520 tasks take two, and none is listed twice or left out.
    login(server, home)
    status, body = server.request("POST", "/api/v1/auth/login", {"email": "cli@example.com", "password": "correct horse battery"})
    assert status == 200, body
    token = body["token"]
    start = dt.datetime(2031, 1, 1, 9, tzinfo=dt.timezone.utc)
    created = []
    for n in range(520):
        due = (start + dt.timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, task = server.request("POST", "/api/v1/tasks", {"title": f"paged {n}", "tags": ["paged"], "due_at": due}, token=token)
        assert status == 201, task
        created.append(task["id"])
    try:
        listed = run(server, home, "list", "--tag", "paged", "--json")
        assert listed.returncode == 0, listed.stderr
        # In due order, page after page.
        assert [item["id"] for item in json.loads(listed.stdout)] == created
        table = run(server, home, "list", "--tag", "paged").stdout
        assert len(table.splitlines()) == 1 + 520 and "More tasks match" not in table and "Only the first" not in table
    finally:
        status, body = server.request("POST", "/api/v1/tasks/bulk", {"action": "delete", "filter": {"tags": ["paged"]}}, token=token)
        assert status == 200 and body["affected"] == 520, body


def test_list_aligns_wide_characters(server, home):
    login(server, home)
    # A long title is cut to 60 columns with "…" (it padded every row to its width); JSON keeps it whole.
    long = "会議" * 20 + " and a long tail"
    titles = ["会議の準備", "🎉 party", "Cafe\u0301 menu", "plain title", "ＦＵＬＬ width", long]
    ids = [run(server, home, "add", f"{title} p2 #aligned").stdout.split("#", 1)[1].split()[0] for title in titles]
    table = run(server, home, "list", "--tag", "aligned")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert len(lines) == 1 + len(titles)
    # Every row's priority starts in the header's PRIORITY column, counted in terminal columns.
    column = display_width(lines[0][: lines[0].index("PRIORITY")])
    for line in lines[1:]:
        assert display_width(line[: line.index("high")]) == column, table.stdout
    # Without --limit every matching task is listed, past one page; with it, the table says more match.
    assert len(json.loads(run(server, home, "list", "--tag", "aligned", "--json", "--limit", "2").stdout)) == 2
    limited = run(server, home, "list", "--tag", "aligned", "--limit", "2").stdout
    assert "More tasks match: leave out --limit" in limited
    cut = next(line for line in lines if "…" in line)
    assert display_width(cut[cut.index("会議"): cut.index("…") + 1]) <= 60 and "tail" not in cut
    assert long in [item["title"] for item in json.loads(run(server, home, "list", "--tag", "aligned", "--json").stdout)]
    for task_id in ids:
        assert run(server, home, "rm", task_id).returncode == 0


def test_list_sorts_by_the_short_names_a_person_types(server, home):
    login(server, home)
    added = [run(server, home, "add", text) for text in ["beta jan 3 2031 #sorting", "alpha jan 5 2031 #sorting", "gamma jan 4 2031 #sorting"]]
    assert all(result.returncode == 0 for result in added), [result.stderr for result in added]

    def titles(sort: str) -> list[str]:
        # "--sort=-due": a value starting with "-" is joined to its option, or it reads as another option.
        listed = run(server, home, "list", "--tag", "sorting", "--json", f"--sort={sort}")
        assert listed.returncode == 0, listed.stderr
        return [item["title"] for item in json.loads(listed.stdout)]

    assert titles("name") == ["alpha", "beta", "gamma"]
    assert titles("due") == ["beta", "gamma", "alpha"]
    assert titles("-due") == titles("due:desc") == ["alpha", "gamma", "beta"]
    bare = run(server, home, "add", "someday #sorting")
    assert bare.returncode == 0, bare.stderr
    undated = json.loads(run(server, home, "list", "--tag", "sorting", "--no-due", "--json").stdout)
    assert [item["title"] for item in undated] == ["someday"]
    assert "someday" not in run(server, home, "list", "--untagged").stdout
    weekly = run(server, home, "add", "water plants every monday #sorting")
    assert weekly.returncode == 0, weekly.stderr
    repeating = json.loads(run(server, home, "list", "--tag", "sorting", "--repeating", "--json").stdout)
    assert [item["title"] for item in repeating] == ["water plants"]
    one_off = json.loads(run(server, home, "list", "--tag", "sorting", "--one-off", "--json").stdout)
    assert sorted(item["title"] for item in one_off) == ["alpha", "beta", "gamma", "someday"]
    both = run(server, home, "list", "--repeating", "--one-off")
    assert both.returncode != 0 and "exclude each other" in both.stderr
    wrong = run(server, home, "list", "--sort", "colour")
    # Named with the names a person types, not the API's (due_at, created_at).
    assert wrong.returncode != 0 and "'colour' is no key" in wrong.stderr and "due, priority" in wrong.stderr, wrong.stderr
    assert "due_at" not in wrong.stderr, wrong.stderr
    for item in json.loads(run(server, home, "list", "--tag", "sorting", "--json").stdout):
        assert run(server, home, "rm", str(item["id"])).returncode == 0


def test_chat_one_message_and_interactive(server, home):
    login(server, home)
    one = run(server, home, "chat", "add", "water the plants tomorrow 8am")
    assert one.returncode == 0 and "water the plants" in one.stdout.lower()
    session = run(server, home, "chat", stdin="what's due tomorrow?\nmake it urgent\nexit\n")
    assert session.returncode == 0, session.stderr
    assert "water the plants" in session.stdout.lower() and "urgent" in session.stdout
    # One message at a time goes on with the last conversation: "it" is the task just added.
    added = run(server, home, "chat", "remind me to call the landlord tomorrow at 6pm")
    assert added.returncode == 0 and "call the landlord" in added.stdout.lower(), added.stdout
    urgent = run(server, home, "chat", "make it urgent")
    assert urgent.returncode == 0 and "urgent" in urgent.stdout.lower() and "which" not in urgent.stdout.lower(), urgent.stdout
    undone = run(server, home, "chat", "undo")
    assert undone.returncode == 0 and "nothing to undo" not in undone.stdout.lower(), undone.stdout
    # --new starts afresh: "it" means nothing there.
    fresh = run(server, home, "chat", "--new", "make it urgent")
    assert fresh.returncode == 0 and "which task" in fresh.stdout.lower(), fresh.stdout


def test_chat_replies_read_as_terminal_text_in_the_terminals_language(server, home):
    login(server, home)
    assert run(server, home, "add", "Buy *special* milk | 2 tomorrow").returncode == 0
    assert run(server, home, "add", "ring the plumber tomorrow 6pm").returncode == 0
    listed = run(server, home, "chat", "--new", "what's due tomorrow?", env={"LC_ALL": "en_US.UTF-8"})
    assert listed.returncode == 0, listed.stderr
    # The assistant's Markdown table is an aligned table; a title's Markdown characters show as typed, unescaped.
    assert "Buy *special* milk | 2" in listed.stdout and "**" not in listed.stdout, listed.stdout
    assert "|---" not in listed.stdout and "\\" not in listed.stdout, listed.stdout
    plumber = next(line for line in listed.stdout.splitlines() if "ring the plumber" in line)
    assert "6:00 PM" in plumber and not plumber.startswith("|"), listed.stdout
    # The terminal's locale says how times are written: 24-hour for en_GB.
    british = run(server, home, "chat", "when is ring the plumber due?", env={"LC_ALL": "en_GB.UTF-8"})
    assert british.returncode == 0 and "18:00" in british.stdout and "PM" not in british.stdout, british.stdout


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
    # Why, in a few words: not NIO's description with its doubled parenthesis.
    assert "(connection refused)" in down.stderr and "errno" not in down.stderr, down.stderr
    revoked = run(server, home, "list", env={"TASKPILOT_TOKEN": "tp_revoked"})
    assert revoked.returncode == 1 and "taskpilot login" in revoked.stderr
    nobody = run(server, tempfile.mkdtemp(), "list", env={"TASKPILOT_SERVER_URL": server.url})
    assert nobody.returncode == 1 and "not logged in" in nobody.stderr
    no_password = run(server, home, "login", "--server", server.url, "--email", "cli@example.com", stdin="")
    assert no_password.returncode == 1 and "no password" in no_password.stderr, no_password.stderr
    empty_sort = run(server, home, "list", "--sort", "")
    assert empty_sort.returncode == 1 and "--sort" in empty_sort.stderr, empty_sort.stderr
    broken = tempfile.mkdtemp()
    Path(broken, ".config", "taskpilot").mkdir(parents=True)
    Path(broken, ".config", "taskpilot", "config.json").write_text("{not json")
    unreadable = run(server, broken, "list")
    assert unreadable.returncode == 1 and "cannot be read" in unreadable.stderr and "taskpilot login" in unreadable.stderr, unreadable.stderr


def test_environment_overrides_the_stored_login(server, home):
    other = server.register("env@example.com")
    result = run(server, home, "add", "from the environment", env={"TASKPILOT_SERVER_URL": server.url, "TASKPILOT_TOKEN": other["token"]})
    assert result.returncode == 0, result.stderr
    status, page = server.request("GET", "/api/v1/tasks", token=other["token"])
    assert [item["title"] for item in page["items"]] == ["from the environment"]
