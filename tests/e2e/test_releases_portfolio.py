"""The releases portfolio and the freeze calendar in a real browser: the sections and the
project filter, then an owner setting a freeze window through the form (the end before
the start is refused beside the field first), seeing its day shaded and removing it after
confirming, each page without console errors."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread, which also seeds the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
import zoneinfo
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from delivery.models import FreezeWindow
from tests.delivery import release_states as rs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.portal.factories.UserFactory's
TIMEOUT_MS = 5_000
# A form refused with 400 is how the page says "fix this", not a broken resource.
FORM_REFUSAL = re.compile(r"^Failed to load resource: .* status of 400 ")


@contextmanager
def step(what: str):
    """A failure inside says which step of a long scenario broke."""
    try:
        yield
    except AssertionError as exc:
        pytest.fail(f"{what} broke: {exc}")


@pytest.fixture
def browser_page(page, live_server):
    """The page, failing fast, with every console error and uncaught exception collected."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = errors
    return page


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def releases(project, member):
    now = timezone.now()
    rs.halted(project, "3.1.0", at=now - timedelta(hours=3), name="新结算页")
    rs.in_gray(project, "2.3.0", at=now - timedelta(hours=1), name="个性化推荐")
    rs.planned(project, "2.5.0", target=project.today() + timedelta(days=40), name="会员日")


def test_portfolio_then_set_see_and_remove_a_freeze_window(
    releases, project, owner, browser_page, live_server
):
    page = browser_page
    sign_in(page, live_server, "owner")

    with step("the portfolio"):
        page.goto(f"{live_server.url}/releases/")
        halted = page.locator('[data-section="halted"]')
        expect(halted.locator("tr[data-release]")).to_have_count(1)
        expect(halted.locator('tr[data-release="MALL 3.1.0"]')).to_contain_text("error_rate")
        expect(page.locator('[data-section="gray"] tr[data-release="MALL 2.3.0"]')).to_be_visible()
        expect(page.locator('[data-section="planned"] tr[data-release]')).to_have_count(1)
        expect(page.locator('[data-section="this_week"] [data-empty]')).to_be_visible()
        link = halted.locator("a.mono").first
        expect(link).to_have_attribute("href", "/projects/MALL/releases/3.1.0/")

        # The project filter submits itself and keeps the choice.
        page.select_option("#portfolio-project", "MALL")
        page.wait_for_url(re.compile(r"/releases/\?project=MALL$"))
        expect(page.locator("#portfolio-project")).to_have_value("MALL")

    with step("the freeze calendar, with an end before the start refused"):
        page.goto(f"{live_server.url}/projects/MALL/releases/freeze/")
        expect(page.locator("table.cal-grid td.cal-today")).to_have_count(1)
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(project.timezone)).date()
        day = today.isoformat()
        page.fill("#id_name", "发布前封网")
        page.fill("#id_starts_at", f"{day}T18:00")
        page.fill("#id_ends_at", f"{day}T09:00")
        page.fill("#id_reason", "大促前冻结")
        page.locator("#freeze-form button[type=submit]").click()
        error = page.locator('[data-field="ends_at"] .errorlist')
        expect(error).to_be_visible()
        assert FreezeWindow.objects.count() == 0
        # What was typed is still there.
        expect(page.locator("#id_name")).to_have_value("发布前封网")

    with step("the window set and its day shaded"):
        page.fill("#id_ends_at", f"{day}T23:00")
        page.locator("#freeze-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/projects/MALL/releases/freeze/\?month=\d{4}-\d{2}$"))
        window = FreezeWindow.objects.get()
        cell = page.locator(f'td[data-date="{day}"]')
        expect(cell).to_have_attribute("data-frozen", str(window.pk))
        expect(cell.locator(f'[data-window="{window.pk}"]')).to_have_text("发布前封网")
        expect(page.locator(".messages")).to_contain_text("发布前封网")
        expect(page.locator("td[data-frozen]")).to_have_count(1)

    with step("the window removed after confirming"):
        dialogs: list[str] = []

        def answer(dialog):
            dialogs.append(dialog.message)
            dialog.accept()

        page.once("dialog", answer)
        page.locator(f'[data-delete-window="{window.pk}"]').click()
        page.wait_for_load_state()
        expect(page.locator("td[data-frozen]")).to_have_count(0)
        assert dialogs
        assert "发布前封网" in dialogs[0]
        assert not FreezeWindow.objects.exists()

    with step("the site's calendar"):
        page.goto(f"{live_server.url}/releases/freeze/?month=2026-13")
        expect(page.locator("table.cal-grid td.cal-today")).to_have_count(1)
        expect(page.locator("#freeze-form")).to_have_count(0)  # site-wide windows are staff's

    assert [e for e in page.errors if not FORM_REFUSAL.search(e)] == []
