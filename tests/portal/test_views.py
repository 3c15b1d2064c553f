"""The site's own pages: sign in and out, home, profile, language, time, money, health, API docs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import translation

from portal.activity import activity_record
from portal.models import Activity
from portal.roles import Role
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project

PASSWORD = "pw-for-tests-1"  # what UserFactory sets


# ---------------------------------------------------------------- helpers


def _attrs(el: Element) -> dict[str, str | None]:
    return dict(el.attributes)


def find_all(html: str, tag: str | None = None, **attrs: str) -> list[Element]:
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    found: list[Element] = []

    def walk(node) -> None:
        if isinstance(node, str):
            return
        if (tag is None or node.name == tag) and all(
            _attrs(node).get(k) == v for k, v in wanted.items()
        ):
            found.append(node)
        for child in node.children:
            walk(child)

    walk(parse_html(html))
    return found


def text(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(t for t in (text(c) for c in node.children) if t).strip()


def field_errors(response, field: str) -> list[str]:
    blocks = find_all(response.content.decode(), "div", data_field=field)
    assert len(blocks) == 1, f"expected one data-field={field!r} block, found {len(blocks)}"
    return [text(li) for li in find_all(str(blocks[0]), "li")]


def html_lang(response) -> str:
    return _attrs(find_all(response.content.decode(), "html")[0])["lang"]


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


# ---------------------------------------------------------------- sign in and out


def test_login_page_renders(client, db):
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert find_all(html, "input", name="username")
    assert find_all(html, "input", name="password", type="password")


def test_wrong_password_shows_an_error_and_does_not_sign_in(client, owner):
    # Given 王芳's account, when she mistypes her password
    response = client.post(
        reverse("portal:login"), {"username": "owner", "password": "not-my-password"}
    )
    # Then the form says so, and she is not signed in
    assert response.status_code == 200
    errors = find_all(response.content.decode(), "div", **{"class": "form-errors"})
    assert len(errors) == 1
    assert text(errors[0])
    assert not signed_in(client)


def test_good_login_goes_home(client, owner):
    response = client.post(reverse("portal:login"), {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("website:home")
    assert signed_in(client)
    home = client.get(reverse("website:home"))
    assert home.status_code == 200
    assert "王芳" in home.content.decode()


def test_login_follows_a_local_next_but_not_an_offsite_one(client, owner):
    data = {"username": "owner", "password": PASSWORD}
    response = client.post(reverse("portal:login"), {**data, "next": "/projects/"})
    assert response["Location"] == "/projects/"
    client.logout()
    response = client.post(reverse("portal:login"), {**data, "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("website:home")


def test_login_page_sends_a_signed_in_user_home(client, owner):
    client.force_login(owner)
    response = client.get(reverse("portal:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("website:home")


def test_logout_is_post_only(client, owner):
    # Given a signed-in user, a GET (a prefetch, an <img src>) must not sign them out
    client.force_login(owner)
    assert client.get(reverse("portal:logout")).status_code == 405
    assert signed_in(client)
    # When they press "Log out" (a POST)
    response = client.post(reverse("portal:logout"))
    # Then they are on the login page and signed out
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    assert not signed_in(client)
    assert client.get(reverse("website:home")).status_code == 302


def test_home_needs_sign_in(client, db):
    response = client.get(reverse("website:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next=/"


# ---------------------------------------------------------------- home


def test_home_shows_my_projects_and_their_activity_only(client, project, owner, member):
    # Given 李雷 in MALL, and a project of someone else's with its own activity
    stranger = UserFactory(username="stranger", display_name="路人甲")
    secret = make_project(owner=stranger, key="SECRET", name="保密项目 X")
    add_member(secret, UserFactory(username="insider", display_name="知情人"), Role.MEMBER)
    client.force_login(member)
    # When he opens the home page
    response = client.get(reverse("website:home"))
    html = response.content.decode()
    # Then he sees MALL as his project, with his role
    cards = find_all(html, "a", **{"class": "card"})
    assert [_attrs(c)["data-project"] for c in cards] == ["MALL"]
    assert "母婴电商 App 2.0" in text(cards[0])
    # and MALL's activity (him joining it), but nothing from SECRET
    feed = find_all(html, "ul", **{"class": "feed"})[0]
    lines = [text(li) for li in feed.children]
    assert any("李雷" in line and "MALL" in line for line in lines)
    assert "SECRET" not in html
    assert "保密项目" not in html
    assert "知情人" not in html


def test_home_for_someone_without_projects(client, outsider, project):
    client.force_login(outsider)
    html = client.get(reverse("website:home")).content.decode()
    assert not find_all(html, "a", **{"class": "card"})
    assert "母婴电商" not in html
    assert "MALL" not in html


# ---------------------------------------------------------------- profile


def profile_data(user, **overrides) -> dict[str, str]:
    data = {
        "display_name": user.display_name,
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "department": user.department,
    }
    data.update(overrides)
    return data


def test_profile_change_is_saved_and_pages_turn_english(client, owner):
    # Regression: ModelForm.is_valid() used to copy the values onto request.user, so the
    # service saw no change and saved nothing.
    # Given 王芳, Chinese UI, Shanghai time
    client.force_login(owner)
    url = reverse("portal:profile")
    assert html_lang(client.get(url)) == "zh-hans"
    # When she changes her name, language and time zone
    response = client.post(
        url,
        profile_data(owner, display_name="Fang Wang", language="en", timezone="Europe/London"),
    )
    # Then they are saved
    assert response.status_code == 302
    assert response["Location"] == url
    owner.refresh_from_db()
    assert (owner.display_name, owner.language, owner.timezone) == (
        "Fang Wang",
        "en",
        "Europe/London",
    )
    # and every page is now in English, her new name in the top bar
    home = client.get(reverse("website:home"))
    assert html_lang(home) == "en"
    assert "Fang Wang" in home.content.decode()


def test_profile_bad_time_zone_shows_the_error_and_saves_nothing(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("portal:profile"),
        profile_data(owner, display_name="Fang Wang", language="en", timezone="Mars/Olympus"),
    )
    assert response.status_code == 200
    assert field_errors(response, "timezone")
    assert not field_errors(response, "display_name")
    owner.refresh_from_db()
    assert (owner.display_name, owner.language, owner.timezone) == (
        "王芳",
        "zh-hans",
        "Asia/Shanghai",
    )


def test_profile_needs_sign_in(client, db):
    response = client.post(reverse("portal:profile"), {"display_name": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# ---------------------------------------------------------------- language switch


def test_set_language_saves_a_signed_in_users_choice(client, owner):
    # Given 王芳 on her Chinese home page
    client.force_login(owner)
    # When she presses "EN"
    response = client.post(reverse("portal:set_language"), {"language": "en", "next": "/projects/"})
    # Then she is back where she was, in English, and the choice follows her account
    assert response.status_code == 302
    assert response["Location"] == "/projects/"
    owner.refresh_from_db()
    assert owner.language == "en"
    assert html_lang(client.get("/projects/")) == "en"
    # e.g. in another browser, without the cookie
    other = type(client)()
    other.force_login(owner)
    assert html_lang(other.get(reverse("website:home"))) == "en"


def test_set_language_for_anonymous_sets_the_cookie(client, db):
    response = client.post(reverse("portal:set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["samesite"] == "Lax"
    assert html_lang(client.get(reverse("portal:login"))) == "en"


def test_set_language_unknown_falls_back_to_the_default(client, owner):
    owner.language = "en"
    owner.save()
    client.force_login(owner)
    response = client.post(reverse("portal:set_language"), {"language": "klingon", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == settings.LANGUAGE_CODE
    owner.refresh_from_db()
    assert owner.language == settings.LANGUAGE_CODE == "zh-hans"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)"]
)
def test_set_language_does_not_follow_an_offsite_next(client, db, next_url):
    response = client.post(reverse("portal:set_language"), {"language": "en", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_set_language_without_next_returns_to_the_referring_page(client, db):
    response = client.post(
        reverse("portal:set_language"),
        {"language": "en"},
        HTTP_REFERER="http://testserver/accounts/login/",
    )
    assert response["Location"] == "http://testserver/accounts/login/"


def test_set_language_over_htmx_redirects_the_client(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("portal:set_language"),
        {"language": "en", "next": "/projects/"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"] == "/projects/"


def test_set_language_is_post_only(client, db):
    assert client.get(reverse("portal:set_language"), {"language": "en"}).status_code == 405


# ---------------------------------------------------------------- time zones and money


@pytest.mark.parametrize(
    ("tz", "shown"),
    [("Asia/Shanghai", "2026-01-01 08:30"), ("Europe/London", "2026-01-01 00:30")],
)
def test_times_show_in_the_users_time_zone(client, project, owner, tz, shown):
    # Given an activity row stored at 00:30 UTC on New Year's Day 2026
    row = activity_record(actor=owner, verb="project.updated", target=project, project=project)
    Activity.objects.filter(pk=row.pk).update(at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    reader = add_member(project, UserFactory(username="reader", timezone=tz), Role.VIEWER)
    client.force_login(reader)
    # When a member in `tz` opens the project
    html = client.get(reverse("projects:detail", args=["MALL"])).content.decode()
    # Then the row reads in their local time
    times = [text(t) for t in find_all(html, "time", datetime=_iso_in(tz))]
    assert times == [shown]


def _iso_in(tz: str) -> str:
    from zoneinfo import ZoneInfo

    return datetime(2026, 1, 1, 0, 30, tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat()


def _budget_shown(client, key: str) -> str:
    html = client.get(reverse("projects:detail", args=[key])).content.decode()
    facts = find_all(html, "dl", **{"class": "facts"})[0]
    terms = [c for c in facts.children if not isinstance(c, str)]
    for dt, dd in zip(terms[::2], terms[1::2], strict=True):
        if text(dt) == zh("budget") or text(dt) == "budget":
            return text(dd)
    raise AssertionError("no budget on the page")


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        # What Babel prints: the CLDR symbols for each locale
        ("zh-hans", "3800000", "CNY", "¥3,800,000.00"),
        ("zh-hans", "250000", "USD", "US$250,000.00"),
        ("en", "250000", "USD", "$250,000.00"),
        ("en", "3800000", "CNY", "CN¥3,800,000.00"),
    ],
)
def test_money_shows_with_its_currency(client, db, language, amount, currency, shown):
    reader = UserFactory(username="reader", language=language)
    make_project(owner=reader, key="BUDG", budget=Decimal(amount), currency=currency)
    client.force_login(reader)
    assert _budget_shown(client, "BUDG") == shown


def test_no_budget_shows_a_dash(client, owner):
    make_project(owner=owner, key="NOBUD")
    client.force_login(owner)
    assert _budget_shown(client, "NOBUD") == "—"


# ---------------------------------------------------------------- health


def test_healthz_answers_anonymous_and_is_never_cached(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] == "not configured"
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_is_get_only(client, db):
    assert client.post("/healthz").status_code == 405


# ---------------------------------------------------------------- API docs


def test_api_schema_is_openapi_3_with_the_projects_endpoint(client, owner):
    client.force_login(owner)
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/projects/" in schema["paths"]


def test_api_docs_page_loads_without_any_cdn(client, owner):
    client.force_login(owner)
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html.lower()
    # The schema URL is in Swagger UI's init script, served as its own file (the CSP has no
    # inline script): drf-spectacular's split view.
    init = client.get(reverse("api-docs"), {"script": ""})
    assert reverse("api-schema") in init.content.decode()
    for cdn in ("cdn.jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert cdn not in html
    # Swagger UI's own files come from our static folder
    scripts = [_attrs(s).get("src") or "" for s in find_all(html, "script")]
    assert any(src.startswith(static("drf_spectacular_sidecar/")) for src in scripts)
