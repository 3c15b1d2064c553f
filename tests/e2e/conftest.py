"""Browser tests: headless Debian Chromium (see tests/conftest.py) against `live_server`.

Playwright's sync API runs an event loop in the test's thread, and the test also
uses the ORM (seeding, checks); Django refuses ORM calls from a thread with a
running loop unless told the caller knows what it is doing.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.core.management import call_command

DEMO_PASSWORD = "demo1234"
# One page load on this machine takes well under a second; fail fast rather than hang.
TIMEOUT_MS = 5_000


@pytest.fixture
def demo(transactional_db):
    """The demo organisation (users, MALL / S11 / PAY), as `make run` seeds it."""
    call_command("seed_demo", "--quiet-logins")


@pytest.fixture
def console_errors(page):
    """Every console error and uncaught exception of the page, for the test to assert on."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.set_default_timeout(TIMEOUT_MS)
    return errors


@pytest.fixture
def login(page, live_server, console_errors):
    """Sign in through the login form, as a person would; lands on the home page."""

    def sign_in(username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

    return sign_in
