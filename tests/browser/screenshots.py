#!/usr/bin/env python3
"""Takes screenshots of the web app's main views into docs/screenshots/ (for the README).

    python3 tests/browser/screenshots.py [--out docs/screenshots]

Starts its own server ($TASKPILOT_BIN, default .build/debug/taskpilot) with a demo account and tasks,
and drives headless Chromium. Views whose endpoints the server lacks (the assistant) are left out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, Server, make_driver, set_color_scheme  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def demo_tasks(today: dt.date):
    day = lambda n: (today + dt.timedelta(days=n)).isoformat()  # noqa: E731
    return [
        {"title": "Renew passport", "description": "Photos are in the desk drawer", "priority": "high", "tags": ["admin"], "due_at": day(-2)},
        {"title": "Read chapter 4 of Designing Data-Intensive Applications", "tags": ["reading"], "due_at": day(4)},
        {"title": "Pay rent", "priority": "high", "tags": ["home", "money"], "due_at": (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1).isoformat() + "T09:00",
         "recurrence": {"frequency": "monthly", "by_month_day": [1]}, "reminders": [{"offset_minutes": 1440}]},
        {"title": "Team standup", "tags": ["work"], "due_at": day(1) + "T09:30",
         "recurrence": {"frequency": "weekly", "by_weekday": ["MO", "TU", "WE", "TH", "FR"]}, "reminders": [{"offset_minutes": 10}]},
        {"title": "Book flights for the offsite", "description": "Lisbon, 3 nights — check the team calendar first", "priority": "medium", "tags": ["travel", "work"], "due_at": day(2)},
        {"title": "Buy groceries", "description": "Oat milk, coffee beans, lemons", "priority": "low", "tags": ["errands", "home"], "due_at": day(0) + "T18:00"},
        {"title": "Ship the quarterly report", "description": "Numbers from finance, then the summary for the board", "priority": "urgent", "tags": ["work"], "due_at": day(0) + "T16:00",
         "reminders": [{"offset_minutes": 60}]},
        {"title": "Call mom", "tags": ["family"], "due_at": day(0), "recurrence": {"frequency": "weekly", "by_weekday": ["SU"]}},
        {"title": "Water the plants", "tags": ["home"], "due_at": day(1), "recurrence": {"frequency": "daily", "interval": 3, "from_completion": True}},
    ]


class Shooter:
    def __init__(self, server: Server, out: Path):
        self.server = server
        self.out = out
        self.driver = make_driver()

    def viewport(self, width, height, scale=1, mobile=False):
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}
        )

    def wait(self, condition, timeout=10):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(condition)

    def visible(self, selector, timeout=10):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)), timeout)

    def settle(self):
        self.wait(lambda d: d.execute_script("return document.getElementById('task-section').getAttribute('aria-busy') === 'false'"))
        time.sleep(0.35)  # let entrance animations finish

    def rest_pointer(self):
        """Moves the pointer over the page title, so no row shows its hover state."""
        ActionChains(self.driver).move_to_element(self.driver.find_element(By.ID, "view-title")).perform()

    def shot(self, name, keep_toasts=False):
        if not keep_toasts:
            self.driver.execute_script("document.getElementById('toasts').replaceChildren()")
        path = self.out / f"{name}.png"
        self.driver.save_screenshot(str(path))
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")

    def go(self, hash_):
        self.driver.execute_script("location.hash = arguments[0]", hash_)
        self.settle()

    def run(self):
        d = self.driver
        self.viewport(1280, 800)
        d.get(self.server.url + "/")
        self.visible("#login-email")
        time.sleep(0.3)
        self.shot("login")

        token = self.server.register("maya@example.com", name="Maya Chen", timezone=d.execute_script(
            "return Intl.DateTimeFormat().resolvedOptions().timeZone"))
        today = dt.date.today()
        for body in demo_tasks(today):
            self.server.api("POST", "/api/v1/tasks", body, token=token)
        done = self.server.api("POST", "/api/v1/tasks", {"title": "Send the invoice to Acme", "tags": ["work", "money"]}, token=token)
        self.server.api("POST", f"/api/v1/tasks/{done['id']}/complete", token=token)
        d.execute_script("localStorage.setItem('taskpilot.token', arguments[0])", token)
        d.get(self.server.url + "/#/today")
        self.settle()
        self.shot("today")

        self.go("#/upcoming")
        self.shot("upcoming")

        self.go("#/inbox")
        d.find_element(By.XPATH, "//button[contains(@class,'task-title') and normalize-space()='Pay rent']").click()
        self.visible("#task-dialog")
        time.sleep(0.3)
        self.shot("edit-dialog")
        d.find_element(By.CSS_SELECTOR, "#task-title").send_keys(Keys.ESCAPE)
        self.rest_pointer()

        if self.server.has_endpoint("POST", "/api/v1/tasks/quick/preview", {"text": "x"}, token):
            quick = d.find_element(By.ID, "quick-input")
            quick.send_keys("Dentist appointment next tuesday 10am p2 #health remind me 1 hour before")
            try:
                self.visible("#quick-preview", timeout=5)
                time.sleep(0.3)
                self.shot("quick-add")
            except Exception:
                pass
            quick.send_keys(Keys.ESCAPE)

        chat = self.server.has_endpoint("GET", "/api/v1/conversations", token=token)
        if chat:
            self.visible("#chat-btn").click()
            self.visible("#chat-panel")
            message = d.find_element(By.ID, "chat-input")
            for text in ("add Renew the car insurance next friday #admin !high", "what's due today?"):
                count = len(d.find_elements(By.CSS_SELECTOR, "#chat-messages .msg-assistant:not(.typing)"))
                message.send_keys(text, Keys.ENTER)
                self.wait(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "#chat-messages .msg-assistant:not(.typing)")) > count, 30)
            self.settle()
            d.execute_script("const log = document.getElementById('chat-log'); log.scrollTop = log.scrollHeight")
            self.rest_pointer()
            self.shot("chat")
            d.find_element(By.ID, "chat-close").click()

        if self.server.has_endpoint("GET", "/api/v1/notifications", token=token):
            soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).replace(microsecond=0)
            stamp = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
            self.server.api("POST", "/api/v1/tasks", {"title": "Stand up and stretch", "due_at": stamp(soon + dt.timedelta(minutes=15)),
                                                       "reminders": [{"at": stamp(soon)}]}, token=token)
            try:
                self.wait(lambda drv: drv.find_element(By.ID, "notif-count").is_displayed(), 15)
                time.sleep(0.3)
                d.find_element(By.ID, "notif-btn").click()
                self.visible("#notif-panel")
                self.rest_pointer()
                time.sleep(0.3)
                self.shot("notifications", keep_toasts=True)
                d.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
            except Exception as error:  # the reminder did not arrive: no picture, not a failure of the script
                print(f"skipped notifications: {error.__class__.__name__}")

        self.viewport(1280, 800)
        set_color_scheme(d, "dark")
        self.go("#/upcoming")
        if chat:
            d.find_element(By.ID, "chat-btn").click()
            self.visible("#chat-panel")
            time.sleep(0.3)
        self.rest_pointer()
        self.shot("dark")
        if chat:
            d.find_element(By.ID, "chat-close").click()
        set_color_scheme(d, None)

        self.viewport(390, 844, scale=2, mobile=True)
        self.go("#/today")
        self.shot("phone")
        d.find_element(By.ID, "nav-toggle").click()
        time.sleep(0.35)
        self.shot("phone-menu")
        d.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        set_color_scheme(d, "dark")
        self.go("#/upcoming")
        self.shot("phone-dark")
        set_color_scheme(d, None)

    def close(self):
        self.driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    server = Server().start()
    shooter = None
    try:
        shooter = Shooter(server, args.out)
        shooter.run()
    finally:
        if shooter:
            shooter.close()
        server.cleanup()


if __name__ == "__main__":
    main()
