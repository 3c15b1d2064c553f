"""Sign-in lockout (django-axes): password guessing stops after a few tries.

An account is locked after AXES_FAILURE_LIMIT failed sign-ins, from wherever they
come; an address after SIGNIN_ADDRESS_FAILURE_LIMIT failed sign-ins, whatever the
accounts. A lock lifts after the cool-off, or at once when an admin unlocks the user.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.activity import describe
from portal.models import Activity
from tests.portal.factories import UserFactory
from tests.portal.test_views import PASSWORD, find_all, html_lang, signed_in, text

pytestmark = pytest.mark.django_db

HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


def sign_in(client: Client, username: str, password: str, address: str = HOME, **extra):
    return client.post(
        reverse("portal:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def fail(client: Client, username: str, times: int, address: str = HOME, **extra):
    response = None
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", address, **extra)
    return response


def lockout_message(language: str) -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    with translation.override(language):
        return translation.ngettext(
            "Too many failed sign-ins. Try again in %(minutes)s minute or ask an admin "
            "to unlock your account.",
            "Too many failed sign-ins. Try again in %(minutes)s minutes or ask an admin "
            "to unlock your account.",
            minutes,
        ) % {"minutes": minutes}


def shown_lockout(response) -> str:
    """The lockout message as the page shows it (one role=alert block)."""
    alerts = find_all(response.content.decode(), role="alert")
    assert len(alerts) == 1, response.content.decode()[:2000]
    return text(alerts[0])


@pytest.fixture
def wang(db):
    return UserFactory(username="wangfang", display_name="王芳")


@pytest.fixture
def li(db):
    return UserFactory(username="lilei", display_name="李雷")


def test_a_normal_sign_in_still_works(client, wang):
    response = sign_in(client, "wangfang", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("website:home")
    assert signed_in(client)


def test_forty_wrong_passwords_then_the_right_one_is_refused_in_chinese(client, wang):
    # Given someone guessing 王芳's password forty times
    fail(client, "wangfang", 40)
    # When the right password finally comes
    response = sign_in(client, "wangfang", PASSWORD)
    # Then it is refused with the lockout page, in the portal's layout and in Chinese
    assert response.status_code == 429
    assert not signed_in(client)
    assert html_lang(response) == "zh-hans"
    assert shown_lockout(response) == lockout_message("zh-hans")
    assert find_all(response.content.decode(), "span", **{"class": "brand-mark"})


def test_the_lockout_arrives_at_the_limit_and_speaks_english(client, wang):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # The tries before the limit get the ordinary "wrong password" form
    before = fail(client, "wangfang", settings.AXES_FAILURE_LIMIT - 1)
    assert before.status_code == 200
    assert find_all(before.content.decode(), "input", name="password", type="password")
    # The try that reaches the limit gets the lockout page, and so does the right password
    assert fail(client, "wangfang", 1).status_code == 429
    response = sign_in(client, "wangfang", PASSWORD)
    assert response.status_code == 429
    assert html_lang(response) == "en"
    assert shown_lockout(response) == lockout_message("en")
    assert "Too many failed sign-ins" in shown_lockout(response)
    assert not signed_in(client)


def test_a_locked_account_is_locked_from_every_address(client, wang):
    fail(client, "wangfang", settings.AXES_FAILURE_LIMIT, address=HOME)
    # Guessing from another machine does not get a fresh count
    response = sign_in(Client(), "wangfang", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 429


def test_a_colleague_behind_the_same_address_can_still_sign_in(client, wang, li):
    # Given 王芳's account locked by failures from the office's shared address
    fail(client, "wangfang", settings.AXES_FAILURE_LIMIT, address=HOME)
    # Then 李雷, signing in from that same address, is not locked out with her
    other = Client()
    response = sign_in(other, "lilei", PASSWORD, address=HOME)
    assert response.status_code == 302
    assert signed_in(other)


def test_an_address_guessing_across_accounts_is_locked(client, li):
    # Given one address trying one password against many accounts (password spraying)
    victims = [UserFactory(username=f"victim{n}") for n in range(6)]
    tries = settings.SIGNIN_ADDRESS_FAILURE_LIMIT
    for n in range(tries):
        sign_in(client, victims[n % len(victims)].username, "123456", address=HOME)
    # Then no account answers that address any more, even with the right password
    assert sign_in(Client(), "lilei", PASSWORD, address=HOME).status_code == 429
    # While the same account from another address signs in normally
    other = Client()
    assert sign_in(other, "lilei", PASSWORD, address=ELSEWHERE).status_code == 302
    assert signed_in(other)


def test_the_right_password_works_again_after_the_cool_off(client, wang):
    fail(client, "wangfang", settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, "wangfang", PASSWORD).status_code == 429
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        response = sign_in(client, "wangfang", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_resets_the_count(client, wang):
    # Given 王芳 mistyping just below the limit, then getting it right
    fail(client, "wangfang", settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, "wangfang", PASSWORD).status_code == 302
    client.post(reverse("portal:logout"))
    # When she mistypes again just below the limit another day
    fail(client, "wangfang", settings.AXES_FAILURE_LIMIT - 1)
    # Then she is not locked out: the earlier failures were forgotten
    response = sign_in(client, "wangfang", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_another_users_success_from_the_same_address_does_not_reset_the_count(client, wang, li):
    # An insider guessing a colleague's password, signing in to their own account between
    # rounds, must not wipe the colleague's count.
    for _ in range(3):
        fail(client, "wangfang", settings.AXES_FAILURE_LIMIT - 1)
        assert sign_in(client, "lilei", PASSWORD).status_code == 302
        client.post(reverse("portal:logout"))
    assert sign_in(Client(), "wangfang", PASSWORD, address=ELSEWHERE).status_code == 429


def test_an_admin_unlocks_sign_in_for_the_selected_users(client, wang):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    fail(client, "wangfang", settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, "wangfang", PASSWORD).status_code == 429
    # When an admin picks "Unlock sign-in" for 王芳 on the user list
    staff = Client()
    staff.force_login(admin_user)
    response = staff.post(
        reverse("admin:portal_user_changelist"),
        {"action": "unlock_signin", "_selected_action": [wang.pk]},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    with translation.override("zh-hans"):
        expected = translation.ngettext(
            "Sign-in unlocked for %(count)d user.", "Sign-in unlocked for %(count)d users.", 1
        ) % {"count": 1}
    assert expected in messages
    # Then she signs in at once, and the log says who unlocked her
    response = sign_in(client, "wangfang", PASSWORD)
    assert response.status_code == 302
    unlock = Activity.objects.get(verb="user.signin_unlocked")
    assert unlock.actor == admin_user
    assert unlock.target_id == str(wang.pk)
    with translation.override("en"):
        assert describe(unlock) == f"{admin_user.label} unlocked sign-in for 王芳"


def test_the_django_admin_sign_in_is_guarded_too(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "root", "password": "guess"}, REMOTE_ADDR=HOME)
    response = client.post(url, {"username": "root", "password": PASSWORD}, REMOTE_ADDR=HOME)
    assert response.status_code == 429
    assert shown_lockout(response) == lockout_message("zh-hans")
    assert not signed_in(client)


def test_behind_a_proxy_each_client_address_counts_separately(client, wang, li, settings):
    # Given one trusted reverse proxy that appends the client's address to X-Forwarded-For
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    # When one client sprays passwords, forging a different X-Forwarded-For on each try
    for n in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        forged = f"192.0.2.{n}, {HOME}"
        sign_in(client, f"nobody{n}", "123456", address=proxy, HTTP_X_FORWARDED_FOR=forged)
    # Then that client is locked out, whatever it claims in the header
    locked = sign_in(
        Client(), "lilei", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {HOME}"
    )
    assert locked.status_code == 429
    # While a colleague coming through the same proxy signs in normally
    other = Client()
    response = sign_in(other, "lilei", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert response.status_code == 302


def test_the_api_keeps_working_for_a_locked_account_with_a_token(client, wang):
    # Integrations authenticate with a token, not a password: a lock on the password does
    # not cut them off (and session API calls go through the same sign-in page).
    token = Token.objects.create(user=wang)
    fail(client, "wangfang", settings.AXES_FAILURE_LIMIT)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/projects/").status_code == 200
    session = APIClient()
    session.force_login(wang)
    assert session.get("/api/v1/projects/").status_code == 200


def test_test_clients_sign_in_with_a_request(wang):
    # Axes needs the request to know the address; the test client's login() passes one.
    client = Client()
    assert client.login(request=HttpRequest(), username="wangfang", password=PASSWORD)
    assert not client.login(request=HttpRequest(), username="wangfang", password="nope")
