"""Content security: what people type cannot become script on someone else's page, no
template carries inline handlers or raw JSON in a script, and every page is served with a
strict Content-Security-Policy and a Permissions-Policy."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.projects.board_factories import close_sprint, make_item, make_sprint, start_sprint

pytestmark = pytest.mark.django_db

EVIL = "</script><script>alert(1)</script>"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def json_scripts(html: str) -> dict[str, object]:
    """Every `<script type="application/json" id=…>` of a page, parsed as the browser would."""
    found = {}
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        if 'type="application/json"' in attributes:
            found[re.search(r'id="([^"]+)"', attributes).group(1)] = json.loads(body)
    return found


@pytest.fixture
def evil_sprints(project, owner):
    """A closed sprint named like a script (so it is in the velocity history) and a running
    one named the same (so the stand-up and its own page show it)."""
    start = project.today() - timedelta(days=28)
    closed = make_sprint(project, owner, start, name=EVIL)
    make_item(project, owner, "支付回调", sprint=closed, story_points=3)
    start_sprint(closed, owner)
    close_sprint(closed, owner)
    running = make_sprint(project, owner, project.today() - timedelta(days=2), name=EVIL)
    make_item(project, owner, "购物车", sprint=running, story_points=5)
    start_sprint(running, owner)
    return {"closed": closed, "running": running}


@pytest.mark.parametrize("which", ["closed", "running"])
def test_a_sprint_named_like_a_script_is_shown_as_text_on_its_page(
    client, evil_sprints, member, which
):
    client.force_login(member)
    sprint = evil_sprints[which]

    response = client.get(reverse("projects:sprint_detail", args=["MALL", sprint.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    # Then the name never ends a script element nor opens one
    assert "</script><script>" not in html
    assert "alert(1)</script>" not in html
    # and the heading shows it as text
    assert EVIL in _text(html)
    # and the velocity chart still gets the closed sprint's real name
    data = json_scripts(html)
    assert data["velocity-data"]["names"] == [EVIL]
    assert data["sprint-chart-data"]["days"]


def test_the_standup_of_a_sprint_named_like_a_script_shows_it_as_text(client, evil_sprints, member):
    client.force_login(member)

    response = client.get(reverse("projects:standup", args=["MALL"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "</script><script>" not in html
    assert EVIL in _text(html)
    burndown = json_scripts(html)["burndown-data"]
    assert burndown
    assert {"day", "remaining", "ideal"} <= set(burndown[0])


def _text(html: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded)."""
    import html as html_lib

    body = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", body))


# ---------------------------------------------------------------- the class stays closed


def _template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)
SCRIPT_BLOCK = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def test_no_template_has_an_inline_event_handler():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)[:80]}"
        for path in _template_files()
        for match in INLINE_HANDLER.finditer(path.read_text())
    ]
    assert offenders == [], "inline on*= handlers are blocked by the CSP; use data attributes"


HTMX_EVAL = re.compile(
    r"""hx-on[:-]|hx-vars=|hx-vals=["']\s*(js|javascript):|hx-trigger="(?:[^"]*,)?\s*[\w:.-]+\[|"""
    r"""(?:href|action|src)=["']\s*javascript:"""
)


def test_no_template_asks_for_code_to_be_evaluated():
    """htmx runs hx-on, js: values and trigger filters (click[ctrlKey]) with eval, and a
    javascript: URL is inline script: the CSP refuses all of them."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in _template_files()
        for match in HTMX_EVAL.finditer(path.read_text())
    ]
    assert offenders == []


def test_no_template_puts_code_or_unescaped_data_in_a_script_element():
    offenders = []
    for path in _template_files():
        for match in SCRIPT_BLOCK.finditer(path.read_text()):
            attributes, body = match.group(1), match.group(2)
            if "|safe" in body or "safe %}" in body or "autoescape off" in body:
                offenders.append(f"{path.relative_to(TEMPLATES)}: unescaped data in <script>")
            elif body.strip():
                offenders.append(f"{path.relative_to(TEMPLATES)}: inline script {body[:60]!r}")
            if "src=" not in attributes and body.strip() == "":
                offenders.append(f"{path.relative_to(TEMPLATES)}: empty <script{attributes}>")
    assert offenders == [], "data goes in with |json_script, code in static/js/"


def test_no_template_marks_anything_safe():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {line.strip()[:80]}"
        for path in _template_files()
        for line in path.read_text().splitlines()
        if re.search(r"\|\s*safe\b|\{%\s*autoescape\s+off", line)
    ]
    assert offenders == []


# ---------------------------------------------------------------- the headers


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_pages_carry_a_strict_content_security_policy(client, project, member):
    client.force_login(member)

    response = client.get(reverse("projects:detail", args=["MALL"]))

    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    # <style> elements only from our files; style attributes are the one inline allowance
    assert policy["style-src"] == ["'self'"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    relaxed = [n for n, v in policy.items() if {"'unsafe-inline'", "'unsafe-eval'"} & set(v)]
    assert relaxed == ["style-src-attr"]


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/api/v1/projects/", "/projects/MALL/board/"], ids=str
)
def test_every_kind_of_response_carries_both_policies(client, project, member, url):
    if not url.startswith("/accounts/"):
        client.force_login(member)

    response = client.get(url, HTTP_ACCEPT="application/json" if "/api/" in url else "text/html")

    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_the_permissions_policy_denies_device_features_but_lets_us_copy(client, project, member):
    client.force_login(member)

    response = client.get(reverse("website:home"))

    features = dict(
        item.split("=", 1) for item in response.headers["Permissions-Policy"].split(", ")
    )
    for denied in ("camera", "microphone", "geolocation", "payment", "usb", "clipboard-read"):
        assert features[denied] == "()", denied
    assert features["clipboard-write"] == "(self)"


def test_htmx_is_configured_to_need_neither_eval_nor_inline_styles(client, project, member):
    client.force_login(member)
    html = client.get(reverse("website:home")).content.decode()

    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    config = json.loads(meta.group(1))

    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["allowScriptTags"] is False


def test_the_api_docs_load_their_init_script_as_a_file(client, member):
    client.force_login(member)

    page = client.get("/api/docs/").content.decode()

    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    assert scripts
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert "<style" not in page
    init = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1)
    response = client.get(init.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()
