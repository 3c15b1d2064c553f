"""`seed_demo`: the demo organisation `make run` shows, created once however often it runs."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from portal.models import Activity, Membership, PhaseChange, Project, User

pytestmark = pytest.mark.django_db


def _counts():
    return (
        User.objects.count(),
        Project.objects.count(),
        Membership.objects.count(),
        PhaseChange.objects.count(),
        Activity.objects.count(),
    )


def test_seed_demo_is_idempotent_and_prints_the_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    text = out.getvalue()
    assert "wangfang" in text
    assert "demo1234" in text
    assert set(Project.objects.values_list("key", flat=True)) == {"MALL", "S11", "PAY"}


def test_demo_logins_work_and_roles_match_what_is_printed():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    client = Client()
    # Axes' backend needs the request a real sign-in would bring.
    assert client.login(request=HttpRequest(), username="wangfang", password="demo1234")
    assert client.get("/projects/MALL/settings/").status_code == 200
    client.logout()
    assert client.login(request=HttpRequest(), username="chenzong", password="demo1234")
    assert client.get("/projects/MALL/").status_code == 200
    assert client.get("/projects/MALL/settings/").status_code == 403
    client.logout()
    assert client.login(request=HttpRequest(), username="zhoujie", password="demo1234")
    assert client.get("/projects/MALL/").status_code == 404
    assert client.get("/projects/PAY/").status_code == 200


def test_demo_history_reads_like_months_of_work():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    mall = Project.objects.get(key="MALL")
    changes = list(PhaseChange.objects.filter(project=mall).order_by("at"))
    assert [c.to_phase for c in changes] == ["discovery", "design", "development"]
    assert (changes[-1].at - changes[0].at).days > 30
