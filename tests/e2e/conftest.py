"""Browser tests: headless Debian Chromium (see tests/conftest.py) against `live_server`.

Playwright's sync API runs an event loop in the test's thread, and the test also
uses the ORM (seeding, checks); Django refuses ORM calls from a thread with a
running loop unless told the caller knows what it is doing.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re

import pytest
from django.core.management import call_command

DEMO_PASSWORD = "demo1234"
# One page load on this machine takes well under a second; fail fast rather than hang.
TIMEOUT_MS = 5_000


@pytest.fixture
def demo(transactional_db):
    """The demo organisation (users, MALL / S11 / PAY), as `make run` seeds it."""
    call_command("seed_demo", "--quiet-logins")


# Runs in every document before the page's own scripts (and outside its CSP): reports each
# Content-Security-Policy violation to the test, with what was blocked and where.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile || e.documentURI}:${e.lineNumber} ${e.sample || ""}`
  );
}, true);
"""


class BrowserErrors(list):
    """The page's console errors, uncaught exceptions and CSP violations, in order.

    A test that causes one on purpose says so with `expect(pattern)`; any other one fails
    the test when it ends (see `_no_unexpected_browser_errors`).
    """

    # A 400/422 answer is how a form says "fix this": base.html's htmx-config swaps it in like
    # any page, so Chromium's network line for it is not an error. Other statuses are.
    FORM_ERRORS = re.compile(r"^Failed to load resource: .* status of (400|422) ")

    def __init__(self) -> None:
        super().__init__()
        self._expected: list[re.Pattern[str]] = [self.FORM_ERRORS]

    def expect(self, pattern: str) -> None:
        """Errors matching this regular expression are part of the test, not a failure."""
        self._expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self if not any(p.search(e) for p in self._expected)]


@pytest.fixture
def console_errors(page) -> BrowserErrors:
    """Every console error, uncaught exception and CSP violation of the page (and of any other
    tab the test opens in its browser context)."""
    errors = BrowserErrors()
    context = page.context
    context.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    context.on("weberror", lambda web_error: errors.append(f"uncaught: {web_error.error}"))
    context.expose_function("__reportCspViolation", lambda text: errors.append(f"CSP: {text}"))
    context.add_init_script(CSP_LISTENER)
    page.set_default_timeout(TIMEOUT_MS)
    return errors


@pytest.fixture(autouse=True)
def _no_unexpected_browser_errors(request):
    """Every browser test fails on a console error or CSP violation it did not expect, whether
    or not it asks for `console_errors` itself."""
    if "page" not in request.fixturenames:
        yield
        return
    errors: BrowserErrors = request.getfixturevalue("console_errors")
    yield
    if unexpected := errors.unexpected():
        pytest.fail(
            "the page logged errors or CSP violations the test did not expect:\n  "
            + "\n  ".join(unexpected),
            pytrace=False,
        )


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
