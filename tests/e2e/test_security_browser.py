"""Content security in a real browser: a sprint named like a script is only ever text, the
pages run under a strict Content-Security-Policy, and what used to be inline handlers
(confirmations, auto-submitting selects, the copy-link button, opening a card with Enter)
still works through the static scripts."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread, which also seeds the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from metrics.models import DailyReport
from portal.models import Project
from projects.models import Sprint, SprintState
from requirements.models import KanoResponse, Requirement
from risks.models import Risk
from tests.projects.board_factories import make_item, make_sprint, start_sprint
from tests.requirements.factories import make_requirement
from tests.risks.factories import make_risk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.portal.factories.UserFactory's
EVIL = "</script><script>alert(1)</script>"
SCRIPTS_WITH_CODE_IN_THE_PAGE = (
    "() => document.querySelectorAll('script:not([src]):not([type=\"application/json\"])').length"
)


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def dialogs(page):
    """Every alert/confirm the page opens, as (type, message); confirmations are accepted."""
    seen: list[tuple[str, str]] = []

    def answer(dialog):
        seen.append((dialog.type, dialog.message))
        dialog.accept()

    page.on("dialog", answer)
    return seen


def test_a_sprint_named_like_a_script_is_text_on_the_sprint_and_standup_pages(
    project, owner, member, page, live_server, console_errors, dialogs
):
    # Given 王芳 plans a sprint named like a script, through the form
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/projects/MALL/sprints/")
    today = project.today()
    page.fill("#id_name", EVIL)
    page.fill("#id_start", today.isoformat())
    page.fill("#id_end", (today + timedelta(days=14)).isoformat())
    page.locator("form:has(#id_name) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/sprints/\d+/plan/$"))
    sprint = Sprint.objects.get(project=project, name=EVIL)
    make_item(project, owner, "购物车凑单提示", sprint=sprint, story_points=3, assignee=member)

    # When she starts it from its page
    sprint_url = f"{live_server.url}/projects/MALL/sprints/{sprint.pk}/"
    page.goto(sprint_url)
    page.locator(f"form[action$='/sprints/{sprint.pk}/start/'] button").click()
    page.wait_for_url(re.compile(r"/sprints/\d+/"))
    page.goto(sprint_url)

    # Then the heading shows the name as text, and the burndown is drawn
    expect(page.locator(".page-head h2")).to_contain_text(EVIL)
    page.wait_for_load_state("load")
    assert page.evaluate("() => !!Chart.getChart('burndown-chart')")

    # When the team opens the stand-up
    page.goto(f"{live_server.url}/projects/MALL/standup/")

    # Then the sprint's name is text there too, and its mini burndown is drawn
    expect(page.get_by_role("heading", name=EVIL)).to_be_visible()
    page.wait_for_load_state("load")
    assert page.evaluate("() => !!Chart.getChart('burndown-mini')")

    # When she closes the sprint (accepting the confirmation)
    page.goto(sprint_url)
    page.locator(f"form[action$='/sprints/{sprint.pk}/close/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/retro/$"))
    assert Sprint.objects.get(pk=sprint.pk).state == SprintState.CLOSED
    page.goto(sprint_url)
    page.wait_for_load_state("load")

    # Then the only dialog anyone saw was the close confirmation: the name never ran
    assert [kind for kind, _ in dialogs] == ["confirm"]
    assert page.evaluate(SCRIPTS_WITH_CODE_IN_THE_PAGE) == 0
    # and the velocity chart labels the closed sprint with its real name
    labels = page.evaluate("() => Chart.getChart('velocity-chart').data.labels")
    assert labels == [EVIL]


def test_pages_are_served_with_a_strict_content_security_policy(
    project, member, page, live_server, console_errors
):
    sign_in(page, live_server, "member")

    response = page.goto(f"{live_server.url}/projects/MALL/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "permissions-policy" in response.headers
    # and a script slipped into the page is refused, and reported
    console_errors.expect(r"script-src")
    page.evaluate(
        """() => {
        const s = document.createElement("script");
        s.textContent = "window.__injected = true";
        document.body.append(s);
    }"""
    )
    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("() => window.__injected") is None
    assert any(e.startswith("CSP: script-src") for e in console_errors)


def test_a_dismissed_confirmation_changes_nothing(project, owner, page, live_server):
    risk = make_risk(project, title="支付网关单点故障")
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/projects/MALL/risks/{risk.number}/")
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", dismiss)

    # When 王芳 presses Delete and then says no
    page.locator(f"form[action$='/risks/{risk.number}/delete/'] button").click()

    # Then she was asked, and the risk is still there
    expect(page.get_by_role("heading", name="支付网关单点故障")).to_be_visible()
    assert asked == ["confirm"]
    assert Risk.objects.filter(pk=risk.pk).exists()

    # When she presses Delete again and says yes
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator(f"form[action$='/risks/{risk.number}/delete/'] button").click()

    # Then the risk is gone
    assert not Risk.objects.filter(pk=risk.pk).exists()


def test_choosing_a_period_reloads_the_okr_board(project, member, page, live_server):
    sign_in(page, live_server, "member")
    page.goto(f"{live_server.url}/okrs/")
    select = page.locator("select[name=period]")
    other = select.locator("option:not([selected])").first.get_attribute("value")

    # When 李雷 picks another quarter
    select.select_option(other)

    # Then the board reloads for that quarter
    expect(page).to_have_url(re.compile(rf"[?&]period={other}(&|$)"))
    expect(page.locator("select[name=period]")).to_have_value(other)


def test_the_copy_link_button_copies_the_survey_link(project, owner, page, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    requirement = make_requirement(project, title="会员积分抵扣")
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/projects/MALL/requirements/{requirement.number}/survey/")
    button = page.locator("button[data-copy]")
    copied_label = button.get_attribute("data-copied")

    # When 王芳 presses "Copy link"
    button.click()

    # Then the button says it copied the survey's address (the clipboard write resolved)
    expect(button).to_have_text(copied_label)
    link = page.locator("#survey-link").input_value()
    assert link.endswith(f"/requirements/{requirement.number}/survey/")


def test_enter_on_a_focused_card_opens_it(project, owner, member, page, live_server):
    sprint = make_sprint(project, owner, project.today(), name="S12 大促冲刺")
    make_item(project, owner, "订单导出", sprint=sprint, story_points=5)
    start_sprint(sprint, owner)
    sign_in(page, live_server, "member")
    page.goto(f"{live_server.url}/projects/MALL/board/")
    card = page.locator('.card-item[data-key="MALL-1"]')

    page.wait_for_load_state("load")

    # When 李雷 tabs to a card and presses Enter
    card.focus()
    with page.expect_response(lambda r: r.url.endswith("/projects/MALL/items/1/")) as opened:
        page.keyboard.press("Enter")

    # Then the card's panel is fetched, as a click would
    assert opened.value.status == 200
    assert opened.value.request.headers.get("hx-request") == "true"


def _main_pages(key: str) -> list[str]:
    project = Project.objects.get(key=key)
    sprint = Sprint.objects.filter(project=project, state=SprintState.CLOSED).last()
    requirement = Requirement.objects.filter(project=project).first()
    surveyed = KanoResponse.objects.filter(requirement__project=project).first()
    risk = Risk.objects.filter(project=project).first()
    base = f"/projects/{key}"
    pages = [
        "/",
        "/projects/",
        f"{base}/",
        f"{base}/board/",
        f"{base}/standup/",
        f"{base}/sprints/",
        f"{base}/sprints/{sprint.pk}/",
        f"{base}/sprints/{sprint.pk}/retro/",
        f"{base}/requirements/",
        f"{base}/requirements/triage/",
        f"{base}/requirements/kano/",
        f"{base}/requirements/{requirement.number}/",
        f"{base}/requirements/{surveyed.requirement.number}/survey/",
        f"{base}/risks/",
        f"{base}/risks/{risk.number}/",
        f"{base}/settings/",
        f"{base}/board/settings/",
        f"{base}/notifications/",
        f"{base}/dashboard/",
        "/kpis/",
        "/okrs/",
        "/dashboard/",
        "/settings/",
    ]
    report = DailyReport.objects.filter(project=project).first()
    if report:
        pages.append(f"{base}/reports/{report.date.isoformat()}/")
    return pages


def test_the_main_pages_run_under_the_policy_without_a_violation(
    demo, page, live_server, login, console_errors
):
    """Any CSP violation or console error on these pages fails the test (conftest's guard)."""
    pages = _main_pages("MALL")
    login("wangfang")

    for url in pages:
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        page.wait_for_load_state("load")

    # and the staff pages: the site-wide channels, the admin and the API's browsable pages
    page.context.clear_cookies()
    login("admin")
    admin_pk = get_user_model().objects.get(username="admin").pk
    for url in [
        "/settings/notifications/",  # site-wide channels: staff only (others get a 403 page)
        "/admin/",
        f"/admin/portal/user/{admin_pk}/change/",
        "/api/v1/projects/",
        "/api/docs/",
    ]:
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert console_errors.unexpected() == []
