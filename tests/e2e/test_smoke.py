"""Smoke tests in a real browser: the paths a PM takes on day one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Membership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# "Overview" in locale/zh_Hans/LC_MESSAGES/django.po (compiled to django.mo by
# scripts/compile_messages.py, which `make test` runs first).
OVERVIEW_ZH = "概览"


def test_pm_opens_a_project_and_switches_language(
    demo, page, live_server, login, console_errors, tmp_path
):
    # Given 王芳, the demo PM, signed in through the login form
    login("wangfang")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    # When she opens MALL from the project list
    page.click("nav.nav a[data-nav=projects]")
    page.click("tr[data-project=MALL] a")
    page.wait_for_url(f"{live_server.url}/projects/MALL/")
    expect(page.locator("h1")).to_contain_text("母婴电商 App 2.0")
    overview_tab = page.locator("a[data-tab=overview]")
    expect(overview_tab).to_have_text(OVERVIEW_ZH)

    # and switches to English with the switcher in the top bar
    page.click("button[data-lang=en]")
    page.wait_for_load_state()

    # Then she is still on MALL, in English
    expect(page).to_have_url(f"{live_server.url}/projects/MALL/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(overview_tab).to_have_text("Overview")
    expect(page.locator("button[data-lang=en]")).to_have_attribute("aria-pressed", "true")

    # When she switches back to Chinese
    page.click("button[data-lang=zh-hans]")
    page.wait_for_load_state()

    # Then the page is Chinese again
    expect(page).to_have_url(f"{live_server.url}/projects/MALL/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(overview_tab).to_have_text(OVERVIEW_ZH)
    expect(page.locator("button[data-lang=zh-hans]")).to_have_attribute("aria-pressed", "true")

    # and a screenshot of it is kept for the report
    shot = tmp_path / "mall-zh-hans.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.exists()
    assert shot.stat().st_size > 0

    assert console_errors == []


def test_owner_adds_a_member_without_a_page_reload(demo, page, live_server, login, console_errors):
    # Given 王芳 on MALL's settings; 周洁 (legal) is not in MALL yet
    login("wangfang")
    page.goto(f"{live_server.url}/projects/MALL/settings/")
    members = page.locator("#members")
    expect(members.locator("tr[data-member=zhoujie]")).to_have_count(0)
    # A full reload would wipe this
    page.evaluate("window.__sameDocument = 'still here'")

    # When she adds 周洁 by login name as a viewer with the htmx form
    add_form = members.locator("form[hx-post$='/members/add/']")
    add_form.locator("input[name=user]").fill("zhoujie")
    add_form.locator("select[name=role]").select_option("viewer")
    add_form.locator("button[type=submit]").click()

    # Then 周洁 appears in the members table, on the same page
    row = page.locator("#members tr[data-member=zhoujie]")
    expect(row).to_be_visible()
    expect(row).to_contain_text("周洁")
    expect(row.locator("select[name=role]")).to_have_value("viewer")
    assert page.evaluate("window.__sameDocument") == "still here"
    assert Membership.objects.get(project__key="MALL", user__username="zhoujie").role == "viewer"

    assert console_errors == []
