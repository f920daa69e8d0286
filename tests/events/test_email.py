"""Reminder emails from a real `taskpilot serve` to a real SMTP server (aiosmtpd) that requires STARTTLS and AUTH."""

import email
import email.policy
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest_server import Server, free_port, soon  # noqa: E402

USER, PASSWORD = "taskpilot-bot", "s3cret pass"


class Mailbox:
    """Keeps what the SMTP server accepted, with how the session was secured and authenticated."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.logins: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        with self.lock:
            self.logins.append((mechanism, "ok" if ok else "refused"))
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append({
                "from": envelope.mail_from, "to": list(envelope.rcpt_tos), "tls": session.ssl is not None,
                "authenticated": session.authenticated, "message": email.message_from_bytes(envelope.original_content, policy=email.policy.default),
            })
        return "250 OK queued"


@pytest.fixture(scope="module")
def certificate():
    folder = tempfile.mkdtemp(prefix="taskpilot-smtp-")
    cert, key = f"{folder}/cert.pem", f"{folder}/key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


@pytest.fixture(params=[[], ["PLAIN"]], ids=["auth-plain", "auth-login-only"])
def smtp(request, certificate):
    """An SMTP server on a loopback port that refuses mail before STARTTLS and AUTH before TLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True, authenticator=mailbox.authenticate,
        auth_require_tls=True, auth_exclude_mechanism=request.param)
    controller.start()
    yield mailbox, port
    controller.stop()


def remind(server: Server, email_address: str, title: str, seconds: float) -> tuple[dict, dict]:
    """A new user and a task of theirs whose reminder fires in `seconds`."""
    user = server.register(email_address)
    status, task = server.request("POST", "/api/v1/tasks", {"title": title, "due_at": soon(seconds), "reminders": [{"offset_minutes": 0}]},
                                  token=user["token"])
    assert status == 201, task
    return user, task


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_due_reminder_sends_exactly_one_email_over_starttls_with_auth(smtp):
    mailbox, port = smtp
    server = Server({
        "TASKPILOT_SMTP_URL": f"smtp://{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}?starttls=required&tls_verify=false",
        "TASKPILOT_SMTP_FROM": "Taskpilot <bot@taskpilot.test>",
    })
    try:
        user, task = remind(server, "ann@example.com", "Call the bank", 1.5)
        other = server.register("bob@example.com")
        server.request("POST", "/api/v1/tasks", {"title": "Bob's own task"}, token=other["token"])
        assert wait_for(lambda: mailbox.messages, 15), f"no email arrived; server log:\n{server.logs()}"
        time.sleep(1.5)
        assert len(mailbox.messages) == 1, mailbox.messages
        received = mailbox.messages[0]
        assert received["tls"] and received["authenticated"]
        assert received["from"] == "bot@taskpilot.test" and received["to"] == ["ann@example.com"]
        message = received["message"]
        assert message["To"] == "ann@example.com"
        assert message["From"] == "Taskpilot <bot@taskpilot.test>"
        assert message["Subject"] == "Reminder: Call the bank"
        assert message["Message-ID"].endswith("@taskpilot.test>") and message["Date"]
        assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
        body = message.get_content()
        assert body.startswith(f"Call the bank (task {task['id']})") and "Due " in body
        assert all(outcome == "ok" for _, outcome in mailbox.logins) and mailbox.logins
        # The in-app notification was not held up by the email.
        status, notifications = server.request("GET", "/api/v1/notifications", token=user["token"])
        assert status == 200 and [n["kind"] for n in notifications] == ["reminder"]
    finally:
        server.stop()


def test_wrong_credentials_send_nothing_and_keep_in_app_notifications(smtp):
    mailbox, port = smtp
    server = Server({
        "TASKPILOT_SMTP_URL": f"smtp://{USER}:wrong@127.0.0.1:{port}?tls_verify=false",
        "TASKPILOT_SMTP_FROM": "bot@taskpilot.test",
        "TASKPILOT_LOG_LEVEL": "info",
    })
    try:
        user, _ = remind(server, "carol@example.com", "Water plants", 1)
        assert wait_for(lambda: mailbox.logins, 15), server.logs()
        assert wait_for(lambda: "reminder email failed" in server.logs(), 10), server.logs()
        assert mailbox.messages == []
        assert all(outcome == "refused" for _, outcome in mailbox.logins)
        failure = next(line for line in server.logs().splitlines() if "reminder email failed" in line)
        assert "535" in failure and "outcome=failed" in failure and "wrong" not in server.logs()
        status, notifications = server.request("GET", "/api/v1/notifications", token=user["token"])
        assert status == 200 and [n["title"] for n in notifications] == ["Water plants"]
    finally:
        server.stop()


def test_smtps_sends_over_tls_from_the_first_byte(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ssl_context=context, authenticator=mailbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    server = Server({
        "TASKPILOT_SMTP_URL": f"smtps://{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}?tls_verify=false",
        "TASKPILOT_SMTP_FROM": "bot@taskpilot.test",
    })
    try:
        remind(server, "dora@example.com", "Café ☕ with Ann", 1)
        assert wait_for(lambda: mailbox.messages, 15), server.logs()
        time.sleep(1)
        assert len(mailbox.messages) == 1
        message = mailbox.messages[0]["message"]
        assert mailbox.messages[0]["authenticated"] and message["To"] == "dora@example.com"
        assert message["Subject"] == "Reminder: Café ☕ with Ann"
        assert message.get_content().startswith("Café ☕ with Ann")
    finally:
        server.stop()
        controller.stop()
