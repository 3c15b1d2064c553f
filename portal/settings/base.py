"""Settings shared by every run mode; local/test/production only adjust these.

Everything configurable comes from the environment (django-environ), so the
embedded default needs no environment at all.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A `.env` beside manage.py is optional; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",  # sign-in lockout; its AccessAttempt/AccessLog admin pages unlock by hand
    "portal",
    "projects",
    "requirements",
    "risks",
    "delivery",
    "kpis",
    "metrics",
    "website",  # the site's composition: root URLs, home page, seed_demo (imports every app)
]

MIDDLEWARE = [
    "portal.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (settings below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes requires: turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "website.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    }
]

# The embedded default is a SQLite file beside manage.py; DATABASE_URL switches
# to PostgreSQL (or anything django-environ understands).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # WAL lets the dev server and the scheduler loop write at the same time.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "website:home"
LOGOUT_REDIRECT_URL = "portal:login"

# --- Sign-in lockout (django-axes) -----------------------------------------------------
# Axes' backend goes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Two locks, either of which refuses a sign-in: per account (a botnet guessing one
# password from many addresses) and per address (one machine spraying a common password
# over many accounts). An account-and-address combination would protect neither. The
# address limit is higher because a whole office signs in from one NAT address; a
# failure is forgotten once its own user signs in from that address (see
# portal.signin.SignInAttemptHandler, which applies both limits).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
# Axes logs its version at every start (each command, each reload): noise for a newcomer.
AXES_VERBOSE = False
# Database, not cache: a Redis outage must neither block sign-ins nor forget the counts.
AXES_HANDLER = "portal.signin.SignInAttemptHandler"
AXES_LOCKOUT_CALLABLE = "portal.signin.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The client's address: REMOTE_ADDR; behind TRUSTED_PROXY_COUNT reverse proxies that each
# append to X-Forwarded-For, the address the outermost one saw (portal.signin). Never set
# it higher than the real number of proxies: clients could then choose their address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "portal.signin.client_ip_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Simplified Chinese first, English second.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Cache: Redis when configured (shared by every web worker), otherwise local memory.
# A request never waits on Redis: while it is down or hung the cache answers misses
# (throttles and rate limits let requests through) after at most a short timeout.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    from portal.cache import redis_cache

    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis as broker when REDIS_URL is set; without it tasks run inline so
# the embedded default is complete without any server.
# "memory://localhost//": kombu warns about a memory URL without a host on every start.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost//")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not bool(REDIS_URL))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat reconnect a couple of times before giving up a publish; a web request
# never waits on the broker: it enqueues through portal.celery.enqueue_quickly (one try,
# short timeouts) and leaves the rest to the outbox.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {
        "task": "portal.tasks.scheduler_heartbeat_task",
        "schedule": 60.0,
    },
    "notifications-relay": {
        "task": "portal.notifications.tasks.deliveries_relay_task",
        "schedule": 30.0,
    },
    "risk-reviews-overdue": {
        "task": "risks.tasks.risk_reviews_flag_overdue_task",
        "schedule": crontab(minute=5),
    },
    "release-guards": {
        "task": "delivery.tasks.release_guards_check_task",
        "schedule": 60.0,
    },
    "freeze-starting": {
        "task": "delivery.tasks.freeze_starting_task",
        "schedule": crontab(minute=20),
    },
    "metrics-snapshots": {
        "task": "metrics.tasks.snapshots_compute_task",
        "schedule": crontab(minute=40),
    },
    "metrics-daily-reports": {
        "task": "metrics.tasks.daily_reports_task",
        "schedule": crontab(minute="*/15"),
    },
    "metrics-key-results": {
        "task": "metrics.tasks.key_results_check_task",
        "schedule": crontab(hour=1, minute=10),
    },
    "sessions-clear": {
        "task": "portal.tasks.sessions_clear_task",
        "schedule": crontab(hour=3, minute=17),
    },
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous calls 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bounded in size and nesting depth (a 5,000-deep body was a 500); forms as before.
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.filters.PortalFilterBackend",
        "portal.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    # Throttles are on in production (settings/production.py); rates per client.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="1200/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "E-commerce Engineering Portal API",
    "DESCRIPTION": (
        "Projects, sprints, work items, requirements, risks, KPIs and OKRs. "
        "Authenticate with a session or `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API's contract is JSON (DESIGN §5); form posts keep working but are not advertised.
    "PARSER_WHITELIST": ["portal.api.parsers.BoundedJSONParser"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Phase appears as phase, from_phase and to_phase: one enum in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PhaseEnum": "portal.models.Phase.choices",
        "RiskStatusEnum": "risks.models.Status.choices",
        # A requirement's status appears on requirements and in bulk changes: one enum.
        "RequirementStatusEnum": "requirements.models.Status.choices",
        "DeliveryStatusEnum": "portal.notifications.models.DeliveryStatus.choices",
        "KanoAnswerEnum": "requirements.models.Answer.choices",
        "WsjfScaleEnum": "requirements.models.WSJF_CHOICES",
        "DepartmentEnum": "portal.models.Department.choices",
    },
}

# Notifications (DESIGN §6): the embedded default may post to private addresses
# so a local receiver works; production refuses them unless told otherwise.
NOTIFY_ALLOW_PRIVATE_NETWORK = env.bool("NOTIFY_ALLOW_PRIVATE_NETWORK", default=True)
# Links in notifications point here (e.g. https://portal.example.com).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# Local time (in each project's time zone) after which yesterday's 运营日报 is generated.
DAILY_REPORT_HOUR = env.int("DAILY_REPORT_HOUR", default=9)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=10)

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The dev server's reloader announces itself at INFO on every start.
        "django.utils.autoreload": {"level": "WARNING"},
    },
}

# --- Content-Security-Policy (django-csp 4) and Permissions-Policy ----------------------
# Scripts come only from our own static files: no inline <script>, no on*= handlers, no
# eval (htmx's allowEval is off in base.html), so stored text can never run as script.
# Page data goes in with |json_script. The admin, the DRF browsable API and Swagger UI
# (/api/docs/, drf-spectacular's split view: its init script is a separate request)
# work under this same policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Style *attributes* stay allowed (never <style> elements): some ninety template
        # attributes set sizes from data (progress bars, avatar sizes, board column counts),
        # the admin and Swagger UI use them too; CSS cannot run script, and Markdown is
        # sanitised to tags without style attributes.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Browser features the portal never uses are off for it and anything it might embed;
# clipboard-write stays for our own pages (the Kano survey's "Copy link" button).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "clipboard-read": [],
    "clipboard-write": ["self"],
    "display-capture": [],
    "encrypted-media": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# Display metadata for the site shell.
PORTAL_NAME = _("E-commerce Engineering Portal")
