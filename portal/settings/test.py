"""Settings for pytest.

The database is PostgreSQL at TEST_DATABASE_URL when set (make test provisions
one), otherwise SQLite: the smoke set runs on the embedded default too.
"""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
ALLOWED_HOSTS = ["*"]

DATABASES = {
    "default": env.db("TEST_DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'test.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Unit tests run tasks inline; the integration tests point a real worker at
# TEST_REDIS_URL and switch eagerness off for themselves.
REDIS_URL = ""
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
# With a real Redis (make test) the app's broker is that Redis: tasks still run inline
# unless an integration test turns eagerness off to go through a real worker.
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default=TEST_REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("TEST_CELERY_EAGER", default=True)
LANGUAGE_CODE = "zh-hans"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False}
