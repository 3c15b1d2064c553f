"""Fixtures shared by the whole suite.

The roles every authorisation test walks through: owner, member, viewer, outsider,
anonymous. The real-service fixtures (Celery worker on Redis) live here too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from portal.roles import Role
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(reason: str) -> None:
    """Skip locally when a real service is missing; in CI a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", display_name="王芳")


@pytest.fixture
def project(owner):
    return make_project(owner=owner, key="MALL", name="母婴电商 App 2.0")


@pytest.fixture
def member(project):
    return add_member(project, UserFactory(username="member", display_name="李雷"), Role.MEMBER)


@pytest.fixture
def viewer(project):
    return add_member(project, UserFactory(username="viewer", display_name="陈总"), Role.VIEWER)


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", display_name="外人")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True)


@pytest.fixture
def api():
    return APIClient()


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def as_user():
    return api_as


# ---------------------------------------------------------------- real services


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        require_service("TEST_REDIS_URL is not set (make test provisions Redis)")
    return url


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, redis_url):
    """A real `celery worker` process on the real Redis broker and the test database."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        require_service("the Celery integration tests need PostgreSQL (TEST_DATABASE_URL)")
    test_db_url = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "TEST_DATABASE_URL": test_db_url,
        "TEST_CELERY_BROKER_URL": redis_url,
        "TEST_CELERY_EAGER": "false",
    }
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"celery-worker-{os.getpid()}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from portal.celery import app

    assert app.conf.broker_url == redis_url, "test settings must use TEST_REDIS_URL as broker"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited early, see {log.name}")
        if app.control.ping(timeout=0.5):
            break
    else:
        proc.terminate()
        raise RuntimeError(f"celery worker did not answer a ping in 30 s, see {log.name}")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def celery_via_redis(celery_worker_process, redis_url):
    """Send tasks through the real broker (not inline) for the length of one test."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


# ---------------------------------------------------------------- browser

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        require_service(f"{CHROMIUM} is missing: install Debian's chromium package")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
