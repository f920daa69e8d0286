"""Fixtures of the browser tests: one Taskpilot server and one headless Chromium for the session."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Server, make_driver  # noqa: E402


@pytest.fixture(scope="session")
def server():
    instance = Server().start()
    yield instance
    instance.cleanup()


@pytest.fixture(scope="session")
def console():
    """Every browser console entry of the session, as (test name, entry)."""
    return []


@pytest.fixture(scope="session")
def driver(server):
    browser = make_driver()
    browser.implicitly_wait(0)
    yield browser
    browser.quit()


@pytest.fixture(autouse=True)
def _collect_console(request, console):
    yield
    if "driver" in request.fixturenames:
        browser = request.getfixturevalue("driver")
        try:
            entries = browser.get_log("browser")
        except Exception:  # the browser may be gone after a crash; the test reports that
            entries = []
        console.extend((request.node.name, entry) for entry in entries)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, keeps a screenshot and the page's visible text to look at."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or "driver" not in item.fixturenames:
        return
    browser = item.funcargs.get("driver")
    if browser is None:
        return
    folder = Path(os.environ.get("TASKPILOT_BROWSER_ARTIFACTS", tempfile.gettempdir())) / "taskpilot-browser-failures"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        shot = folder / f"{item.name}.png"
        browser.save_screenshot(str(shot))
        text = browser.execute_script("return document.body.innerText")
        (folder / f"{item.name}.txt").write_text(text)
        report.sections.append(("browser", f"screenshot: {shot}\n--- page text ---\n{text[:3000]}"))
    except Exception as error:  # the browser may be gone
        report.sections.append(("browser", f"no screenshot: {error}"))
